import type { RawFinding, Rule } from "../../types.js";
import { formatBytes, parseBytes, svcPos } from "../../lib/common.js";
import { pgServerServices } from "../../lib/postgres.js";
import { MiB } from "../../lib/sizing.js";

/** Docker's default /dev/shm. */
export const DOCKER_DEFAULT_SHM = 64 * MiB;
export const MIN_PG_SHM = 256 * MiB;

export const rule: Rule = {
  id: "db-shm-too-small",
  category: "performance",
  severity: "warning",
  title: "PostgreSQL container keeps Docker's 64 MB /dev/shm",
  why:
    "PostgreSQL allocates the shared memory of parallel queries (parallel hash joins, sorts, index builds) in /dev/shm, which Docker limits to 64 MB by default. " +
    "Big reports and reconciliations then fail with `could not resize shared memory segment \"/PostgreSQL…\" to N bytes: No space left on device` instead of just running.",
  fix:
    "Give the database container more shared memory: `shm_size: 1g` on the db service (the doodba template uses `4gb`), or in Swarm, where shm_size is ignored, a tmpfs mount on /dev/shm.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  db:\n    image: postgres:16",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const svc of pgServerServices(env)) {
      const shm = shmSize(svc.raw, svc.volumes);
      if (shm === null) continue; // set to something we cannot read
      const size = shm ?? DOCKER_DEFAULT_SHM;
      if (size >= MIN_PG_SHM) continue;
      const pos = env.compose.positions.exact(["services", svc.name, "shm_size"]) ?? svcPos(env, svc.name);
      out.push({
        message:
          shm === undefined
            ? `PostgreSQL service ${svc.name} has no shm_size: /dev/shm stays at Docker's default ${formatBytes(DOCKER_DEFAULT_SHM)}`
            : `PostgreSQL service ${svc.name} has shm_size ${formatBytes(size)}, less than ${formatBytes(MIN_PG_SHM)}`,
        pos,
      });
    }
    return out;
  },
};

/**
 * The container's /dev/shm size: `shm_size`, or the size of a tmpfs mounted on /dev/shm.
 * undefined when unset (Docker's 64 MB); null when it cannot be told (an unreadable value, a tmpfs without
 * size, which gets half the host's RAM).
 */
export function shmSize(raw: Record<string, unknown>, volumes: readonly { type: string; target: string }[]): number | null | undefined {
  const v = raw.shm_size;
  if (typeof v === "number" || typeof v === "string") {
    const n = parseBytes(v);
    return n === undefined ? null : n;
  }
  const tmpfs = volumes.find((m) => m.type === "tmpfs" && m.target.replace(/\/+$/, "") === "/dev/shm");
  if (tmpfs) {
    const list = Array.isArray(raw.volumes) ? (raw.volumes as unknown[]) : [];
    for (const item of list) {
      if (item && typeof item === "object") {
        const o = item as Record<string, unknown>;
        if (o.type === "tmpfs" && typeof o.target === "string" && o.target.replace(/\/+$/, "") === "/dev/shm") {
          const t = o.tmpfs as Record<string, unknown> | undefined;
          const size = t?.size;
          if (typeof size === "number" || typeof size === "string") return parseBytes(size) ?? null;
          return null; // tmpfs without size: half of the host's RAM
        }
      }
    }
    return null;
  }
  const tmpfsList = raw.tmpfs;
  const entries = typeof tmpfsList === "string" ? [tmpfsList] : Array.isArray(tmpfsList) ? tmpfsList : [];
  for (const e of entries) {
    if (typeof e !== "string") continue;
    const [target, opts] = e.split(":", 2);
    if (target?.replace(/\/+$/, "") !== "/dev/shm") continue;
    const m = /(?:^|,)size=([^,]+)/.exec(opts ?? "");
    return m?.[1] ? (parseBytes(m[1]) ?? null) : null;
  }
  return undefined;
}
