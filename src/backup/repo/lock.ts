/**
 * The repository's writer lock: `locks/exclusive.json`, created only if absent (Store.putIfAbsent),
 * so two backups (or a backup and a prune) never write one repository at once.
 *
 * The holder refreshes the expiry every ttl/3. A lock is stale, and taken over with a warning, when
 * it has expired (its holder stopped refreshing: crashed, killed, or the host died) or when it was
 * taken on this host by a process that no longer exists. A live lock is only broken on request
 * (`breakLock`, the CLI's --break-lock); the process whose lock was broken notices at its next
 * refresh and refuses to write its snapshot.
 */
import { hostname, userInfo } from "node:os";
import { UserError } from "../../errors.js";
import type { Store } from "../types.js";

export const LOCK_KEY = "locks/exclusive.json";

export interface LockInfo {
  /** user@host:pid */
  holder: string;
  host: string;
  pid: number;
  purpose: string;
  createdAt: string;
  expiresAt: string;
  nonce: string;
}

export interface LockOptions {
  purpose?: string;
  /** Remove a lock held by someone else, even a live one. @default false */
  breakLock?: boolean;
  /** @default 15 minutes */
  ttlMs?: number;
  /** Called with a message when a stale lock is taken over. */
  onWarning?: (message: string) => void;
}

export interface LockEnv {
  now: () => Date;
  randomHex: (bytes: number) => string;
  host?: string;
  pid?: number;
  /** Whether a pid is alive on this host. @default process.kill(pid, 0) */
  pidAlive?: (pid: number) => boolean;
}

function defaultPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

async function readLock(store: Store): Promise<LockInfo | "unreadable" | undefined> {
  let stream;
  try {
    stream = await store.get(LOCK_KEY);
  } catch (e) {
    if ((e as Error).name === "NotFoundError") return undefined;
    throw e;
  }
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of stream) {
    const b = Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array);
    n += b.length;
    if (n > 64 * 1024) return "unreadable";
    parts.push(b);
  }
  try {
    const v = JSON.parse(Buffer.concat(parts).toString("utf8")) as LockInfo;
    if (typeof v.nonce !== "string" || typeof v.expiresAt !== "string") return "unreadable";
    return v;
  } catch {
    return "unreadable";
  }
}

export class RepoLock {
  private timer?: NodeJS.Timeout;
  private released = false;
  /** Set when another process broke this lock: writing a snapshot must stop. */
  lost = false;

  constructor(
    private readonly store: Store,
    readonly info: LockInfo,
    private readonly env: LockEnv,
    private readonly ttlMs: number,
  ) {}

  /** Milliseconds since epoch when this lock was taken. */
  get acquiredAtMs(): number {
    return Date.parse(this.info.createdAt);
  }

  startRefresh(): void {
    this.timer = setInterval(() => {
      void this.refresh().catch(() => undefined);
    }, Math.max(1000, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
  }

  async refresh(): Promise<void> {
    if (this.released || this.lost) return;
    const cur = await readLock(this.store);
    if (!cur || cur === "unreadable" || cur.nonce !== this.info.nonce) {
      this.lost = true;
      return;
    }
    this.info.expiresAt = new Date(this.env.now().getTime() + this.ttlMs).toISOString();
    await this.store.put(LOCK_KEY, Buffer.from(JSON.stringify(this.info, null, 2) + "\n"));
  }

  /** Throws when the lock was broken by someone else. */
  async assertHeld(): Promise<void> {
    if (this.released) throw new Error("the repository lock was already released");
    if (!this.lost) {
      const cur = await readLock(this.store);
      if (!cur || cur === "unreadable" || cur.nonce !== this.info.nonce) this.lost = true;
    }
    if (this.lost) {
      throw new UserError("the repository lock was broken by another process while this one held it; nothing more is written", {
        hint: "Someone ran with --break-lock (or the lock expired). Check that no other backup or prune is running, then run this again.",
      });
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    const cur = await readLock(this.store).catch(() => undefined);
    if (cur && cur !== "unreadable" && cur.nonce === this.info.nonce) await this.store.delete(LOCK_KEY);
  }
}

export async function acquireLock(store: Store, env: LockEnv, opts: LockOptions = {}): Promise<RepoLock> {
  const ttlMs = opts.ttlMs ?? 15 * 60_000;
  const host = env.host ?? hostname();
  const pid = env.pid ?? process.pid;
  let user = "unknown";
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers)
  }
  const pidAlive = env.pidAlive ?? defaultPidAlive;
  for (let attempt = 0; attempt < 3; attempt++) {
    const now = env.now();
    const info: LockInfo = {
      holder: `${user}@${host}:${pid}`,
      host,
      pid,
      purpose: opts.purpose ?? "write",
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
      nonce: env.randomHex(16),
    };
    if (await store.putIfAbsent(LOCK_KEY, Buffer.from(JSON.stringify(info, null, 2) + "\n"))) {
      const lock = new RepoLock(store, info, env, ttlMs);
      lock.startRefresh();
      return lock;
    }
    const cur = await readLock(store);
    if (cur === undefined) continue; // released meanwhile: try again
    if (opts.breakLock) {
      opts.onWarning?.(`breaking the repository lock${cur === "unreadable" ? " (unreadable)" : ` held by ${cur.holder} (${cur.purpose}) since ${cur.createdAt}`}`);
      await store.delete(LOCK_KEY);
      continue;
    }
    if (cur === "unreadable") {
      throw new UserError(`the repository at ${store.description} has an unreadable lock (${LOCK_KEY})`, {
        hint: "If no backup or prune is running on any host, remove it with --break-lock.",
      });
    }
    const expired = Date.parse(cur.expiresAt) < now.getTime();
    const deadHere = cur.host === host && cur.pid !== pid && !pidAlive(cur.pid);
    if (expired || deadHere) {
      opts.onWarning?.(`taking over a stale repository lock held by ${cur.holder} (${cur.purpose}) since ${cur.createdAt}: ${deadHere ? "that process no longer exists" : `it expired at ${cur.expiresAt}`}`);
      await store.delete(LOCK_KEY);
      continue;
    }
    throw new UserError(`the repository at ${store.description} is locked by ${cur.holder} (${cur.purpose}) since ${cur.createdAt}`, {
      hint: `Another backup or prune is running; the lock expires at ${cur.expiresAt} unless it is refreshed. If you are sure nothing runs, use --break-lock.`,
    });
  }
  throw new UserError(`could not take the repository lock at ${store.description}: it keeps changing hands`, { hint: "Another process is taking the lock at the same time; try again." });
}
