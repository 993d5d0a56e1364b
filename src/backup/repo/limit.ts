/** Small concurrency helpers: a byte budget that bounds memory, and a bounded parallel map. */

/**
 * A budget of bytes in flight. `acquire(n)` waits until n bytes fit (a request larger than the
 * whole budget waits until nothing else is in flight, then runs alone), so the memory that chunks
 * being read, compressed, encrypted and uploaded hold stays bounded whatever the data size.
 */
export class ByteBudget {
  private used = 0;
  private readonly waiters: { n: number; resolve: () => void }[] = [];

  constructor(readonly capacity: number) {}

  async acquire(n: number): Promise<void> {
    if (this.fits(n) && this.waiters.length === 0) {
      this.used += n;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push({ n, resolve }));
  }

  release(n: number): void {
    this.used -= n;
    while (this.waiters.length > 0 && this.fits((this.waiters[0] as { n: number }).n)) {
      const w = this.waiters.shift() as { n: number; resolve: () => void };
      this.used += w.n;
      w.resolve();
    }
  }

  get inFlight(): number {
    return this.used;
  }

  private fits(n: number): boolean {
    return this.used === 0 || this.used + n <= this.capacity;
  }
}

/**
 * Runs `fn` over `items` with at most `concurrency` at once; results in input order. The first
 * failure stops new work, waits for running tasks to settle, then rejects with it.
 */
export async function mapLimit<T, R>(items: Iterable<T> | AsyncIterable<T>, concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  const it = (Symbol.asyncIterator in Object(items) ? (items as AsyncIterable<T>)[Symbol.asyncIterator]() : (items as Iterable<T>)[Symbol.iterator]()) as
    | AsyncIterator<T>
    | Iterator<T>;
  let index = 0;
  let failed: { error: unknown } | undefined;
  let exhausted = false;
  const worker = async (): Promise<void> => {
    while (!failed && !exhausted) {
      const next = await it.next();
      if (next.done) {
        exhausted = true;
        return;
      }
      const i = index++;
      try {
        results[i] = await fn(next.value, i);
      } catch (e) {
        failed ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  if (failed) throw failed.error;
  return results;
}
