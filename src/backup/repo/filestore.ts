/**
 * Filestore backup and restore on top of the repository. Odoo's filestore is content-addressed
 * (<sha1[:2]>/<sha1>) and its files never change in place, so a file whose path, size and mtime
 * match the previous snapshot is reused without being read: the second backup of a filestore
 * where 1% changed reads and uploads that 1%, plus one directory walk.
 */
import { join } from "node:path";
import type { FilestoreEntry, ProgressSink } from "../types.js";
import { fileStream, readSmallFile, walkLocalFiles, writeFileAtomic, mkdirp, type WalkResult } from "../../platform/files.js";
import { mapLimit } from "./limit.js";
import { isSafeRelativePath, type Repo } from "./repo.js";

export interface FilestoreStats {
  files: number;
  /** Plaintext bytes of the filestore. */
  bytes: number;
  /** Bytes actually read (changed and new files). */
  bytesRead: number;
  /** Bytes written to the store (compressed, encrypted). */
  bytesUploaded: number;
  newObjects: number;
  newBytes: number;
  reusedObjects: number;
  /** Files reused by path+size+mtime without reading. */
  unchangedFiles: number;
  /** Non-regular entries (symlinks, sockets) that were skipped. */
  skipped: string[];
  seconds: number;
}

export interface FilestoreBackup {
  files: FilestoreEntry[];
  totalBytes: number;
  stats: FilestoreStats;
}

function throttled(progress: ProgressSink | undefined, everyMs = 100): ProgressSink {
  let last = 0;
  return (p) => {
    const t = Date.now();
    const final = p.totalItems !== undefined && p.doneItems === p.totalItems;
    if (progress && (final || t - last >= everyMs)) {
      last = t;
      progress(p);
    }
  };
}

/** What a backup of a filestore will have to read: the walk, compared with the previous snapshot. */
export interface FilestoreScan {
  dir: string;
  files: WalkResult["files"];
  skipped: string[];
  totalBytes: number;
  /** Files (and their bytes) that are new or changed since `previous`, i.e. that must be read. */
  changedFiles: number;
  changedBytes: number;
  previous: Map<string, FilestoreEntry>;
  seconds: number;
}

/** Walks `dir` and compares it with the previous snapshot's entries (path, size, mtime), reading no file. */
export async function scanFilestore(dir: string, previous?: readonly FilestoreEntry[]): Promise<FilestoreScan> {
  const started = Date.now();
  const { files, skipped } = await walkLocalFiles(dir);
  const prev = new Map((previous ?? []).map((e) => [e.path, e]));
  let totalBytes = 0;
  let changedFiles = 0;
  let changedBytes = 0;
  for (const f of files) {
    totalBytes += f.size;
    const p = prev.get(f.path);
    if (!p || p.size !== f.size || p.mtimeMs !== f.mtimeMs || p.object.size !== f.size) {
      changedFiles++;
      changedBytes += f.size;
    }
  }
  return { dir, files, skipped, totalBytes, changedFiles, changedBytes, previous: prev, seconds: (Date.now() - started) / 1000 };
}

/**
 * Backs up every regular file under `dir` (sorted by path). `previous` is the previous snapshot's
 * file list of the same filestore; matching files are not read. Hashing, compression, encryption and
 * upload run `repo.concurrency` files at a time within the repository's memory budget. A scan made
 * beforehand ({@link scanFilestore}) may be passed instead of walking again.
 */
export async function backupFilestore(repo: Repo, dir: string, previous?: readonly FilestoreEntry[], progress?: ProgressSink, scanned?: FilestoreScan): Promise<FilestoreBackup> {
  const started = Date.now() - (scanned ? scanned.seconds * 1000 : 0);
  const before = { ...repo.counters };
  const scan = scanned ?? (await scanFilestore(dir, previous));
  const { files, skipped, totalBytes } = scan;
  const prev = scan.previous;
  // a first backup makes many new objects: one listing beats one existence check per object
  if (prev.size === 0) await repo.preloadIndex();
  const report = throttled(progress);
  let doneItems = 0;
  let doneBytes = 0;
  const entries = await mapLimit(files, repo.concurrency, async (f): Promise<FilestoreEntry> => {
    const abs = join(dir, ...f.path.split("/"));
    const { object } = await repo.putFile(
      f,
      { small: (max) => readSmallFile(abs, max), stream: () => fileStream(abs) },
      prev.get(f.path),
    );
    doneItems++;
    doneBytes += f.size;
    report({ phase: "filestore", doneItems, totalItems: files.length, doneBytes, totalBytes });
    // the size recorded is the content's: a file that changed while being read is re-read next time
    return { path: f.path, size: object.size, mtimeMs: f.mtimeMs, object };
  });
  if (files.length === 0) report({ phase: "filestore", doneItems: 0, totalItems: 0, doneBytes: 0, totalBytes: 0 });
  const c = repo.counters;
  return {
    files: entries,
    totalBytes,
    stats: {
      files: files.length,
      bytes: totalBytes,
      bytesRead: c.bytesRead - before.bytesRead,
      bytesUploaded: c.bytesUploaded - before.bytesUploaded,
      newObjects: c.newObjects - before.newObjects,
      newBytes: c.newBytes - before.newBytes,
      reusedObjects: c.reusedObjects - before.reusedObjects,
      unchangedFiles: c.unchangedFiles - before.unchangedFiles,
      skipped,
      seconds: (Date.now() - started) / 1000,
    },
  };
}

/**
 * Restores filestore files into `destDir` (created when missing), each through a temp file and a
 * rename, with its recorded mtime (so a backup of the restored filestore against the same snapshot
 * reads nothing). Every file is verified against its hash while it is written. Paths are checked to
 * stay inside `destDir`.
 */
export async function restoreFilestore(
  repo: Repo,
  files: readonly FilestoreEntry[],
  destDir: string,
  progress?: ProgressSink,
): Promise<{ files: number; bytes: number; seconds: number }> {
  const started = Date.now();
  for (const f of files) if (!isSafeRelativePath(f.path)) throw new Error(`refusing unsafe filestore path ${JSON.stringify(f.path)}`);
  await mkdirp(destDir);
  const totalBytes = files.reduce((a, f) => a + f.object.size, 0);
  const report = throttled(progress);
  let doneItems = 0;
  let doneBytes = 0;
  await mapLimit(files, repo.concurrency, async (f) => {
    await writeFileAtomic(join(destDir, ...f.path.split("/")), repo.readObject(f.object), { mtimeMs: f.mtimeMs });
    doneItems++;
    doneBytes += f.object.size;
    report({ phase: "restore filestore", doneItems, totalItems: files.length, doneBytes, totalBytes });
  });
  return { files: files.length, bytes: totalBytes, seconds: (Date.now() - started) / 1000 };
}
