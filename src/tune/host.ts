/**
 * The machine to size for: this host (os.cpus / os.totalmem), or the Docker engine's view of
 * its host (`docker info`: NCPU, MemTotal, run through the platform's Exec), or what the user
 * states (`--cpus`, `--memory`).
 */
import { cpus as osCpus, totalmem } from "node:os";
import { UserError } from "../errors.js";
import type { Exec } from "../platform/exec.js";

export interface HostInput {
  cpus: number;
  memoryBytes: number;
  /** Where the numbers come from, for the report: "--cpus/--memory", "this host", "docker info". */
  source: string;
}

/** This machine, as Node sees it. */
export function hostFromOs(): HostInput {
  return { cpus: Math.max(1, osCpus().length), memoryBytes: totalmem(), source: "this host (os.cpus, os.totalmem)" };
}

/** `docker info --format '{{json .}}'` output -> CPUs and memory of the engine's host. */
export function parseDockerInfo(stdout: string): { cpus: number; memoryBytes: number; name?: string } | undefined {
  let data: unknown;
  try {
    data = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (typeof data !== "object" || data === null) return undefined;
  const d = data as Record<string, unknown>;
  const cpus = typeof d.NCPU === "number" ? d.NCPU : undefined;
  const mem = typeof d.MemTotal === "number" ? d.MemTotal : undefined;
  if (!cpus || !mem || cpus < 1 || mem <= 0) return undefined;
  return { cpus, memoryBytes: mem, name: typeof d.Name === "string" && d.Name !== "" ? d.Name : undefined };
}

/**
 * The Docker engine's host. `docker info` prints a JSON document with zeros (and exits 1) when
 * no daemon answers: that is a UserError naming the daemon's complaint.
 */
export async function hostFromDocker(exec: Exec | undefined): Promise<HostInput> {
  if (!exec) throw new Error("the platform has no exec(): cannot run docker info");
  const hint = "Start the Docker engine (or set DOCKER_HOST / the docker context to the engine you deploy to), or give the size with --cpus N --memory 8GiB.";
  if (!(await exec.which("docker"))) {
    throw new UserError("--from-docker: the docker command is not installed here", { hint });
  }
  const r = await exec.run("docker", ["info", "--format", "{{json .}}"]);
  const info = parseDockerInfo(r.stdout.trim());
  if (r.exitCode !== 0 || !info) {
    const why = r.stderr.split("\n").map((l) => l.trim()).find((l) => l !== "") ?? `docker info exited with ${r.exitCode}`;
    throw new UserError(`--from-docker: no Docker engine answered: ${why}`, { hint, next: "docker info" });
  }
  return { cpus: info.cpus, memoryBytes: info.memoryBytes, source: `docker info${info.name ? ` (${info.name})` : ""}` };
}

/**
 * A size as the user writes it: "8GiB", "8g", "8GB", "512m", "1.5G" (binary units, like
 * Docker's: GB means GiB); a bare number is GiB.
 */
export function parseMemory(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) {
    throw new UserError(`--memory must be a size such as 8GiB, 16g or 4096m (got "${text}")`);
  }
  const n = Number.parseFloat(m[1] ?? "0");
  const unit = (m[2] ?? "").toLowerCase();
  const mult: Record<string, number> = { "": 1024 ** 3, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  // A bare number is GiB; "512b" would be bytes, which no one means.
  const bytes = unit === "" && m[3] ? n : n * (mult[unit] ?? 1);
  if (!(bytes >= 1024 ** 3 / 4)) throw new UserError(`--memory ${text} is less than 256 MiB: too little to run Odoo`);
  return Math.round(bytes);
}
