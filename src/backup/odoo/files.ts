/**
 * Streaming file access for the Odoo side of backups: filestores, pg_dump directory dumps and
 * Odoo zip files are far too big for `Platform.fs` (which reads and writes whole UTF-8 texts).
 *
 * The core in this folder asks a {@link FileIO}; `filesOf(platform)` returns `platform.files`
 * when the platform carries one (tests swap it) and otherwise the Node implementation of
 * src/platform/files.ts, loaded on first use.
 */
import type { Exec, Platform } from "../../platform/index.js";
import type { FileIO } from "../../platform/files.js";

export type { FileIO, FileStat, RandomAccessFile, WriteHandle } from "../../platform/files.js";

/** A platform that may carry streaming file access. */
export type BackupPlatform = Platform & { files?: FileIO };

let nodeFilesPromise: Promise<FileIO> | undefined;

export async function filesOf(platform: BackupPlatform): Promise<FileIO> {
  if (platform.files) return platform.files;
  nodeFilesPromise ??= import("../../platform/files.js").then((m) => m.nodeFiles);
  return await nodeFilesPromise;
}

export function execOf(platform: Platform): Exec {
  if (!platform.exec) throw new Error("this platform cannot run processes (Platform.exec is missing)");
  return platform.exec;
}

/** Joins POSIX path segments (the filestore and zip names always use "/"). */
export function joinPath(...parts: string[]): string {
  return parts
    .filter((p) => p !== "")
    .join("/")
    .replace(/\/{2,}/g, "/");
}

/**
 * Every file under `root`, depth first, in sorted order, as paths relative to `root` with "/".
 * Directories that disappear while walking are skipped (a running Odoo may garbage-collect).
 */
export async function* walkFiles(io: FileIO, root: string, rel = ""): AsyncGenerator<{ path: string; abs: string }> {
  const dir = rel ? joinPath(root, rel) : root;
  const entries = (await io.readdir(dir)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) yield* walkFiles(io, root, r);
    else if (e.isFile) yield { path: r, abs: joinPath(root, r) };
  }
}
