/**
 * Deploy lock and history, in the project's `.doodba-ops/` folder:
 * - `deploy.lock`: created exclusively (the local store's putIfAbsent: write a temp file, then
 *   link it into place, so two deploys cannot both win); holds who, where, since when. A lock
 *   whose process is gone (same host) or older than {@link STALE_AFTER_MS} is stale and taken over.
 * - `deploy-history.jsonl`: one JSON record per deploy or rollback, appended under the lock.
 */
import { UserError } from "../errors.js";
import { LocalStore } from "../backup/stores/local.js";
import type { Fs } from "../platform/fs.js";

export const STATE_DIR = ".doodba-ops";
export const LOCK_KEY = "deploy.lock";
export const HISTORY_KEY = "deploy-history.jsonl";
/** A deploy that holds the lock longer than this is considered dead. */
export const STALE_AFTER_MS = 2 * 60 * 60 * 1000;

export interface StepRecord {
  name: string;
  status: "ok" | "failed" | "skipped";
  seconds: number;
  detail?: string;
}

export interface DeployRecord {
  id: string;
  kind: "deploy" | "rollback";
  env: string;
  project: string;
  target: "compose" | "swarm";
  startedAt: string;
  finishedAt: string;
  /** $USER (or "unknown"). */
  user: string;
  host?: string;
  /** Image ID per service before. */
  from: Record<string, string>;
  /** Image ID per service after (what runs at the end: the previous ones again after a rollback). */
  to: Record<string, string>;
  /** Digests (RepoDigests) of the images after, when they have one. */
  toDigests?: Record<string, string[]>;
  /** Tags keeping the previous images, for `deploy rollback`. */
  previousTags: Record<string, string>;
  steps: StepRecord[];
  outcome: "success" | "no-change" | "rolled-back" | "failed";
  error?: string;
  /** Pre-deploy snapshot reference, when one was taken. */
  snapshot?: string;
  databaseRestored?: boolean;
  /** For a rollback: the deploy whose state it returned to. */
  rollbackTo?: string;
}

export interface LockInfo {
  id: string;
  pid: number;
  host: string;
  user: string;
  since: string;
  command: string;
}

export interface StateIO {
  fs: Fs;
  /** Absolute project directory. */
  dir: string;
  now: () => Date;
  /** Whether a process id is alive on this host. */
  pidAlive: (pid: number) => boolean;
  host: string;
}

function store(io: StateIO): LocalStore {
  return new LocalStore(`${io.dir}/${STATE_DIR}`);
}

async function readLock(io: StateIO): Promise<LockInfo | undefined> {
  const path = `${io.dir}/${STATE_DIR}/${LOCK_KEY}`;
  if (!io.fs.exists(path)) return undefined;
  try {
    return JSON.parse(io.fs.readText(path)) as LockInfo;
  } catch {
    return undefined;
  }
}

/** Why a lock is stale, or undefined when it is held by a live deploy. */
export function staleReason(lock: LockInfo, io: Pick<StateIO, "host" | "pidAlive" | "now">): string | undefined {
  if (lock.host === io.host && !io.pidAlive(lock.pid)) return `its process ${lock.pid} is gone`;
  const age = io.now().getTime() - Date.parse(lock.since);
  if (!Number.isFinite(age) || age > STALE_AFTER_MS) return `it is older than ${STALE_AFTER_MS / 3_600_000} h`;
  return undefined;
}

/**
 * Takes the deploy lock or throws a UserError naming the holder. A stale lock is taken over
 * (`log` says so); `breakLock` takes over a live one too.
 */
export async function acquireLock(io: StateIO, info: LockInfo, log: (s: string) => void, breakLock = false): Promise<() => Promise<void>> {
  const s = store(io);
  const body = Buffer.from(`${JSON.stringify(info, null, 2)}\n`);
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await s.putIfAbsent(LOCK_KEY, body)) {
      return async () => {
        const cur = await readLock(io);
        if (cur?.id === info.id) await s.delete(LOCK_KEY);
      };
    }
    const held = await readLock(io);
    const stale = held ? staleReason(held, io) : "it cannot be read";
    if (!stale && !breakLock && held) {
      throw new UserError(`Another deploy holds the lock: ${held.id} by ${held.user}@${held.host} (pid ${held.pid}) since ${held.since}: ${held.command}`, {
        pos: { file: `${STATE_DIR}/${LOCK_KEY}`, line: 1, col: 1 },
        hint: "Wait for it to finish. If it died on another host, take the lock over with --break-lock.",
      });
    }
    log(`doodba-ops deploy: taking over the deploy lock ${held?.id ?? ""} (${breakLock && !stale ? "--break-lock" : stale})`);
    await s.delete(LOCK_KEY);
  }
  throw new UserError("Could not take the deploy lock (another deploy took it at the same moment)", { hint: "Run the deploy again." });
}

export function readHistory(io: Pick<StateIO, "fs" | "dir">): DeployRecord[] {
  const path = `${io.dir}/${STATE_DIR}/${HISTORY_KEY}`;
  if (!io.fs.exists(path)) return [];
  const out: DeployRecord[] = [];
  for (const line of io.fs.readText(path).split("\n")) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as DeployRecord);
    } catch {
      // a torn last line (crash while writing) is skipped
    }
  }
  return out;
}

/** Appends a record (read, add, atomic replace: called under the deploy lock). */
export async function appendHistory(io: StateIO, rec: DeployRecord): Promise<void> {
  const path = `${io.dir}/${STATE_DIR}/${HISTORY_KEY}`;
  const before = io.fs.exists(path) ? io.fs.readText(path) : "";
  const sep = before && !before.endsWith("\n") ? "\n" : "";
  await store(io).put(HISTORY_KEY, Buffer.from(`${before}${sep}${JSON.stringify(rec)}\n`));
}

/** A deploy id: UTC time and a random suffix, lowercase (usable in Docker tags). */
export function newDeployId(now: Date, random: Buffer): string {
  const t = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "z").toLowerCase();
  return `${t}-${random.toString("hex").slice(0, 4)}`;
}

/** The tag that keeps a service's previous image for rollback. */
export function previousTag(project: string, service: string, deployId: string): string {
  const clean = (s: string): string => s.toLowerCase().replace(/[^a-z0-9_.-]/g, "-");
  return `doodba-ops/${clean(project)}-${clean(service)}:previous-${deployId}`;
}
