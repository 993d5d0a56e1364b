/**
 * Process adapter: the core runs external tools (pg_dump, pg_restore, psql, docker, age)
 * through an {@link Exec}, never through child_process directly, so tests can swap it and
 * every invocation goes through one place (masking, errors).
 */
import type { Readable, Writable } from "node:stream";
import type * as Execa from "execa";

// execa is loaded on first use: most commands never start a process, and start-up time matters.
async function load(): Promise<typeof Execa> {
  return await import("execa");
}

export interface ExecOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Text or bytes written to stdin. */
  input?: string | Buffer;
  /** Do not inherit the process environment (only `env`). @default false */
  cleanEnv?: boolean;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface StreamingProcess {
  stdin: Writable;
  stdout: Readable;
  /** Resolves when the process exits (never rejects: check exitCode). */
  done: Promise<ExecResult & { stdout: "" }>;
  kill(): void;
}

export interface Exec {
  /** Runs to completion and captures output. Never rejects on a non-zero exit: check exitCode. */
  run(cmd: string, args: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Starts a process whose stdout/stdin are streams (large dumps, pipes). */
  spawn(cmd: string, args: readonly string[], opts?: Omit<ExecOptions, "input">): Promise<StreamingProcess>;
  /** Whether a command is on PATH. */
  which(cmd: string): Promise<boolean>;
}

export const nodeExec: Exec = {
  async run(cmd, args, opts = {}) {
    const { execa } = await load();
    const r = await execa(cmd, [...args], {
      env: opts.env,
      extendEnv: !opts.cleanEnv,
      cwd: opts.cwd,
      input: opts.input,
      reject: false,
      stripFinalNewline: false,
      maxBuffer: 1 << 30,
    });
    return { stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? ""), exitCode: r.exitCode ?? (r.failed ? 127 : 0) };
  },
  async spawn(cmd, args, opts = {}) {
    const { execa } = await load();
    const child = execa(cmd, [...args], { env: opts.env, extendEnv: !opts.cleanEnv, cwd: opts.cwd, reject: false, buffer: { stdout: false, stderr: true }, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    const done = child.then((r) => ({ stdout: "" as const, stderr: String(r.stderr ?? ""), exitCode: r.exitCode ?? (r.failed ? 127 : 0) }));
    if (!child.stdin || !child.stdout) throw new Error(`cannot start ${cmd}: no pipes`);
    return { stdin: child.stdin, stdout: child.stdout, done, kill: () => child.kill() };
  },
  async which(cmd) {
    const { execa } = await load();
    const r = await execa("sh", ["-c", `command -v "$1"`, "sh", cmd], { reject: false });
    return r.exitCode === 0;
  },
};
