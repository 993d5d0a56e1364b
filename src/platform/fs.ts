/** File-system adapter. The core never imports node:fs; it asks a {@link Fs}. */
import { promises as fsp, existsSync, readFileSync, readdirSync, realpathSync, statSync, lstatSync } from "node:fs";

export interface DirEntry {
  name: string;
  isFile: boolean;
  isDirectory: boolean;
  isSymlink: boolean;
}

export interface Fs {
  /** Reads a UTF-8 file; throws ENOENT-style errors (code property) when missing. */
  readText(path: string): string;
  exists(path: string): boolean;
  isDirectory(path: string): boolean;
  readdir(path: string): DirEntry[];
  writeText(path: string, content: string, mode?: number): Promise<void>;
  /** Resolves symlinks; undefined when the path does not exist. Optional for in-memory doubles. */
  realpath?(path: string): string | undefined;
  /** Creates a directory and its parents (no error when it exists). Optional for read-only doubles. */
  mkdirp?(path: string): Promise<void>;
  /** Sets a file's permission bits. Optional for read-only doubles. */
  chmod?(path: string, mode: number): Promise<void>;
  /** Permission bits of a file (e.g. 0o600); undefined when it does not exist. Optional for doubles. */
  mode?(path: string): number | undefined;
}

/** The real file system (synchronous reads keep the loader simple and fast for small config files). */
export const nodeFs: Fs = {
  readText: (p) => readFileSync(p, "utf8"),
  exists: (p) => existsSync(p),
  isDirectory: (p) => {
    try {
      return statSync(p).isDirectory();
    } catch {
      return false;
    }
  },
  readdir: (p) =>
    readdirSync(p, { withFileTypes: true }).map((d) => {
      let isFile = d.isFile();
      let isDirectory = d.isDirectory();
      const isSymlink = d.isSymbolicLink();
      if (isSymlink) {
        try {
          const st = statSync(`${p}/${d.name}`);
          isFile = st.isFile();
          isDirectory = st.isDirectory();
        } catch {
          // dangling symlink
        }
      }
      return { name: d.name, isFile, isDirectory, isSymlink };
    }),
  realpath: (p) => {
    try {
      return realpathSync(p);
    } catch {
      return undefined;
    }
  },
  mkdirp: async (p) => {
    await fsp.mkdir(p, { recursive: true });
  },
  chmod: async (p, mode) => {
    await fsp.chmod(p, mode);
  },
  mode: (p) => {
    try {
      return statSync(p).mode & 0o7777;
    } catch {
      return undefined;
    }
  },
  writeText: async (p, content, mode) => {
    // write to a temp file then rename: never a half-written file
    const tmp = `${p}.doodba-ops-tmp-${process.pid}`;
    await fsp.writeFile(tmp, content, { mode: mode ?? 0o644 });
    await fsp.rename(tmp, p);
  },
};

export function isSymlink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
