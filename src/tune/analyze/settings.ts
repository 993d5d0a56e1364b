/**
 * The server's current settings next to the recommendation of the PostgreSQL calculator
 * (src/tune/postgres.ts, pgtune's algorithm) for the RAM and CPUs the user states. Pure.
 *
 * When to call a setting off (documented rules, not pgtune's):
 * - memory sizes (shared_buffers, effective_cache_size, maintenance_work_mem, work_mem,
 *   wal_buffers): below half or above twice the recommendation. Within that band the
 *   difference does not change how the server behaves much; outside it, it does (a cold cache,
 *   sorts spilling to disk, or work_mem x connections exceeding the RAM).
 * - min_wal_size, max_wal_size, effective_io_concurrency: below half (more is harmless).
 * - random_page_cost: more than 0.5 away (4 on an SSD makes the planner avoid indexes).
 * - checkpoint_completion_target, default_statistics_target: below the recommendation.
 * - parallel worker settings (only when --cpus is given): below the recommendation (more
 *   workers than pgtune's CPU count is PostgreSQL's default of 8 and does no harm when idle).
 * - max_connections is never compared here: it follows from Odoo's connection budget
 *   (`doodba-ops tune`), and the live usage is judged by connections-near-limit.
 */
import { tunePostgres, type PgTuneInput } from "../postgres.js";
import type { PgSettingRow } from "./types.js";

export type SettingStatus = "ok" | "low" | "high" | "differs" | "not-compared";

export interface SettingComparison {
  name: string;
  /** As PostgreSQL prints it (current_setting). */
  current: string;
  /** What pgtune's algorithm gives, when the memory is known. */
  recommended: string | null;
  status: SettingStatus;
  /** Why it is compared the way it is, or why it is not. */
  rule: string;
  /** true when changing it needs a server restart (pg_settings.context = postmaster). */
  restart: boolean;
  /** Where the current value comes from (default, configuration file, command line...). */
  source: string;
}

export interface RecommendationBasis {
  memoryBytes: number;
  /** undefined: not given; parallel settings are then not compared. */
  cpus?: number;
  storage: NonNullable<PgTuneInput["storage"]>;
  /** The server's own max_connections, used for work_mem. */
  maxConnections: number;
  /** PostgreSQL major the recommendation is for. */
  version: number;
}

/** Settings shown in the report, in this order. */
export const SHOWN_SETTINGS = [
  "shared_buffers",
  "effective_cache_size",
  "work_mem",
  "maintenance_work_mem",
  "max_connections",
  "random_page_cost",
  "effective_io_concurrency",
  "checkpoint_completion_target",
  "wal_buffers",
  "min_wal_size",
  "max_wal_size",
  "default_statistics_target",
  "max_worker_processes",
  "max_parallel_workers_per_gather",
  "max_parallel_workers",
  "max_parallel_maintenance_workers",
  "huge_pages",
  "autovacuum",
  "shared_preload_libraries",
  "idle_in_transaction_session_timeout",
  "statement_timeout",
] as const;

const MEMORY = new Set(["shared_buffers", "effective_cache_size", "maintenance_work_mem", "work_mem", "wal_buffers"]);
const AT_LEAST_HALF = new Set(["min_wal_size", "max_wal_size", "effective_io_concurrency"]);
const AT_LEAST = new Set(["checkpoint_completion_target", "default_statistics_target", "max_worker_processes", "max_parallel_workers_per_gather", "max_parallel_workers", "max_parallel_maintenance_workers"]);
const PARALLEL = new Set(["max_worker_processes", "max_parallel_workers_per_gather", "max_parallel_workers", "max_parallel_maintenance_workers"]);

const UNIT_KB: Record<string, number> = { B: 1 / 1024, kB: 1, MB: 1024, GB: 1024 * 1024, TB: 1024 * 1024 * 1024 };

/** "128MB" -> 131072 (kB); "1.1" -> 1.1; undefined when not a number. */
export function parsePgValue(v: string): number | undefined {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(B|kB|MB|GB|TB)?\s*$/.exec(v);
  if (!m) return undefined;
  const x = Number(m[1]);
  return m[2] ? x * (UNIT_KB[m[2]] ?? 1) : x;
}

/** PostgreSQL major from server_version_num, as pgtune numbers them: 150018 -> 15; 90624 -> 9.6. */
export function pgMajorOf(versionNum: number): number {
  const major = Math.floor(versionNum / 10000);
  return versionNum >= 100000 ? major : major + (Math.floor(versionNum / 100) % 100) / 10;
}

export function compareSettings(current: Record<string, PgSettingRow>, basis: RecommendationBasis | null): SettingComparison[] {
  let rec: Record<string, string> | undefined;
  let noRec = "RAM unknown: pass --memory (and --cpus) for a recommendation";
  if (basis) {
    try {
      rec = tunePostgres({ memoryBytes: basis.memoryBytes, cpus: basis.cpus ?? 1, maxConnections: basis.maxConnections, storage: basis.storage, version: basis.version });
    } catch (e) {
      // the calculator refuses servers it has no rules for (older than 9.5)
      noRec = `no recommendation for this server: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  const out: SettingComparison[] = [];
  for (const name of SHOWN_SETTINGS) {
    const row = current[name];
    if (!row) continue;
    const base = { name, current: row.display, restart: row.context === "postmaster", source: row.source };
    const r = rec?.[name];
    if (name === "max_connections") {
      out.push({ ...base, recommended: null, status: "not-compared", rule: "follows Odoo's connection budget: see `doodba-ops tune` and connections-near-limit" });
      continue;
    }
    if (!rec || r === undefined) {
      const why = !rec
        ? noRec
        : PARALLEL.has(name)
          ? basis?.cpus === undefined
            ? "CPUs unknown: pass --cpus"
            : "pgtune sets parallel workers only from 4 CPUs"
          : "not part of pgtune's output";
      out.push({ ...base, recommended: null, status: "not-compared", rule: why });
      continue;
    }
    if (PARALLEL.has(name) && basis?.cpus === undefined) {
      out.push({ ...base, recommended: null, status: "not-compared", rule: "CPUs unknown: pass --cpus" });
      continue;
    }
    const cur = parsePgValue(row.display);
    const want = parsePgValue(r);
    let status: SettingStatus = "ok";
    let rule: string;
    if (MEMORY.has(name)) {
      rule = "memory: off when below half or above twice the recommendation";
      if (cur !== undefined && want !== undefined) status = cur < want / 2 ? "low" : cur > want * 2 ? "high" : "ok";
    } else if (AT_LEAST_HALF.has(name)) {
      rule = "off when below half of the recommendation (more is harmless)";
      if (cur !== undefined && want !== undefined && cur < want / 2) status = "low";
    } else if (AT_LEAST.has(name)) {
      rule = "off when below the recommendation";
      if (cur !== undefined && want !== undefined && cur < want - 1e-9) status = "low";
    } else if (name === "random_page_cost") {
      rule = `off when more than 0.5 away from the value for ${basis?.storage ?? "ssd"} storage`;
      if (cur !== undefined && want !== undefined && Math.abs(cur - want) > 0.5) status = cur > want ? "high" : "low";
    } else if (name === "huge_pages") {
      rule = "huge pages help from 32 GB of RAM";
      if (r === "try" && row.display === "off") status = "differs";
    } else {
      rule = "off when different from the recommendation";
      if (row.display !== r && cur !== want) status = "differs";
    }
    out.push({ ...base, recommended: r, status, rule });
  }
  return out;
}
