import { nodeFs, type Fs } from "./fs.js";

/** Effects handed to the core. Tests swap members. */
export interface Platform {
  fs: Fs;
  /** Process environment used for compose interpolation (overrides .env, as Docker Compose does). */
  environ: Record<string, string | undefined>;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  isTTY: boolean;
}

export function nodePlatform(): Platform {
  return {
    fs: nodeFs,
    environ: process.env,
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    isTTY: Boolean(process.stdout.isTTY),
  };
}

export type { Fs } from "./fs.js";
