/**
 * Streaming file access for the Odoo side of backups: filestores, pg_dump directory dumps and
 * Odoo zip files are far too big for `Platform.fs` (which reads and writes whole UTF-8 texts).
 *
 * The core in this folder asks a {@link FileIO}; `filesOf(platform)` returns `platform.files`
 * when the platform carries one (tests swap it) and otherwise the Node implementation in
 * `./node-files.ts`, loaded on first use. That implementation is the one place of
 * src/backup/odoo that touches node:fs; it belongs in src/platform/ (an `Fs` with streams) and
 * moves there unchanged when the platform grows streaming file access.
 */
import type { Readable, Writable } from "node:stream";
import type { Exec, Platform } from "../../platform/index.js";

export interface FileStat {
  size: number;
  mtimeMs: number;
  /** Permission bits and file type, as in `fs.Stats.mode`. */
  mode: number;
  uid: number;
  gid: number;
  isFile: boolean;
  isDirectory: boolean;
}

/** Random access to one file (the zip reader needs the central directory at the end). */
export interface RandomAccessFile {
  readonly size: number;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  close(): Promise<void>;
}

/** A file open for writing from the caller's buffers (restores write many files; no stream per file). */
export interface WriteHandle {
  /** Writes the whole buffer at the current end of the file. */
  write(buf: Buffer): Promise<void>;
  utimes(mtime: Date): Promise<void>;
  chown(uid: number, gid: number): Promise<void>;
  close(): Promise<void>;
}

export interface FileIO {
  createReadStream(path: string, range?: { start: number; end: number }): Readable;
  /**
   * A new file (truncated when present) written through a handle; `mode` applies on creation.
   * `small`: the caller writes little (a thumbnail); the implementation may then do the system
   * calls on the calling thread (see node-files.ts).
   */
  openWrite(path: string, mode: number, opts?: { small?: boolean }): Promise<WriteHandle>;
  /** A new file (truncated when present); `mode` applies on creation. */
  createWriteStream(path: string, opts?: { mode?: number }): Writable;
  /** Flushes a written file to disk (atomic restores fsync before they rename). */
  fsync(path: string): Promise<void>;
  stat(path: string): Promise<FileStat | undefined>;
  /** Names in a directory (not recursive), with their type; [] when it does not exist. */
  readdir(path: string): Promise<{ name: string; isFile: boolean; isDirectory: boolean }[]>;
  mkdirp(path: string, mode?: number): Promise<void>;
  /** A fresh private directory under `parent` (default: the system temp dir). */
  mkdtemp(prefix: string, parent?: string): Promise<string>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file or a whole tree; no error when absent. */
  rm(path: string): Promise<void>;
  chown(path: string, uid: number, gid: number): Promise<void>;
  utimes(path: string, mtime: Date): Promise<void>;
  openRandomAccess(path: string): Promise<RandomAccessFile>;
  /** The system temp directory. */
  tmpdir(): string;
  /** Effective uid of this process (0 when root; ownership of restored files matters then). */
  uid(): number;
  /** Effective gid of this process. */
  gid(): number;
}

/** A platform that may carry streaming file access. */
export type BackupPlatform = Platform & { files?: FileIO };

let nodeFilesPromise: Promise<FileIO> | undefined;

export async function filesOf(platform: BackupPlatform): Promise<FileIO> {
  if (platform.files) return platform.files;
  nodeFilesPromise ??= import("./node-files.js").then((m) => m.nodeFiles);
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
