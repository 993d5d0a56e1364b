/** Small helpers shared by the live probes: masking, error text, bounded process runs. */
import type { Exec, ExecResult } from "../../platform/exec.js";
import type { DoctorFinding, DoctorSeverity, ProbeResult } from "../types.js";

import { maskUrls } from "../../platform/mask.js";

export { maskUrls };

/** Masks connection strings, then every known secret value (e.g. the password of --db) wherever it appears. */
export function mask(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = maskUrls(text);
  for (const s of secrets) {
    if (!s || s.length < 3) continue;
    out = out.split(s).join("***");
    const enc = encodeURIComponent(s);
    if (enc !== s) out = out.split(enc).join("***");
  }
  return out;
}

/** One line from an error: its message (first line), without stack. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const msg = err.message.split("\n")[0] ?? "";
    if (typeof code === "string" && !msg.includes(code) && /^[A-Z_]+$/.test(code)) return msg ? `${msg} (${code})` : code;
    return msg || (typeof code === "string" ? code : err.name);
  }
  return String(err);
}

/** First meaningful line of a process's stderr (the docker CLI's "Cannot connect to ..." message). */
export function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l.length > 0 && l !== "null") ?? ""
  );
}

export function probe(id: string, title: string, status: ProbeResult["status"], detail: string, evidence?: Record<string, unknown>): ProbeResult {
  return evidence ? { id, title, status, detail, evidence } : { id, title, status, detail };
}

export function finding(
  id: string,
  severity: DoctorSeverity,
  title: string,
  evidence: string[],
  cause: string,
  fix: string,
  count?: number,
): DoctorFinding {
  const f: DoctorFinding = { id, severity, title, evidence, cause, fix, origin: "probe" };
  if (count !== undefined) f.count = count;
  return f;
}

/**
 * Runs a process to completion with a deadline (the docker CLI can hang on an unreachable
 * remote engine). On timeout the process is killed and exitCode is 124, like timeout(1).
 */
export async function runBounded(exec: Exec, cmd: string, args: readonly string[], opts: { env?: Record<string, string | undefined>; timeoutMs: number }): Promise<ExecResult> {
  const proc = await exec.spawn(cmd, args, { env: opts.env });
  proc.stdin.end();
  const chunks: Buffer[] = [];
  proc.stdout.on("data", (c: Buffer | string) => chunks.push(typeof c === "string" ? Buffer.from(c) : c));
  const stdoutDone = new Promise<void>((resolve) => {
    proc.stdout.on("end", () => resolve());
    proc.stdout.on("close", () => resolve());
    proc.stdout.on("error", () => resolve());
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), opts.timeoutMs);
  });
  const r = await Promise.race([proc.done, timeout]);
  if (timer) clearTimeout(timer);
  if (r === "timeout") {
    proc.kill();
    return { stdout: Buffer.concat(chunks).toString("utf8"), stderr: `timed out after ${Math.round(opts.timeoutMs / 1000)} s`, exitCode: 124 };
  }
  await stdoutDone;
  return { stdout: Buffer.concat(chunks).toString("utf8"), stderr: r.stderr, exitCode: r.exitCode };
}

/** Seconds -> "2 d 3 h", "5 min 10 s", "42 s". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  if (s < 86400) return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ""}`;
  return `${Math.floor(s / 86400)} d${Math.floor((s % 86400) / 3600) ? ` ${Math.floor((s % 86400) / 3600)} h` : ""}`;
}
