import { randomBytes } from "node:crypto";
import { nodeExec, type Exec } from "./exec.js";
import { nodeFs, type Fs } from "./fs.js";
import { keepYoungGenerationSmall } from "./memory.js";

/** Effects handed to the core. Tests swap members. */
export interface Platform {
  fs: Fs;
  /** Process environment used for compose interpolation (overrides .env, as Docker Compose does). */
  environ: Record<string, string | undefined>;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
  /**
   * Cryptographically strong random bytes (crypto.randomBytes): secrets of `init`. Optional so
   * that read-only doubles need not provide it; tests pass a deterministic double.
   */
  randomBytes?: (n: number) => Buffer;
  /** External processes (pg_dump, psql, docker, age). Optional for read-only doubles. */
  exec?: Exec;
  /** "Now", for anything date-dependent. @default () => new Date() */
  now?: () => Date;
  /**
   * Called before a command that streams gigabytes (backup): keeps the process's memory flat
   * (memory.ts). Optional: test doubles and library users leave their runtime alone.
   */
  limitHeapGrowth?: () => void;
}

export function nodePlatform(): Platform {
  return {
    fs: nodeFs,
    environ: process.env,
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    isTTY: Boolean(process.stdout.isTTY),
    randomBytes: (n) => randomBytes(n),
    exec: nodeExec,
    now: () => new Date(),
    limitHeapGrowth: keepYoungGenerationSmall,
  };
}

export type { Fs } from "./fs.js";
export type { Exec, ExecOptions, ExecResult, StreamingProcess } from "./exec.js";
