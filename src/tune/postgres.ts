/**
 * PostgreSQL settings from the memory, CPUs, connections, storage and workload, following the
 * PGTune algorithm (le0pard/pgtune, src/features/configuration/configurationSlice.js; summarised
 * in shared/reference/odoo-ops.md section 3). Values are computed in kB and rendered with
 * PostgreSQL units (kB, MB, GB) the way pgtune renders them. Pure.
 *
 * Which pgtune: the core every pgtune release shares (memory, WAL, planner costs, parallel
 * workers, work_mem), with two choices of its newer releases: `nvme` storage
 * (effective_io_concurrency 1000) and maintenance_work_mem capped at 8 GB instead of 2 GB.
 * huge_pages follows the classic rule (try from 32 GB of RAM) and work_mem's floor is 64 kB.
 * The newest pgtune's extras (jit, wal_compression = lz4, io_method = io_uring,
 * autovacuum_*) are left out: lz4 and io_uring depend on how the server was compiled, which a
 * compose file does not tell.
 *
 * Odoo's workload: `web` (the default here). Odoo's load is short transactions from a bounded
 * pool of prefork workers behind a web server, which is what pgtune's "web application"
 * profile models (shared_buffers RAM/4, work_mem undivided, 1-4 GB of WAL). `oltp` differs
 * only in the WAL sizes (2-8 GB) and its default connection count: choose it for write-heavy
 * databases (POS, stock, queue jobs) where checkpoints come too often with 4 GB. `mixed`
 * halves work_mem, `dw` is for reporting replicas, `desktop` for a developer's machine.
 */
import { UserError } from "../errors.js";

export type PgWorkload = "web" | "oltp" | "mixed" | "dw" | "desktop";
export type PgStorage = "ssd" | "hdd" | "san" | "nvme";

export const PG_WORKLOADS: readonly PgWorkload[] = ["web", "oltp", "mixed", "dw", "desktop"];
export const PG_STORAGES: readonly PgStorage[] = ["ssd", "hdd", "san", "nvme"];

export interface PgTuneInput {
  /** Memory available to PostgreSQL (bytes): the container limit, or the host's RAM. */
  memoryBytes: number;
  /** CPUs available to PostgreSQL. */
  cpus: number;
  /** max_connections. @default pgtune's default for the workload (web 200, oltp 300, dw 40, desktop 20, mixed 100) */
  maxConnections?: number;
  /** @default "web" */
  workload?: PgWorkload;
  /** @default "ssd" */
  storage?: PgStorage;
  /** PostgreSQL major version (9.5, 9.6, 10 ... 18). @default 16 */
  version?: number;
}

/** Setting name -> value as written in postgresql.conf. Sorted keys. */
export type PgSettings = Record<string, string>;

export interface PgTuneResult {
  settings: PgSettings;
  /** Setting name -> the pgtune rule that produced it (one line). */
  why: Record<string, string>;
}

const KB_PER_MB = 1024;
const KB_PER_GB = 1024 * 1024;

/** pgtune's default max_connections per workload (selectMaxConnections). */
export const PGTUNE_DEFAULT_CONNECTIONS: Record<PgWorkload, number> = { web: 200, oltp: 300, dw: 40, desktop: 20, mixed: 100 };

/** kB -> "1GB" when divisible by 1 GB, "512MB" by 1 MB, else "3048kB" (pgtune's formatting). */
export function formatPgKb(kb: number): string {
  const v = Math.floor(kb);
  if (v % KB_PER_GB === 0) return `${v / KB_PER_GB}GB`;
  if (v % KB_PER_MB === 0) return `${v / KB_PER_MB}MB`;
  return `${v}kB`;
}

function fmtMem(kb: number): string {
  return formatPgKb(kb);
}

/**
 * pgtune's settings with a one-line rationale for each.
 * @throws UserError for PostgreSQL older than 9.5 (no min_wal_size/max_wal_size) or no memory.
 */
export function tunePostgresExplained(input: PgTuneInput): PgTuneResult {
  const workload = input.workload ?? "web";
  const storage = input.storage ?? "ssd";
  const version = input.version ?? 16;
  if (!(version >= 9.5)) {
    throw new UserError(`PostgreSQL ${version} is too old for pgtune's settings (min_wal_size and max_wal_size exist from 9.5)`, {
      hint: "Upgrade PostgreSQL; every version before 13 is out of community support.",
    });
  }
  if (!(input.memoryBytes > 0) || !Number.isFinite(input.memoryBytes)) throw new UserError(`PostgreSQL memory must be a size > 0 (got ${input.memoryBytes})`);
  const memKb = Math.floor(input.memoryBytes / 1024);
  const cpus = Math.max(1, Math.floor(input.cpus));
  const maxConnections = input.maxConnections ?? PGTUNE_DEFAULT_CONNECTIONS[workload];
  const ram = fmtMem(memKb);
  const s: Record<string, string> = {};
  const why: Record<string, string> = {};
  const set = (k: string, v: string, reason: string): void => {
    s[k] = v;
    why[k] = reason;
  };

  set(
    "max_connections",
    String(maxConnections),
    input.maxConnections === undefined ? `pgtune's default for the ${workload} workload` : "given: the connection budget of the clients plus headroom",
  );

  const sharedBuffers = workload === "desktop" ? Math.floor(memKb / 16) : Math.floor(memKb / 4);
  set("shared_buffers", fmtMem(sharedBuffers), `pgtune: ${workload === "desktop" ? "1/16" : "1/4"} of the ${ram} PostgreSQL gets`);
  set(
    "effective_cache_size",
    fmtMem(workload === "desktop" ? Math.floor(memKb / 4) : Math.floor((memKb * 3) / 4)),
    `pgtune: ${workload === "desktop" ? "1/4" : "3/4"} of ${ram} (shared buffers plus the OS page cache the planner may count on)`,
  );

  let maint = workload === "dw" ? Math.floor(memKb / 8) : Math.floor(memKb / 16);
  const maintCap = 8 * KB_PER_GB;
  const capped = maint >= maintCap;
  if (capped) maint = maintCap;
  set("maintenance_work_mem", fmtMem(maint), `pgtune: ${workload === "dw" ? "1/8" : "1/16"} of ${ram}${capped ? ", capped at 8 GB" : ""} (VACUUM, CREATE INDEX)`);

  set("checkpoint_completion_target", "0.9", "pgtune: spread checkpoint writes over 90% of the interval (PostgreSQL 14's default)");

  let walBuffers = Math.floor((3 * sharedBuffers) / 100);
  let walWhy = "3% of shared_buffers";
  if (walBuffers > 16 * KB_PER_MB) {
    walBuffers = 16 * KB_PER_MB;
    walWhy = "3% of shared_buffers, at most 16 MB";
  }
  if (walBuffers > 14 * KB_PER_MB && walBuffers < 16 * KB_PER_MB) {
    walBuffers = 16 * KB_PER_MB;
    walWhy = "3% of shared_buffers, rounded up to 16 MB";
  }
  if (walBuffers < 32) {
    walBuffers = 32;
    walWhy = "3% of shared_buffers, at least 32 kB";
  }
  set("wal_buffers", fmtMem(walBuffers), `pgtune: ${walWhy}`);

  const wal: Record<PgWorkload, [number, number]> = {
    web: [1024, 4096],
    oltp: [2048, 8192],
    dw: [4096, 16384],
    desktop: [100, 2048],
    mixed: [1024, 4096],
  };
  const [minWal, maxWal] = wal[workload];
  set("min_wal_size", fmtMem(minWal * KB_PER_MB), `pgtune: ${workload} workload`);
  set("max_wal_size", fmtMem(maxWal * KB_PER_MB), `pgtune: ${workload} workload (checkpoints at most every ${fmtMem(maxWal * KB_PER_MB)} of WAL)`);

  set("default_statistics_target", workload === "dw" ? "500" : "100", workload === "dw" ? "pgtune: 500 for analytical queries" : "pgtune: PostgreSQL's default 100");
  set("random_page_cost", storage === "hdd" ? "4" : "1.1", storage === "hdd" ? "pgtune: spinning disks, random reads cost 4 sequential ones" : `pgtune: ${storage} storage, random reads nearly as cheap as sequential ones`);
  const io: Record<PgStorage, string> = { hdd: "2", ssd: "200", san: "300", nvme: "1000" };
  set("effective_io_concurrency", io[storage], `pgtune: concurrent I/O requests ${storage} storage serves`);

  // Parallel query: pgtune sets it from 4 CPUs; PostgreSQL's defaults (8 worker processes) below.
  let workersForWorkMem = 8;
  if (cpus >= 4 && version >= 9.6) {
    let perGather = Math.ceil(cpus / 2);
    if (workload !== "dw" && perGather > 4) perGather = 4;
    set("max_worker_processes", String(cpus), `pgtune: one background worker per CPU (${cpus})`);
    set("max_parallel_workers_per_gather", String(perGather), `pgtune: half the CPUs${workload !== "dw" ? ", at most 4" : ""}`);
    if (version >= 10) set("max_parallel_workers", String(cpus), `pgtune: one parallel worker per CPU (${cpus})`);
    if (version >= 11) set("max_parallel_maintenance_workers", String(Math.min(4, Math.ceil(cpus / 2))), "pgtune: half the CPUs, at most 4");
    workersForWorkMem = cpus;
  }

  const workMemBase = (memKb - sharedBuffers) / ((maxConnections + workersForWorkMem) * 3);
  const divisor: Record<PgWorkload, number> = { web: 1, oltp: 1, dw: 2, mixed: 2, desktop: 6 };
  let workMem = Math.floor(workMemBase / divisor[workload]);
  const floored = workMem < 64;
  if (floored) workMem = 64;
  set(
    "work_mem",
    fmtMem(workMem),
    `pgtune: (${ram} - shared_buffers) / ((${maxConnections} connections + ${workersForWorkMem} workers) x 3)` +
      (divisor[workload] > 1 ? ` / ${divisor[workload]}` : "") +
      (floored ? ", at least 64 kB" : ""),
  );

  const huge = memKb >= 32 * KB_PER_GB;
  set("huge_pages", huge ? "try" : "off", huge ? "pgtune: try huge pages from 32 GB of RAM" : "pgtune: off below 32 GB of RAM");

  if (workload === "desktop") {
    set("wal_level", "minimal", "pgtune: a desktop database needs no replication or archiving");
    set("max_wal_senders", "0", "pgtune: required by wal_level = minimal");
  }

  const sorted = Object.keys(s).sort();
  return {
    settings: Object.fromEntries(sorted.map((k) => [k, s[k] ?? ""])),
    why: Object.fromEntries(sorted.map((k) => [k, why[k] ?? ""])),
  };
}

/** pgtune's settings (sorted keys). See {@link tunePostgresExplained} for the rationale. */
export function tunePostgres(input: PgTuneInput): PgSettings {
  return tunePostgresExplained(input).settings;
}

/** Whether a postgresql.conf value can be written without quotes. */
function bareValue(v: string): boolean {
  return /^-?[\d.]+$/.test(v) || /^\d+(kB|MB|GB|TB|ms|s|min|h|d)$/.test(v) || /^(on|off|true|false|try|minimal|replica|logical)$/.test(v);
}

/** A postgresql.conf line: `key = value` (quoted when needed). */
export function pgConfLine(key: string, value: string): string {
  return `${key} = ${bareValue(value) ? value : `'${value.replace(/'/g, "''")}'`}`;
}

/** postgresql.conf lines (for postgres-autoconf's CONF_EXTRA or a mounted conf file). */
export function renderPgConf(settings: PgSettings): string {
  return Object.entries(settings)
    .map(([k, v]) => pgConfLine(k, v))
    .join("\n");
}

const UNIT_KB: Record<string, number> = { B: 1 / 1024, kB: 1, MB: 1024, GB: 1024 * 1024, TB: 1024 * 1024 * 1024 };

/**
 * A PostgreSQL setting value as a number, memory in kB ("128MB" -> 131072, "1.1" -> 1.1,
 * "on" -> 1, "off" -> 0). undefined when it is not a number.
 */
export function pgNumeric(v: string): number | undefined {
  const t = v.trim().replace(/^'(.*)'$/, "$1");
  const m = /^(-?\d+(?:\.\d+)?)\s*(B|kB|MB|GB|TB)?$/.exec(t);
  if (!m) return undefined;
  const x = Number(m[1]);
  return m[2] ? x * (UNIT_KB[m[2]] ?? 1) : x;
}

/** Whether two setting values mean the same ("512MB" = "524288kB", "On" = "on"). */
export function samePgValue(a: string, b: string): boolean {
  const x = pgNumeric(a);
  const y = pgNumeric(b);
  if (x !== undefined && y !== undefined) return Math.abs(x - y) < 1e-9;
  return a.trim().replace(/^'(.*)'$/, "$1").toLowerCase() === b.trim().replace(/^'(.*)'$/, "$1").toLowerCase();
}

/**
 * PostgreSQL's built-in defaults of the settings pgtune writes, for the version (what a server
 * runs with when nothing sets them). Memory in PostgreSQL units.
 */
export function pgDefaults(version: number): PgSettings {
  const d: Record<string, string> = {
    max_connections: "100",
    shared_buffers: "128MB",
    effective_cache_size: "4GB",
    maintenance_work_mem: "64MB",
    checkpoint_completion_target: version >= 14 ? "0.9" : "0.5",
    wal_buffers: "-1",
    min_wal_size: "80MB",
    max_wal_size: "1GB",
    default_statistics_target: "100",
    random_page_cost: "4",
    effective_io_concurrency: version >= 18 ? "16" : "1",
    work_mem: "4MB",
    huge_pages: "try",
    max_worker_processes: "8",
    max_parallel_workers_per_gather: version >= 10 ? "2" : "0",
    max_parallel_workers: "8",
    max_parallel_maintenance_workers: "2",
    wal_level: version >= 10 ? "replica" : "minimal",
    max_wal_senders: version >= 10 ? "10" : "0",
  };
  return d;
}
