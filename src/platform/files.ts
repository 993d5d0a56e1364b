/**
 * Streaming and bulk access to local files, for what is far too big for `Fs` (which reads and
 * writes whole UTF-8 texts): filestores, pg_dump directory dumps, Odoo zip files, spooled dumps.
 *
 * Two parts: the {@link FileIO} interface and its Node implementation {@link nodeFiles}, which
 * the backup core reaches through `filesOf(platform)` (src/backup/odoo/files.ts; a test can put
 * its own FileIO on the platform); and a few direct helpers for the repository's local filestore
 * pass (walk, read a small file, write a file atomically).
 *
 * The synchronous calls here are deliberate and measured (bench/README.md): for small files in
 * the page cache, libuv's thread-pool round trips cost more CPU than the system calls.
 */
import { closeSync, createReadStream, createWriteStream, fchownSync, futimesSync, lstatSync, openSync, promises as fsp, readdirSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Readable, Writable } from "node:stream";

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
   * calls on the calling thread (see openWriteSync below).
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

/**
 * A small file written with synchronous calls on the main thread. Restoring 18,000 thumbnails
 * through the libuv thread pool spent more CPU handing the four calls per file to a thread and
 * back (futex wake-ups, promise and FileHandle objects) than on the page-cache copies: measured
 * on a 20,000-file filestore, 28% less CPU in all with synchronous calls. Only for small files,
 * so the event loop is never held for long.
 */
function openWriteSync(path: string, mode: number): WriteHandle {
  const fd = openSync(path, "w", mode);
  let open = true;
  return {
    write: async (buf) => {
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
    },
    utimes: async (mtime) => {
      futimesSync(fd, mtime, mtime);
    },
    chown: async (uid, gid) => {
      fchownSync(fd, uid, gid);
    },
    close: async () => {
      if (open) {
        open = false;
        closeSync(fd);
      }
    },
  };
}

/** The Node implementation of {@link FileIO}. */
export const nodeFiles: FileIO = {
  createReadStream: (path, range) => createReadStream(path, range ? { start: range.start, end: range.end } : {}),
  openWrite: async (path, mode, opts) => {
    if (opts?.small) return openWriteSync(path, mode);
    const fh = await fsp.open(path, "w", mode);
    return {
      write: async (buf) => {
        for (let off = 0; off < buf.length; ) {
          const { bytesWritten } = await fh.write(buf, off, buf.length - off);
          off += bytesWritten;
        }
      },
      utimes: async (mtime) => {
        await fh.utimes(mtime, mtime);
      },
      chown: async (uid, gid) => {
        await fh.chown(uid, gid);
      },
      close: async () => {
        await fh.close();
      },
    };
  },
  createWriteStream: (path, opts) => createWriteStream(path, { mode: opts?.mode ?? 0o644 }),
  fsync: async (path) => {
    const fh = await fsp.open(path, "r");
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
  stat: async (path) => {
    try {
      const s = await fsp.stat(path);
      return { size: s.size, mtimeMs: s.mtimeMs, mode: s.mode, uid: s.uid, gid: s.gid, isFile: s.isFile(), isDirectory: s.isDirectory() };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
  },
  readdir: async (path) => {
    try {
      const entries = await fsp.readdir(path, { withFileTypes: true });
      return entries.map((d) => ({ name: d.name, isFile: d.isFile(), isDirectory: d.isDirectory() }));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
  },
  mkdirp: async (path, mode) => {
    await fsp.mkdir(path, { recursive: true, mode });
  },
  mkdtemp: async (prefix, parent) => await fsp.mkdtemp(join(parent ?? tmpdir(), prefix)),
  rename: async (from, to) => {
    await fsp.rename(from, to);
  },
  rm: async (path) => {
    await fsp.rm(path, { recursive: true, force: true });
  },
  chown: async (path, uid, gid) => {
    await fsp.lchown(path, uid, gid);
  },
  utimes: async (path, mtime) => {
    await fsp.utimes(path, mtime, mtime);
  },
  openRandomAccess: async (path) => {
    const fh = await fsp.open(path, "r");
    const { size } = await fh.stat();
    return {
      size,
      read: async (buffer, offset, length, position) => (await fh.read(buffer, offset, length, position)).bytesRead,
      close: async () => {
        await fh.close();
      },
    };
  },
  tmpdir: () => tmpdir(),
  uid: () => process.getuid?.() ?? -1,
  gid: () => process.getgid?.() ?? -1,
};

// ---------------------------------------------------------------------------------------------
// The repository's local filestore pass

export interface WalkedFile {
  /** '/'-separated path relative to the walked root. */
  path: string;
  size: number;
  mtimeMs: number;
}

export interface WalkResult {
  files: WalkedFile[];
  /** Entries that are neither regular files nor directories (symlinks, sockets...), skipped. */
  skipped: string[];
}

/**
 * All regular files under `root`, sorted by path (byte order), with size and mtime. Does not follow symlinks.
 *
 * Each directory is read and its entries lstat-ed with synchronous calls, yielding to the event
 * loop between directories. An incremental backup's filestore phase is mostly this walk; with one
 * promise per lstat through libuv's thread pool it took 540-880 ms for 20,000 files, against about
 * 110 ms this way (bench/README.md). Holding the loop for one directory at a time keeps a
 * concurrent dump streaming.
 */
export async function walkLocalFiles(root: string): Promise<WalkResult> {
  const files: WalkedFile[] = [];
  const skipped: string[] = [];
  const walk = async (dir: string, rel: string): Promise<void> => {
    const entries = readdirSync(dir, { withFileTypes: true });
    const subdirs: [string, string][] = [];
    for (const ent of entries) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      const p = join(dir, ent.name);
      if (ent.isDirectory()) subdirs.push([p, r]);
      else if (ent.isFile()) {
        let st;
        try {
          st = lstatSync(p);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "ENOENT") continue; // removed since the listing (Odoo's GC)
          throw e;
        }
        files.push({ path: r, size: st.size, mtimeMs: st.mtimeMs });
      } else skipped.push(r);
    }
    for (const [p, r] of subdirs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      await walk(p, r);
    }
  };
  await walk(root, "");
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  skipped.sort();
  return { files, skipped };
}

/** Reads a whole (small) file; refuses more than `max` bytes (a file that grew since it was listed). */
export async function readSmallFile(path: string, max: number): Promise<Buffer> {
  const fh = await fsp.open(path, "r");
  try {
    const st = await fh.stat();
    if (st.size > max) throw Object.assign(new Error(`${path} grew to ${st.size} bytes while being backed up`), { code: "EGREW" });
    const buf = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < st.size) {
      const { bytesRead } = await fh.read(buf, off, st.size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return off === st.size ? buf : buf.subarray(0, off);
  } finally {
    await fh.close();
  }
}

export function fileStream(path: string): Readable {
  return createReadStream(path, { highWaterMark: 1 << 20 });
}

/**
 * Writes a file from a stream through a temp file and a rename (never a half-written file at
 * `path`), then sets its mtime when given. The temp file is removed when anything fails.
 */
export async function writeFileAtomic(path: string, source: Readable | AsyncIterable<Buffer>, opts: { mtimeMs?: number; mode?: number } = {}): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${randomBytes(6).toString("hex")}.doodba-ops-restore`);
  // The temp file is created before the source is read: with a stream opened lazily, a source
  // that failed at once (a corrupt object) was cleaned up before the stream had created the file,
  // which then stayed behind.
  const fh = await fsp.open(tmp, "wx", opts.mode ?? 0o644);
  try {
    try {
      for await (const chunk of source) {
        const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        for (let off = 0; off < b.length; ) off += (await fh.write(b, off, b.length - off)).bytesWritten;
      }
      if (opts.mtimeMs !== undefined) {
        const t = new Date(opts.mtimeMs);
        await fh.utimes(t, t);
      }
    } finally {
      await fh.close();
    }
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

export async function mkdirp(path: string): Promise<void> {
  await fsp.mkdir(path, { recursive: true });
}
