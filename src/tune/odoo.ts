/**
 * Odoo sizing: workers, cron workers, memory and time limits, connection pools and container
 * limits from the host and the expected load. Pure. The single source of truth used by `init`
 * and `tune`; its results satisfy the `check` rules by construction (memory-hard-exceeds-
 * container, memory-soft-too-low, connection-budget-exceeded, workers-exceed-cpu,
 * time-limits-inconsistent, and cron-on-every-replica with a cron-only instance).
 *
 * Rules (Odoo's deployment documentation, "Builtin server > Worker number calculation" and
 * "Memory size calculation"; shared/reference/odoo-ops.md section 2):
 * - workers: rule of thumb 2 x CPU + 1 processes, of which the cron workers take their share
 *   ("cron workers need CPU": the docs' 4 CPU / 60 users sample runs 9 processes as 8 workers
 *   + 1 cron); about 6 concurrent users per worker; the smaller wins; at least 2 in production.
 * - RAM per worker ~ light% x 150 MB + heavy% x 1 GB (default 80% light, 20% heavy). The docs'
 *   sample sets limit_memory_soft = 600 MiB and limit_memory_hard = 1600 MiB for that mix; for
 *   another mix both scale with the per-worker estimate. With less RAM, the hard limit shrinks
 *   until every process at its hard limit plus the master and gevent processes fits the
 *   container (the worst case `check` verifies), never below 768 MiB.
 * - limit_time_cpu 600, limit_time_real 1200, limit_request 8192: the docs' sample.
 * Measured on a real Odoo 17 (reference section 8): an idle prefork worker already has
 * ~247 MB of virtual memory, so soft limits below 512 MiB loop; the master takes ~114 MB.
 */
import { MASTER_OVERHEAD_BYTES, MiB } from "../check/lib/sizing.js";
import { MIN_LIMIT_MEMORY_SOFT } from "../check/rules/performance/memory-soft-too-low.js";
import { UserError } from "../errors.js";

export const GiB = 1024 * MiB;

export interface HostSpec {
  /** CPU cores available to the whole stack. */
  cpus: number;
  /** RAM of the host in bytes. */
  ramBytes: number;
}

export interface LoadSpec {
  /** Expected concurrent (simultaneously active) users at peak. */
  users: number;
}

/** Where PostgreSQL runs: beside Odoo on this host (it gets its share), or elsewhere. */
export type PostgresPlacement = "shared" | "elsewhere";

export interface SizingOptions {
  /** Share of heavy requests (reports, imports, big computations), 0 to 1. @default 0.2 */
  heavyRatio?: number;
  /** @default "shared" */
  postgres?: PostgresPlacement;
  /** Run crons in a separate cron-only (`--no-http`) instance; web instances get max_cron_threads = 0. @default false */
  splitCron?: boolean;
  /** Odoo major version: db_maxconn_gevent exists from 17. @default unknown (not written) */
  odooMajor?: number;
  /** Production: at least 2 workers. @default true */
  production?: boolean;
  /** Web containers (deploy.replicas) sharing the database server. @default 1 */
  replicas?: number;
}

/** The values `why` explains. */
export type SizingKey =
  | "memory"
  | "workers"
  | "max_cron_threads"
  | "limit_memory_hard"
  | "limit_memory_soft"
  | "limit_time_cpu"
  | "limit_time_real"
  | "limit_time_real_cron"
  | "limit_request"
  | "db_maxconn"
  | "db_maxconn_gevent"
  | "container_memory"
  | "container_cpus"
  | "cron_container_memory"
  | "cron_container_cpus"
  | "postgres_memory"
  | "postgres_cpus"
  | "max_connections";

export interface CronInstance {
  /** Cron workers of the cron-only instance (its max_cron_threads). */
  threads: number;
  containerMemory: number;
  containerCpus: number;
}

export interface OdooSizing {
  workers: number;
  /** Cron workers of the web instance (0 when a cron-only instance runs them). */
  maxCronThreads: number;
  /** Bytes of virtual memory after which a worker is recycled when idle. */
  limitMemorySoft: number;
  /** Bytes of virtual memory at which a worker is killed. */
  limitMemoryHard: number;
  limitTimeCpu: number;
  limitTimeReal: number;
  /** Cron jobs: -1 = use limit_time_real; 0 = unlimited. */
  limitTimeRealCron: number;
  limitRequest: number;
  /** Per-process connection pool. */
  dbMaxconn: number;
  /** Pool of the gevent (websocket) process; undefined: not set (before Odoo 17 it shares db_maxconn). */
  dbMaxconnGevent?: number;
  /** Memory limit of the (web) Odoo container (bytes). */
  containerMemory: number;
  /** CPU limit of the (web) Odoo container. */
  containerCpus: number;
  /** The cron-only instance, when crons are split out. */
  cron?: CronInstance;
  /** Memory for the PostgreSQL container (bytes), what PostgreSQL settings are sized from; 0 when elsewhere. */
  postgresMemory: number;
  /** CPUs of the PostgreSQL container; 0 when elsewhere. */
  postgresCpus: number;
  /** PostgreSQL max_connections that fits every pool plus a reserve. */
  postgresMaxConnections: number;
  /** Proxy read/send timeout (s): a little above limit_time_real so Odoo, not the proxy, ends long requests. */
  proxyTimeout: number;
  heavyRatio: number;
  postgresPlacement: PostgresPlacement;
  /** One line per value: which rule produced it. */
  why: Record<SizingKey, string>;
  /** Why the numbers are what they are, a few lines (printed by init, written in its conf.d). */
  reasoning: string[];
  /** Things the user should know (memory-bound below the production minimum, ...). */
  warnings: string[];
}

/** Memory left for the OS, Docker, the proxy and the backup job. */
export const RESERVE_BYTES = 768 * MiB;
/**
 * Hard limit never below this: an idle Odoo 17 worker already maps ~250 MB of virtual memory,
 * and rendering a large report or importing a file easily doubles it.
 */
export const MIN_HARD = 768 * MiB;
export const USERS_PER_WORKER = 6;
/** Odoo's documentation: a light request ~150 MB, a heavy one ~1 GB. */
export const LIGHT_WORKER_BYTES = 150 * MiB;
export const HEAVY_WORKER_BYTES = 1024 * MiB;
export const DEFAULT_HEAVY_RATIO = 0.2;
/** The docs' sample limits for the default 80/20 mix. */
export const DOC_LIMIT_MEMORY_SOFT = 629145600; // 600 MiB
export const DOC_LIMIT_MEMORY_HARD = 1677721600; // 1600 MiB
/**
 * Connections per prefork process. A worker serves one request at a time and holds one or two
 * cursors (three with a report or a bus notification); Odoo's default 64 only inflates the
 * budget, and PostgreSQL's work_mem is divided by max_connections.
 */
export const DB_MAXCONN = 8;
/** Before Odoo 17 the gevent process shares db_maxconn, and it serves every websocket at once. */
export const DB_MAXCONN_SHARED = 16;
/** db_maxconn_gevent (Odoo 17+): the one gevent process multiplexes every websocket. */
export const DB_MAXCONN_GEVENT = 16;
/** max_connections above the Odoo pools: superusers (3 reserved), backups, psql, monitoring. */
export const CONNECTION_RESERVE = 20;
/** Headroom in the web container above the worst case of the Odoo limits: wkhtmltopdf children, page cache. */
const CONTAINER_HEADROOM = 512 * MiB;

function roundDownMiB(n: number): number {
  return Math.floor(n / MiB) * MiB;
}

function roundUp(n: number, step: number): number {
  return Math.ceil(n / step) * step;
}

/** Average RAM of a worker by the docs' estimate for a heavy-request ratio. */
export function perWorkerEstimate(heavyRatio: number): number {
  return (1 - heavyRatio) * LIGHT_WORKER_BYTES + heavyRatio * HEAVY_WORKER_BYTES;
}

/**
 * Sizes an Odoo (+ PostgreSQL) stack on one host.
 * @throws UserError when the inputs are not numbers, or the host is too small for prefork Odoo.
 */
export function sizeOdoo(host: HostSpec, load: LoadSpec, opts: SizingOptions = {}): OdooSizing {
  if (!(host.cpus >= 1) || !Number.isFinite(host.cpus)) throw new UserError(`Host CPUs must be a number >= 1 (got ${host.cpus})`);
  if (!(host.ramBytes > 0) || !Number.isFinite(host.ramBytes)) throw new UserError(`Host RAM must be a size > 0 (got ${host.ramBytes})`);
  if (!(load.users >= 1) || !Number.isFinite(load.users)) throw new UserError(`Concurrent users must be a number >= 1 (got ${load.users})`);
  const heavyRatio = opts.heavyRatio ?? DEFAULT_HEAVY_RATIO;
  if (!(heavyRatio >= 0 && heavyRatio <= 1)) throw new UserError(`The heavy-request ratio must be between 0 and 1 (got ${heavyRatio})`, { hint: "0.2 means 20% heavy requests (reports, imports), Odoo's documented default." });
  const placement = opts.postgres ?? "shared";
  const split = opts.splitCron === true;
  const production = opts.production ?? true;
  const replicas = Math.max(1, Math.floor(opts.replicas ?? 1));
  const cpus = Math.floor(host.cpus);
  const warnings: string[] = [];
  const why = {} as Record<SizingKey, string>;

  // Memory: PostgreSQL a quarter (at least 512 MiB) when it shares the host, the OS a reserve, Odoo the rest.
  const postgresMemory = placement === "shared" ? roundDownMiB(Math.max(512 * MiB, host.ramBytes / 4)) : 0;
  const odooMemory = roundDownMiB(host.ramBytes - postgresMemory - RESERVE_BYTES);
  why.memory =
    placement === "shared"
      ? `${fmt(host.ramBytes)} host = ${fmt(odooMemory)} Odoo + ${fmt(postgresMemory)} PostgreSQL + ${fmt(RESERVE_BYTES)} OS/proxy/backup`
      : `${fmt(host.ramBytes)} host = ${fmt(odooMemory)} Odoo + ${fmt(RESERVE_BYTES)} OS/proxy/backup (PostgreSQL runs elsewhere)`;
  why.postgres_memory = placement === "shared" ? "a quarter of the host's RAM (at least 512 MiB): pgtune then gives shared_buffers a quarter of that" : "PostgreSQL runs elsewhere";
  // Replicas (Swarm) are sized per container as if each had this host's resources.
  const perReplica = odooMemory;
  if (replicas > 1) warnings.push(`${replicas} web replicas: each is sized as if it had this host to itself; on one host, divide the memory and CPUs by ${replicas}`);
  // One master (+ gevent) overhead per container: the web one, and the cron-only one.
  const masters = MASTER_OVERHEAD_BYTES * (split ? 2 : 1);
  const processFit = Math.floor((perReplica - masters) / MIN_HARD);
  // A second cron worker only on big hosts with memory to spare for it.
  const cron = cpus >= 8 && processFit >= 6 ? 2 : 1;
  why.max_cron_threads =
    (cron === 2 ? "2 cron workers: 8+ CPUs and memory to spare" : "1 cron worker, as in the docs' sample (2 from 8 CPUs)") +
    "; they count against the CPU budget";
  // Leave a core to PostgreSQL on hosts with 4+ cores when it shares the host.
  const containerCpus = Math.max(1, cpus - (placement === "shared" && cpus >= 4 ? 1 : 0));
  const byCpu = 2 * containerCpus + 1 - cron;
  const byUsers = Math.ceil(load.users / USERS_PER_WORKER);
  const wanted = Math.min(byCpu, byUsers);
  const floor = production ? 2 : 1;
  const byMemory = processFit - cron;
  if (byMemory < 1) {
    throw new UserError(`A host with ${fmt(host.ramBytes)} of RAM is too small for a production Odoo in prefork mode`, {
      hint:
        `One worker and ${cron} cron worker need ${fmt((1 + cron) * MIN_HARD + masters)} for Odoo` +
        (placement === "shared" ? ` plus ${fmt(postgresMemory)} for PostgreSQL` : "") +
        ` and ${fmt(RESERVE_BYTES)} for the OS: use a host with at least 4 GiB.`,
    });
  }
  let workers = Math.max(floor, wanted);
  let memoryBound = false;
  if (workers > byMemory) {
    workers = byMemory;
    memoryBound = true;
  }
  if (workers < floor) warnings.push(`memory allows only ${workers} worker${workers === 1 ? "" : "s"}, below the production minimum of ${floor}: give the host more RAM`);
  why.workers =
    `min(2 x ${containerCpus} CPU + 1 - ${cron} cron = ${byCpu}, ${load.users} users / ${USERS_PER_WORKER} = ${byUsers})` +
    (wanted < floor ? `, at least ${floor} in production` : "") +
    (memoryBound ? `; memory-bound: ${fmt(perReplica)} holds ${byMemory} worker${byMemory === 1 ? "" : "s"} at ${fmt(MIN_HARD)} each (more RAM would allow more)` : "");

  // Memory limits.
  const processes = workers + cron;
  const factor = perWorkerEstimate(heavyRatio) / perWorkerEstimate(DEFAULT_HEAVY_RATIO);
  const refHard = roundDownMiB(DOC_LIMIT_MEMORY_HARD * factor);
  const refSoft = roundDownMiB(DOC_LIMIT_MEMORY_SOFT * factor);
  const budgetHard = roundDownMiB((perReplica - masters) / processes);
  const limitMemoryHard = Math.max(MIN_HARD, Math.min(refHard, budgetHard));
  const limitMemorySoft = Math.min(Math.max(MIN_LIMIT_MEMORY_SOFT, Math.min(refSoft, roundDownMiB(limitMemoryHard * 0.8))), limitMemoryHard - MiB);
  const mix = `${Math.round((1 - heavyRatio) * 100)}/${Math.round(heavyRatio * 100)} light/heavy`;
  const estimate = `~${fmt(roundDownMiB(perWorkerEstimate(heavyRatio)))} per worker (${mix}: ${1 - heavyRatio === 1 ? "" : `${round2(1 - heavyRatio)} x 150 MiB`}${heavyRatio > 0 && heavyRatio < 1 ? " + " : ""}${heavyRatio > 0 ? `${round2(heavyRatio)} x 1 GiB` : ""})`;
  why.limit_memory_hard =
    limitMemoryHard === refHard
      ? `the docs' 1600 MiB for 80/20 light/heavy requests${factor !== 1 ? `, scaled to ${estimate}` : ""}; ${processes} processes x hard + ${fmt(MASTER_OVERHEAD_BYTES)} master fit the container`
      : limitMemoryHard === budgetHard
        ? `memory-bound: ${processes} processes x hard + ${fmt(masters)} master${split ? "s" : ""} must fit ${fmt(perReplica)} (the docs' reference is ${fmt(refHard)})`
        : `at least ${fmt(MIN_HARD)}: an idle Odoo worker already maps ~250 MB of virtual memory`;
  why.limit_memory_soft =
    limitMemorySoft === refSoft
      ? `the docs' 600 MiB for 80/20 light/heavy requests${factor !== 1 ? `, scaled to ${estimate}` : ""}: a worker above it is recycled after its request`
      : limitMemorySoft === MIN_LIMIT_MEMORY_SOFT
        ? `at least ${fmt(MIN_LIMIT_MEMORY_SOFT)}: an idle Odoo 17 worker already has ~247 MB of virtual memory (lower loops forever)`
        : `80% of limit_memory_hard (the docs' reference ${fmt(refSoft)} does not fit below it)`;

  // Connection pools.
  const gevent = opts.odooMajor !== undefined && opts.odooMajor >= 17;
  const dbMaxconn = gevent ? DB_MAXCONN : DB_MAXCONN_SHARED;
  const dbMaxconnGevent = gevent ? DB_MAXCONN_GEVENT : undefined;
  const webPools = workers + (split ? 0 : cron);
  const perContainer = webPools * dbMaxconn + (dbMaxconnGevent ?? dbMaxconn);
  const cronPool = split ? cron * dbMaxconn : 0;
  const demand = perContainer * replicas + cronPool;
  const postgresMaxConnections = Math.max(100, demand + CONNECTION_RESERVE);
  why.db_maxconn = gevent
    ? `${dbMaxconn} per worker: a prefork worker serves one request at a time (Odoo's 64 only inflates the budget)`
    : `${dbMaxconn} per process: before Odoo 17 the gevent process (every websocket) shares this pool size`;
  why.db_maxconn_gevent = gevent ? `${DB_MAXCONN_GEVENT}: the gevent process serves every websocket at once (Odoo 17+ sizes it apart)` : "not set: db_maxconn_gevent exists from Odoo 17";
  const pools = split ? `${workers} workers` : `(${workers} workers + ${cron} cron)`;
  const formula =
    `${replicas > 1 ? `${replicas} x (` : ""}${pools} x ${dbMaxconn} + gevent ${dbMaxconnGevent ?? dbMaxconn}${replicas > 1 ? ")" : ""}` +
    (split ? ` + cron instance ${cron} x ${dbMaxconn}` : "");
  why.max_connections = `Odoo may open ${formula} = ${demand}, plus ${CONNECTION_RESERVE} for superusers, backups and psql${demand + CONNECTION_RESERVE < 100 ? ", at least PostgreSQL's default 100" : ""}`;

  // Containers.
  const worstWeb = limitMemoryHard * (workers + (split ? 0 : cron)) + MASTER_OVERHEAD_BYTES;
  let cronInstance: CronInstance | undefined;
  let webBudget = perReplica;
  if (split) {
    const worstCron = limitMemoryHard * cron + MASTER_OVERHEAD_BYTES;
    const cronMemory = Math.min(perReplica - worstWeb, roundUp(worstCron + 256 * MiB, 256 * MiB));
    cronInstance = { threads: cron, containerMemory: cronMemory, containerCpus: Math.min(containerCpus, cron) };
    webBudget = perReplica - cronMemory;
    why.cron_container_memory = `${cron} cron worker${cron > 1 ? "s" : ""} x ${fmt(limitMemoryHard)} + ${fmt(MASTER_OVERHEAD_BYTES)} master = ${fmt(worstCron)}, plus headroom`;
    why.cron_container_cpus = `one CPU per cron worker (${cron})`;
  }
  const containerMemory = Math.min(webBudget, roundUp(worstWeb + CONTAINER_HEADROOM, 256 * MiB));
  why.container_memory =
    `worst case ${fmt(limitMemoryHard)} x ${workers + (split ? 0 : cron)} processes + ${fmt(MASTER_OVERHEAD_BYTES)} master/gevent = ${fmt(worstWeb)}` +
    (containerMemory > worstWeb ? `, plus headroom for wkhtmltopdf and the page cache` : "") +
    (containerMemory === webBudget ? ` (all of Odoo's ${fmt(webBudget)})` : "");
  why.container_cpus =
    placement === "shared" && cpus >= 4 ? `${cpus} CPUs minus one left to PostgreSQL` : `all ${cpus} CPU${cpus === 1 ? "" : "s"} of the host`;
  const postgresCpus = placement === "shared" ? Math.max(1, Math.min(cpus, Math.ceil(cpus / 2))) : 0;
  why.postgres_cpus = placement === "shared" ? `half the host's ${cpus} CPUs (limits overlap: they cap, they do not reserve)` : "PostgreSQL runs elsewhere";

  const limitTimeCpu = 600;
  const limitTimeReal = 1200;
  why.limit_time_cpu = "the docs' sample: 600 s of CPU per request (imports and big reports)";
  why.limit_time_real = "the docs' sample: 1200 s wall clock, 2 x limit_time_cpu (time spent waiting on PostgreSQL counts here)";
  why.limit_time_real_cron = "-1: cron jobs get limit_time_real (Odoo's default); raise it when a scheduled action must run longer";
  why.limit_request = "the docs' sample: recycle a worker after 8192 requests, which bounds slow memory leaks";

  const reasoning = [
    `memory: ${why.memory}`,
    `workers = ${workers}: ${why.workers}`,
    `limit_memory_hard = ${fmt(limitMemoryHard)}, soft = ${fmt(limitMemorySoft)}: ${estimate}; ${processes} processes x hard + ${fmt(masters)} master${split ? "s" : ""} fit ${fmt(perReplica)}`,
    `db_maxconn = ${dbMaxconn}: ${formula} = ${demand} <= PostgreSQL max_connections ${postgresMaxConnections}`,
  ];

  return {
    workers,
    maxCronThreads: split ? 0 : cron,
    limitMemorySoft,
    limitMemoryHard,
    limitTimeCpu,
    limitTimeReal,
    limitTimeRealCron: -1,
    limitRequest: 8192,
    dbMaxconn,
    dbMaxconnGevent,
    containerMemory,
    containerCpus,
    cron: cronInstance,
    postgresMemory,
    postgresCpus,
    postgresMaxConnections,
    proxyTimeout: limitTimeReal + 60,
    heavyRatio,
    postgresPlacement: placement,
    why,
    reasoning,
    warnings,
  };
}

function round2(n: number): string {
  return String(Math.round(n * 100) / 100);
}

/** "5.25 GiB", "871 MiB". */
export function fmt(n: number): string {
  return n >= GiB && n % (GiB / 4) === 0 ? `${n / GiB} GiB` : `${Math.round(n / MiB)} MiB`;
}
