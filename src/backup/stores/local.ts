/**
 * A backup store in a local directory (or a mounted NFS/SMB share).
 *
 * Atomicity: every put writes a hidden temp file in the target's directory, fsyncs it and renames
 * it over the key, so a reader (or a crash) sees the old object or the whole new one, never a
 * prefix. putIfAbsent links the finished temp file to the key (link(2) fails with EEXIST), which is
 * create-if-absent and complete-content at once. Temp files are dot-files: never listed.
 * A failed write (ENOSPC, EIO, a killed stream) removes its temp file before rejecting.
 */
import { closeSync, createReadStream, createWriteStream, openSync, promises as fsp, readSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { NotFoundError, ObjectTooLargeError, type Store } from "../types.js";

const TMP_MARK = ".tmp-";
/**
 * Objects up to this size are read with synchronous calls on the calling thread (readInto): for a
 * small file in the page cache, handing open/read/close to libuv's thread pool costs more CPU than
 * the calls themselves (measured on a 20,000-file filestore restore, see bench/README.md). Larger
 * objects go through the thread pool, so a slow disk never holds the event loop for long.
 */
const SYNC_READ_MAX = 320 << 10;

function isNotFound(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: string }).code === "ENOENT";
}

/** Keys are relative, '/'-separated, without '.', '..' or empty segments. */
export function checkKey(key: string): void {
  if (!key || key.startsWith("/") || key.endsWith("/") || key.split("/").some((s) => s === "" || s === "." || s === "..") || key.includes("\\") || key.includes("\0")) {
    throw new Error(`invalid store key ${JSON.stringify(key)}`);
  }
}

export interface LocalStoreOptions {
  /**
   * Durability. Snapshots, config and locks are fsynced (file and directory) when written. Objects
   * are made durable in one go by {@link LocalStore.flush}, which the repository calls before it
   * writes a snapshot: one `syncfs` (see `syncFs`) instead of one fsync per object, measured here
   * at ~70 ms against ~1.8 s for 2,000 objects. `false` skips all of it (tests on throwaway dirs).
   * @default true
   */
  fsync?: boolean;
  /**
   * Flushes the whole file system holding a directory (syncfs(2), e.g. `sync -f <dir>` run through
   * the platform's exec). Without it, flush fsyncs each object written since the last flush.
   */
  syncFs?: (dir: string) => Promise<void>;
}

export class LocalStore implements Store {
  readonly root: string;
  readonly description: string;
  private readonly fsync: boolean;
  private readonly syncFs?: (dir: string) => Promise<void>;
  /** Objects written since the last flush (their data may still be in the page cache only). */
  private unsynced: string[] = [];

  constructor(dir: string, opts: LocalStoreOptions = {}) {
    this.root = resolve(dir);
    this.description = `file://${this.root}`;
    this.fsync = opts.fsync ?? true;
    this.syncFs = opts.syncFs;
  }

  private path(key: string): string {
    checkKey(key);
    return join(this.root, ...key.split("/"));
  }

  private tmpPath(target: string): string {
    return join(dirname(target), `.${basename(target)}${TMP_MARK}${randomBytes(6).toString("hex")}`);
  }

  /** Writes body to a temp file next to `target` (fsynced when `sync`); returns the temp path. Cleans up on failure. */
  private async writeTemp(target: string, body: Readable | Buffer, sync: boolean): Promise<string> {
    await fsp.mkdir(dirname(target), { recursive: true });
    const tmp = this.tmpPath(target);
    try {
      if (Buffer.isBuffer(body)) {
        const fh = await fsp.open(tmp, "wx", 0o600);
        try {
          await fh.writeFile(body);
          if (sync) await fh.sync();
        } finally {
          await fh.close();
        }
      } else {
        // opened before the body is read, as writeFileAtomic does: a body that failed at once was
        // cleaned up before a lazily opened stream had created the file, which then stayed behind
        const ws = createWriteStream("", { fd: await fsp.open(tmp, "wx", 0o600) });
        await pipeline(body, ws);
        if (sync) {
          const fh = await fsp.open(tmp, "r");
          try {
            await fh.sync();
          } finally {
            await fh.close();
          }
        }
      }
      // objects are readable by the owner's group tools (backup readers), never world-writable
      await fsp.chmod(tmp, 0o640);
      return tmp;
    } catch (e) {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw e;
    }
  }

  private async syncDir(dir: string): Promise<void> {
    if (!this.fsync) return;
    try {
      const fh = await fsp.open(dir, "r");
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch {
      // some file systems (and platforms) refuse fsync on directories: the rename is still atomic
    }
  }

  async put(key: string, body: Readable | Buffer): Promise<void> {
    const target = this.path(key);
    const isObject = key.startsWith("objects/");
    const tmp = await this.writeTemp(target, body, this.fsync && !isObject);
    try {
      await fsp.rename(tmp, target);
    } catch (e) {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
      throw e;
    }
    if (isObject) {
      if (this.fsync) this.unsynced.push(target);
    } else await this.syncDir(dirname(target));
  }

  async flush(): Promise<void> {
    if (!this.fsync || this.unsynced.length === 0) return;
    const files = this.unsynced;
    this.unsynced = [];
    if (this.syncFs) {
      try {
        await this.syncFs(this.root);
        return;
      } catch {
        // no syncfs here: fsync one by one below
      }
    }
    const dirs = new Set(files.map((f) => dirname(f)));
    const queue = [...files, ...dirs];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let p = queue.pop(); p !== undefined; p = queue.pop()) {
          let fh: fsp.FileHandle | undefined;
          try {
            fh = await fsp.open(p, "r");
            await fh.sync();
          } catch (e) {
            if (!isNotFound(e) && !dirs.has(p)) throw e; // deleted meanwhile (prune) is fine
          } finally {
            await fh?.close();
          }
        }
      }),
    );
  }

  async putIfAbsent(key: string, body: Buffer): Promise<boolean> {
    const target = this.path(key);
    try {
      await fsp.access(target);
      return false;
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    const tmp = await this.writeTemp(target, body, this.fsync);
    try {
      await fsp.link(tmp, target);
      await this.syncDir(dirname(target));
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === "EEXIST") return false;
      throw e;
    } finally {
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
    }
  }

  async get(key: string): Promise<Readable> {
    const p = this.path(key);
    // open first so that a missing key rejects here, not later on the stream
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(p, "r");
    } catch (e) {
      if (isNotFound(e)) throw new NotFoundError(key);
      throw e;
    }
    return createReadStream(p, { fd: fh, autoClose: true, highWaterMark: 1 << 20 });
  }

  async readInto(key: string, buf: Buffer): Promise<Buffer> {
    if (buf.length <= SYNC_READ_MAX) return this.readIntoSync(key, buf);
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(this.path(key), "r");
    } catch (e) {
      if (isNotFound(e)) throw new NotFoundError(key);
      throw e;
    }
    try {
      // a regular file returns less than asked only at its end: one read for a file in the page cache
      let n = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
        if (bytesRead === 0) break;
        n += bytesRead;
        if (n === buf.length) {
          const probe = await fh.read(Buffer.allocUnsafe(1), 0, 1, n);
          if (probe.bytesRead > 0) throw new ObjectTooLargeError(key, buf.length);
          break;
        }
      }
      return buf.subarray(0, n);
    } finally {
      await fh.close();
    }
  }

  /** {@link readInto} with synchronous calls: small objects (see SYNC_READ_MAX). */
  private readIntoSync(key: string, buf: Buffer): Buffer {
    let fd: number;
    try {
      fd = openSync(this.path(key), "r");
    } catch (e) {
      if (isNotFound(e)) throw new NotFoundError(key);
      throw e;
    }
    try {
      let n = 0;
      for (;;) {
        const got = readSync(fd, buf, n, buf.length - n, n);
        if (got === 0) break;
        n += got;
        if (n === buf.length) {
          if (readSync(fd, Buffer.allocUnsafe(1), 0, 1, n) > 0) throw new ObjectTooLargeError(key, buf.length);
          break;
        }
      }
      return buf.subarray(0, n);
    } finally {
      closeSync(fd);
    }
  }

  async stat(key: string): Promise<{ size: number } | undefined> {
    try {
      const st = await fsp.stat(this.path(key));
      return st.isFile() ? { size: st.size } : undefined;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async *list(prefix: string): AsyncIterable<{ key: string; size: number; mtimeMs?: number }> {
    // Walk the deepest directory the prefix names, then filter by the prefix.
    const cut = prefix.lastIndexOf("/");
    const dirKey = cut >= 0 ? prefix.slice(0, cut) : "";
    const base = dirKey ? join(this.root, ...dirKey.split("/")) : this.root;
    const found: { key: string; size: number; mtimeMs: number }[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let entries;
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch (e) {
        if (isNotFound(e) || (e as { code?: string }).code === "ENOTDIR") return;
        throw e;
      }
      for (const ent of entries) {
        if (ent.name.startsWith(".")) continue; // temp files and anything hidden
        const key = rel ? `${rel}/${ent.name}` : ent.name;
        if (ent.isDirectory()) {
          // prune subtrees that cannot match
          if (prefix.startsWith(`${key}/`) || `${key}/`.startsWith(prefix) || key.startsWith(prefix)) await walk(join(dir, ent.name), key);
        } else if (ent.isFile() && key.startsWith(prefix)) {
          const st = await fsp.stat(join(dir, ent.name)).catch(() => undefined);
          if (st) found.push({ key, size: st.size, mtimeMs: st.mtimeMs });
        }
      }
    };
    await walk(base, dirKey);
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* found;
  }

  async delete(key: string): Promise<void> {
    await fsp.rm(this.path(key), { force: true });
  }

  /**
   * Removes temp files left by killed writers (invisible to readers, but they take space).
   * Only those older than `olderThanMs` so that a running writer's temp file is left alone.
   */
  async removeStaleTemp(olderThanMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const ent of entries) {
        const p = join(dir, ent.name);
        if (ent.isDirectory()) await walk(p);
        else if (ent.name.startsWith(".") && ent.name.includes(TMP_MARK)) {
          const st = await fsp.stat(p).catch(() => undefined);
          if (st && now - st.mtimeMs > olderThanMs) {
            await fsp.rm(p, { force: true });
            removed++;
          }
        }
      }
    };
    await walk(this.root);
    return removed;
  }
}
