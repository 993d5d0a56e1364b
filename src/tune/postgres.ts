/**
 * PostgreSQL settings from memory, CPUs, connections and storage, following pgtune
 * (le0pard/pgtune configurationSlice.js) for the "web" and "oltp" workloads that fit Odoo.
 * Values are in kB internally and rendered with PostgreSQL units (kB, MB, GB). Pure.
 */
export type PgWorkload = "web" | "oltp" | "mixed";
export type PgStorage = "ssd" | "hdd" | "san";

export interface PgTuneInput {
  /** Memory available to PostgreSQL (bytes). */
  memoryBytes: number;
  cpus: number;
  maxConnections: number;
  /** @default "web" */
  workload?: PgWorkload;
  /** @default "ssd" */
  storage?: PgStorage;
  /** PostgreSQL major version. @default 16 */
  version?: number;
}

/** Setting name -> value as written in postgresql.conf. Sorted keys. */
export type PgSettings = Record<string, string>;

const KB_PER_GB = 1024 * 1024;

export function formatPgKb(kb: number): string {
  const v = Math.floor(kb);
  if (v % KB_PER_GB === 0) return `${v / KB_PER_GB}GB`;
  if (v % 1024 === 0) return `${v / 1024}MB`;
  return `${v}kB`;
}

export function tunePostgres(input: PgTuneInput): PgSettings {
  const workload = input.workload ?? "web";
  const storage = input.storage ?? "ssd";
  const version = input.version ?? 16;
  const memKb = Math.floor(input.memoryBytes / 1024);
  const cpus = Math.max(1, Math.floor(input.cpus));
  const out: Record<string, string> = {};

  const sharedBuffers = Math.floor(memKb / 4);
  out.max_connections = String(input.maxConnections);
  out.shared_buffers = formatPgKb(sharedBuffers);
  out.effective_cache_size = formatPgKb(Math.floor((memKb * 3) / 4));
  const maintCap = version >= 14 ? 8 * KB_PER_GB : 2 * KB_PER_GB;
  out.maintenance_work_mem = formatPgKb(Math.min(Math.floor(memKb / 16), maintCap));
  out.checkpoint_completion_target = "0.9";
  let walBuffers = Math.floor((3 * sharedBuffers) / 100);
  if (walBuffers > 16 * 1024) walBuffers = 16 * 1024;
  if (walBuffers > 14 * 1024 && walBuffers < 16 * 1024) walBuffers = 16 * 1024;
  if (walBuffers < 32) walBuffers = 32;
  out.wal_buffers = formatPgKb(walBuffers);
  const wal: Record<PgWorkload, [string, string]> = { web: ["1GB", "4GB"], oltp: ["2GB", "8GB"], mixed: ["1GB", "4GB"] };
  out.min_wal_size = wal[workload][0];
  out.max_wal_size = wal[workload][1];
  out.default_statistics_target = "100";
  out.random_page_cost = storage === "hdd" ? "4" : "1.1";
  out.effective_io_concurrency = storage === "hdd" ? "2" : storage === "san" ? "300" : "200";
  let workersForWorkMem = 8; // PostgreSQL's default max_worker_processes
  if (cpus >= 4) {
    const perGather = Math.min(4, Math.ceil(cpus / 2));
    out.max_worker_processes = String(cpus);
    out.max_parallel_workers_per_gather = String(perGather);
    out.max_parallel_workers = String(cpus);
    out.max_parallel_maintenance_workers = String(Math.min(4, Math.ceil(cpus / 2)));
    workersForWorkMem = cpus;
  }
  let workMem = Math.floor((memKb - sharedBuffers) / ((input.maxConnections + workersForWorkMem) * 3));
  if (workload === "mixed") workMem = Math.floor(workMem / 2);
  out.work_mem = formatPgKb(Math.max(64, workMem));
  out.huge_pages = memKb >= 32 * KB_PER_GB ? "try" : "off";
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

/** postgresql.conf lines (for postgres-autoconf's CONF_EXTRA or a mounted conf file). */
export function renderPgConf(settings: PgSettings): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k} = ${/^[\d.]+$/.test(v) || /^\d+(kB|MB|GB)$/.test(v) || /^(on|off|try)$/.test(v) ? v : `'${v}'`}`)
    .join("\n");
}
