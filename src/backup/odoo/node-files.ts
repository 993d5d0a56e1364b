/**
 * The Node implementation of {@link FileIO}. This is an adapter (it belongs with
 * src/platform/fs.ts, see files.ts); nothing else in src/backup/odoo imports node:fs.
 */
import { createReadStream, createWriteStream, promises as fsp } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FileIO } from "./files.js";

export const nodeFiles: FileIO = {
  createReadStream: (path, range) => createReadStream(path, range ? { start: range.start, end: range.end } : {}),
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
