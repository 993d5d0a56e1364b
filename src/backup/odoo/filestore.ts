/**
 * Odoo's filestore on disk: `<data_dir>/filestore/<db>/<sha1[:2]>/<sha1>` (ir_attachment.store_fname
 * holds the relative part). Odoo 17 also keeps empty `checklist/<xx>/<sha1>` marker files for its
 * garbage collector; they are files like any other here and are kept.
 *
 * Restores are written into a staging directory next to the target and renamed into place at
 * the end, so Odoo never sees half a filestore and a failed restore leaves the old one intact.
 */
import { createHash, type Hash } from "node:crypto";
import { Transform, type Readable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { UserError } from "../../errors.js";
import type { ProgressSink } from "../types.js";
import { filesOf, joinPath, walkFiles, type BackupPlatform, type FileIO } from "./files.js";

/** Where Odoo keeps the files of database `db` (tools/config.py `filestore(dbname)`). */
export function filestoreDir(dataDir: string, db: string): string {
  return joinPath(dataDir.replace(/\/+$/, ""), "filestore", db);
}

/** Files up to this size are written with synchronous calls (FileIO.openWrite `small`). */
const SMALL_FILE = 256 << 10;

const CONTENT_ADDRESSED = /^[0-9a-f]{2}\/([0-9a-f]{40})$/;

/**
 * A relative path inside a filestore, made safe: no absolute paths, no "..", no empty or "."
 * segments, no backslashes or NUL (a crafted zip must not write outside the target: zip-slip).
 */
export function safeRelPath(p: string, what = "filestore entry"): string {
  const bad = p.length === 0 || p.startsWith("/") || p.includes("\\") || p.includes("\0") || p.split("/").some((seg) => seg === "" || seg === "." || seg === "..");
  if (bad) throw new UserError(`unsafe path in ${what}: ${JSON.stringify(p)}`, { hint: "The backup is damaged or crafted; nothing was written outside the target." });
  return p;
}

/** True for `<xx>/<sha1>` names whose content must hash to the name. */
export function isContentAddressed(path: string): boolean {
  const m = CONTENT_ADDRESSED.exec(path);
  return m !== null && path.startsWith(m[1]?.slice(0, 2) ?? "");
}

export interface LocalFile {
  /** Relative to the filestore root, with "/". */
  path: string;
  abs: string;
  size: number;
  mtimeMs: number;
  mode: number;
}

/** Every file of a filestore directory, sorted by path (empty when the directory is absent). */
export async function* listFilestore(io: FileIO, dir: string): AsyncGenerator<LocalFile> {
  for await (const f of walkFiles(io, dir)) {
    const st = await io.stat(f.abs);
    if (st?.isFile) yield { path: f.path, abs: f.abs, size: st.size, mtimeMs: st.mtimeMs, mode: st.mode };
  }
}

export interface FilestoreWriterOptions {
  /** The final directory, usually {@link filestoreDir}(data_dir, db). */
  dir: string;
  /** Replace an existing, non-empty directory (the caller has confirmed). @default false */
  force?: boolean;
  /**
   * Owner of everything written. @default when running as root: the owner of the nearest existing
   * parent (a Doodba volume belongs to the container's odoo user, uid 1000; root-owned files
   * there would make Odoo fail to write attachments). Otherwise the current user.
   */
  owner?: { uid: number; gid: number };
  /**
   * Check that `<xx>/<sha1>` files hash to their name (one more hash pass over the data). Worth it
   * for files of unknown origin (an Odoo zip: its CRC-32 is weak); redundant for a repository
   * restore, whose objects are already verified by sha256. @default false
   */
  verifySha1?: boolean;
  progress?: ProgressSink;
}

export interface FilestoreRestoreResult {
  dir: string;
  files: number;
  bytes: number;
  /** An existing filestore was replaced. */
  replaced: boolean;
  /** Content-addressed files whose content does not hash to their name (with verifySha1). */
  sha1Mismatches: string[];
}

export interface FilestoreWriter {
  readonly stagingDir: string;
  /** Writes one file (relative path) from a stream. Safe to call concurrently. sha1 only when verifying. */
  write(path: string, body: Readable, meta?: { mtimeMs?: number }): Promise<{ size: number; sha1?: string }>;
  /**
   * Writes one file from chunks that `produce` hands to its sink, one at a time (each chunk may
   * be reused once the sink's promise settles): the fast path of a repository restore, without a
   * stream per file. Safe to call concurrently.
   */
  writeChunks(path: string, produce: (sink: (chunk: Buffer) => Promise<void>) => Promise<void>, meta?: { mtimeMs?: number; size?: number }): Promise<{ size: number; sha1?: string }>;
  /** Moves the staged filestore into place (replacing the old one when forced). */
  commit(): Promise<FilestoreRestoreResult>;
  /** Drops the staged files; the target is untouched. */
  abort(): Promise<void>;
}

/** Refuses a non-empty existing target unless forced. */
export async function checkFilestoreTarget(io: FileIO, dir: string, force: boolean): Promise<boolean> {
  const st = await io.stat(dir);
  if (!st) return false;
  if (!st.isDirectory) throw new UserError(`${dir} exists and is not a directory`);
  const nonEmpty = (await io.readdir(dir)).length > 0;
  if (nonEmpty && !force) {
    throw new UserError(`filestore ${dir} already exists and is not empty`, {
      hint: "Restore under another name (--as), or replace it with --force (asks for confirmation).",
    });
  }
  return nonEmpty;
}

async function nearestOwner(io: FileIO, dir: string): Promise<{ uid: number; gid: number } | undefined> {
  let p = dir;
  for (;;) {
    const st = await io.stat(p);
    if (st) return { uid: st.uid, gid: st.gid };
    const parent = p.replace(/\/[^/]*$/, "");
    if (parent === p || parent === "") return undefined;
    p = parent;
  }
}

class HashCount extends Transform {
  readonly hash: Hash | undefined;
  size = 0;
  constructor(hashing: boolean) {
    super();
    this.hash = hashing ? createHash("sha1") : undefined;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash?.update(chunk);
    this.size += chunk.length;
    cb(null, chunk);
  }
}

export async function openFilestoreWriter(platform: BackupPlatform, opts: FilestoreWriterOptions): Promise<FilestoreWriter> {
  const io = await filesOf(platform);
  const dir = opts.dir.replace(/\/+$/, "");
  const parent = dir.replace(/\/[^/]*$/, "") || "/";
  const name = dir.slice(parent.length + 1);
  await checkFilestoreTarget(io, dir, Boolean(opts.force));
  const wanted = opts.owner ?? (io.uid() === 0 ? await nearestOwner(io, parent) : undefined);
  // files are created as this process: no chown call per file when that is already the owner
  const owner = wanted && !(wanted.uid === io.uid() && wanted.gid === io.gid()) ? wanted : undefined;
  const madeParents = await mkdirsOwned(io, parent, owner);
  const staging = await io.mkdtemp(`.${name}.restoring-`, parent);
  if (owner) await io.chown(staging, owner.uid, owner.gid);
  const dirsMade = new Set<string>([""]);
  const mismatches: string[] = [];
  let files = 0;
  let bytes = 0;
  let finished = false;

  async function ensureDir(rel: string): Promise<void> {
    if (dirsMade.has(rel)) return;
    const segs = rel.split("/");
    for (let i = 1; i <= segs.length; i++) {
      const sub = segs.slice(0, i).join("/");
      if (dirsMade.has(sub)) continue;
      await io.mkdirp(joinPath(staging, sub), 0o755);
      if (owner) await io.chown(joinPath(staging, sub), owner.uid, owner.gid);
      dirsMade.add(sub);
    }
  }

  return {
    stagingDir: staging,
    async write(path, body, meta) {
      if (finished) throw new Error("filestore writer already committed or aborted");
      const rel = safeRelPath(path);
      const slash = rel.lastIndexOf("/");
      if (slash > 0) await ensureDir(rel.slice(0, slash));
      const abs = joinPath(staging, rel);
      const hc = new HashCount(opts.verifySha1 === true && isContentAddressed(rel));
      await pipeline(body, hc, io.createWriteStream(abs, { mode: 0o644 }));
      if (owner) await io.chown(abs, owner.uid, owner.gid);
      if (meta?.mtimeMs !== undefined) await io.utimes(abs, new Date(meta.mtimeMs));
      const sha1 = hc.hash?.digest("hex");
      if (sha1 !== undefined && !rel.endsWith(sha1)) mismatches.push(rel);
      files += 1;
      bytes += hc.size;
      opts.progress?.({ phase: "filestore", doneItems: files, doneBytes: bytes });
      return { size: hc.size, sha1 };
    },
    async writeChunks(path, produce, meta) {
      if (finished) throw new Error("filestore writer already committed or aborted");
      const rel = safeRelPath(path);
      const slash = rel.lastIndexOf("/");
      if (slash > 0) await ensureDir(rel.slice(0, slash));
      const hash = opts.verifySha1 === true && isContentAddressed(rel) ? createHash("sha1") : undefined;
      const fh = await io.openWrite(joinPath(staging, rel), 0o644, { small: meta?.size !== undefined && meta.size <= SMALL_FILE });
      let size = 0;
      try {
        await produce(async (chunk) => {
          hash?.update(chunk);
          await fh.write(chunk);
          size += chunk.length;
        });
        if (owner) await fh.chown(owner.uid, owner.gid);
        if (meta?.mtimeMs !== undefined) await fh.utimes(new Date(meta.mtimeMs));
      } finally {
        await fh.close();
      }
      const sha1 = hash?.digest("hex");
      if (sha1 !== undefined && !rel.endsWith(sha1)) mismatches.push(rel);
      files += 1;
      bytes += size;
      opts.progress?.({ phase: "filestore", doneItems: files, doneBytes: bytes });
      return { size, sha1 };
    },
    async commit() {
      if (finished) throw new Error("filestore writer already committed or aborted");
      finished = true;
      let replaced = false;
      const existing = await io.stat(dir);
      if (existing) {
        // force was checked at open; an empty directory is simply replaced
        const aside = `${parent}/.${name}.replaced-${Date.now().toString(36)}`;
        await io.rename(dir, aside);
        await io.rename(staging, dir);
        await io.rm(aside);
        replaced = true;
      } else {
        await io.rename(staging, dir);
      }
      return { dir, files, bytes, replaced, sha1Mismatches: mismatches.sort() };
    },
    async abort() {
      if (finished) return;
      finished = true;
      await io.rm(staging);
      for (const d of madeParents.reverse()) if ((await io.readdir(d)).length === 0) await io.rm(d);
    },
  };
}

/** mkdir -p that gives new directories to `owner`; returns the directories it created (outermost first). */
async function mkdirsOwned(io: FileIO, dir: string, owner: { uid: number; gid: number } | undefined): Promise<string[]> {
  const missing: string[] = [];
  let p = dir;
  while (p && p !== "/" && !(await io.stat(p))) {
    missing.unshift(p);
    p = p.replace(/\/[^/]*$/, "");
  }
  for (const d of missing) {
    await io.mkdirp(d, 0o755);
    if (owner) await io.chown(d, owner.uid, owner.gid);
  }
  return missing;
}

/** Restores a whole local filestore directory (e.g. `cp -r` semantics with staging and checks). */
export async function copyFilestore(platform: BackupPlatform, from: string, opts: FilestoreWriterOptions): Promise<FilestoreRestoreResult> {
  const io = await filesOf(platform);
  const w = await openFilestoreWriter(platform, opts);
  try {
    for await (const f of listFilestore(io, from)) await w.write(f.path, io.createReadStream(f.abs), { mtimeMs: f.mtimeMs });
    return await w.commit();
  } catch (e) {
    await w.abort();
    throw e;
  }
}
