/**
 * Odoo sizing: workers, cron threads, memory and time limits, connection pools and container
 * limits from the host and the expected load. Pure. The single source of truth used by `init`
 * (and by `tune`); its results satisfy the `check` rules by construction (memory-hard-exceeds-
 * container, memory-soft-too-low, connection-budget-exceeded, workers-exceed-cpu,
 * time-limits-inconsistent).
 *
 * Sources: Odoo deployment docs (workers = 2 x CPU + 1; ~6 concurrent users per worker;
 * RAM ~ workers x (0.8 x 150 MB + 0.2 x 1 GB)); measured on a real Odoo 17 server: an idle
 * prefork worker already has ~247 MB of virtual memory, so soft limits below 512 MiB loop.
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

export interface OdooSizing {
  workers: number;
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
  /** Memory limit of the Odoo container (bytes). */
  containerMemory: number;
  /** CPU limit of the Odoo container. */
  containerCpus: number;
  /** Memory for the PostgreSQL container (bytes), what PostgreSQL settings are sized from. */
  postgresMemory: number;
  postgresCpus: number;
  /** PostgreSQL max_connections that fits every pool plus a reserve. */
  postgresMaxConnections: number;
  /** Proxy read/send timeout (s): a little above limit_time_real so Odoo, not the proxy, ends long requests. */
  proxyTimeout: number;
  /** Why the numbers are what they are, one line each (printed by init/tune). */
  reasoning: string[];
}

/** Memory left for the OS, Docker, the proxy and the backup job. */
const RESERVE_BYTES = 768 * MiB;
/**
 * Hard limit never below this: an idle Odoo 17 worker already maps ~250 MB of virtual memory,
 * and rendering a large report or importing a file easily doubles it.
 */
const MIN_HARD = 768 * MiB;
const USERS_PER_WORKER = 6;
/** Connections each Odoo process may open (Odoo's default 64 is far more than a worker uses). */
const DB_MAXCONN = 16;
const CONNECTION_RESERVE = 20;

function roundDownMiB(n: number): number {
  return Math.floor(n / MiB) * MiB;
}

/**
 * Sizes an Odoo + PostgreSQL stack on one host.
 * @throws UserError when the host is too small to run Odoo in prefork mode.
 */
export function sizeOdoo(host: HostSpec, load: LoadSpec): OdooSizing {
  if (!(host.cpus >= 1) || !Number.isFinite(host.cpus)) throw new UserError(`Host CPUs must be a number >= 1 (got ${host.cpus})`);
  if (!(load.users >= 1) || !Number.isFinite(load.users)) throw new UserError(`Concurrent users must be a number >= 1 (got ${load.users})`);
  const reasoning: string[] = [];

  // PostgreSQL gets a quarter of the RAM (at least 512 MiB), Odoo the rest after the reserve.
  const postgresMemory = roundDownMiB(Math.max(512 * MiB, host.ramBytes / 4));
  const odooMemory = roundDownMiB(host.ramBytes - postgresMemory - RESERVE_BYTES);
  reasoning.push(
    `memory: ${fmt(host.ramBytes)} host = ${fmt(odooMemory)} Odoo + ${fmt(postgresMemory)} PostgreSQL + ${fmt(RESERVE_BYTES)} OS/proxy/backup`,
  );

  // Processes the Odoo container can hold when each may reach MIN_HARD (worst case).
  const processFit = Math.floor((odooMemory - MASTER_OVERHEAD_BYTES) / MIN_HARD);
  // A second cron thread only on big hosts with memory to spare for it.
  const maxCronThreads = host.cpus >= 8 && processFit >= 6 ? 2 : 1;
  // Leave a core to PostgreSQL on hosts with 4+ cores; workers follow the container's CPUs.
  const containerCpus = Math.max(1, host.cpus - (host.cpus >= 4 ? 1 : 0));
  const byCpu = Math.floor(2 * containerCpus + 1);
  const byUsers = Math.max(2, Math.ceil(load.users / USERS_PER_WORKER));
  // Worst case (every process at its hard limit) must fit the container: processes x MIN_HARD + master.
  const byMemory = processFit - maxCronThreads;
  if (byMemory < 1) {
    throw new UserError(`A host with ${fmt(host.ramBytes)} of RAM is too small for a production Odoo in prefork mode`, {
      hint: `One worker and one cron process need ${fmt(2 * MIN_HARD + MASTER_OVERHEAD_BYTES)} for Odoo plus PostgreSQL and the OS: use a host with at least 4 GiB.`,
    });
  }
  const workers = Math.min(byCpu, byUsers, byMemory);
  reasoning.push(
    `workers = ${workers}: min(2 x ${containerCpus} CPU + 1 = ${byCpu}, ${load.users} users / ${USERS_PER_WORKER} = ${byUsers}, memory for ${byMemory})` +
      (workers === byMemory && byMemory < Math.min(byCpu, byUsers) ? " (memory-bound: more RAM would allow more workers)" : ""),
  );

  const processes = workers + maxCronThreads;
  const limitMemoryHard = roundDownMiB((odooMemory - MASTER_OVERHEAD_BYTES) / processes);
  // Soft limit: recycle a worker once it holds ~80% of the hard limit, never below the loop threshold.
  const limitMemorySoft = Math.max(MIN_LIMIT_MEMORY_SOFT, roundDownMiB(limitMemoryHard * 0.8));
  reasoning.push(
    `limit_memory_hard = ${fmt(limitMemoryHard)}, soft = ${fmt(limitMemorySoft)}: ${processes} processes x hard + ${fmt(MASTER_OVERHEAD_BYTES)} master/gevent fit the ${fmt(odooMemory)} container`,
  );

  const postgresMaxConnections = Math.max(100, (1 + processes) * DB_MAXCONN + CONNECTION_RESERVE);
  reasoning.push(
    `db_maxconn = ${DB_MAXCONN}: (1 gevent + ${workers} workers + ${maxCronThreads} cron) x ${DB_MAXCONN} = ${(1 + processes) * DB_MAXCONN} <= PostgreSQL max_connections ${postgresMaxConnections}`,
  );

  const limitTimeReal = 1200;
  return {
    workers,
    maxCronThreads,
    limitMemorySoft,
    limitMemoryHard,
    limitTimeCpu: 600,
    limitTimeReal,
    limitTimeRealCron: -1,
    limitRequest: 65536,
    dbMaxconn: DB_MAXCONN,
    containerMemory: odooMemory,
    containerCpus,
    postgresMemory,
    postgresCpus: Math.max(1, Math.min(host.cpus, Math.ceil(host.cpus / 2))),
    postgresMaxConnections,
    proxyTimeout: limitTimeReal + 60,
    reasoning,
  };
}

function fmt(n: number): string {
  return n >= GiB && n % (GiB / 4) === 0 ? `${n / GiB} GiB` : `${Math.round(n / MiB)} MiB`;
}
