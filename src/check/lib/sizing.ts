/**
 * Sizing arithmetic for an Odoo deployment: how many processes a prefork Odoo runs, its
 * worst-case memory, the PostgreSQL connections it may open, and PostgreSQL's `max_connections`
 * as the compose file sets it. Pure (model in, numbers out); shared by the performance rules and
 * by `tune`.
 */
import type { SourcePos } from "../../errors.js";
import type { EnvModel, OdooConfig, ServiceModel } from "../../project/model.js";
import { imageName, odooBool, odooInt, odooServices, svcPos } from "./common.js";
import { isPgServer } from "./postgres.js";

export const MiB = 1024 ** 2;

/**
 * Memory allowed for the prefork master and the gevent (websocket/longpolling) process, which
 * `limit_memory_hard` does not cover. Measured on Odoo 17: master ~114 MB RSS.
 */
export const MASTER_OVERHEAD_BYTES = 150 * MiB;

/** PostgreSQL's built-in `max_connections`. */
export const PG_DEFAULT_MAX_CONNECTIONS = 100;

/** Odoo's built-in `db_maxconn`. */
export const ODOO_DEFAULT_DB_MAXCONN = 64;

/** The processes one Odoo container runs, from its effective configuration. */
export interface OdooProcesses {
  /** HTTP workers; 0 means the threaded (single-process) server. */
  workers: number;
  /** Cron workers (prefork) or cron threads (threaded): `max_cron_threads`. */
  cron: number;
  /** Prefork mode: `workers > 0`. */
  prefork: boolean;
  /** `http_enable` (false with `--no-http`: a cron-only instance). */
  http: boolean;
  /** Whether a separate gevent process runs (prefork with HTTP). */
  gevent: boolean;
}

/**
 * Reads workers / max_cron_threads / http_enable. undefined when a value is not a number
 * (e.g. an unexpanded `$WORKERS`), so callers stay silent instead of guessing.
 */
export function odooProcesses(cfg: OdooConfig): OdooProcesses | undefined {
  const workers = intOption(cfg, "workers", 0);
  const cron = intOption(cfg, "max_cron_threads", 2);
  if (workers === undefined || cron === undefined || workers < 0 || cron < 0) return undefined;
  const http = odooBool(cfg.options.http_enable?.value) ?? true;
  const prefork = workers > 0;
  return { workers, cron, prefork, http, gevent: prefork && http };
}

/** Number of worker processes that `limit_memory_hard` applies to (prefork only). */
export function limitedProcessCount(p: OdooProcesses): number {
  if (!p.prefork) return 0;
  return (p.http ? p.workers : 0) + p.cron;
}

export interface MemoryWorstCase {
  processes: OdooProcesses;
  /** `limit_memory_hard` in bytes. */
  hard: number;
  /** Worker processes bounded by `limit_memory_hard`. */
  limited: number;
  /** hard × limited + {@link MASTER_OVERHEAD_BYTES}. */
  total: number;
}

/**
 * Worst-case virtual memory of a prefork Odoo: every worker at `limit_memory_hard`, plus the
 * master and gevent processes. undefined for the threaded server, when `limit_memory_hard` is 0
 * (no limit) or when a value cannot be read.
 */
export function memoryWorstCase(cfg: OdooConfig): MemoryWorstCase | undefined {
  const processes = odooProcesses(cfg);
  if (!processes?.prefork) return undefined;
  const hard = intOption(cfg, "limit_memory_hard", 2684354560);
  if (hard === undefined || hard <= 0) return undefined;
  const limited = limitedProcessCount(processes);
  return { processes, hard, limited, total: hard * limited + MASTER_OVERHEAD_BYTES };
}

export interface ConnectionDemand {
  processes: OdooProcesses;
  dbMaxconn: number;
  /** Pool size of the gevent process (`db_maxconn_gevent`, else `db_maxconn`). */
  dbMaxconnGevent: number;
  /** Container replicas (`deploy.replicas`, default 1). */
  replicas: number;
  /** Connections one container may open. */
  perContainer: number;
  /** perContainer × replicas. */
  total: number;
}

/**
 * PostgreSQL connections one Odoo service may open at worst: every process fills its pool.
 * Prefork: (workers + cron) × db_maxconn + the gevent process's pool, i.e. the usual
 * (1 + workers + max_cron_threads) × db_maxconn. Threaded: one process, one pool of db_maxconn.
 */
export function connectionDemand(cfg: OdooConfig, svc?: ServiceModel): ConnectionDemand | undefined {
  const processes = odooProcesses(cfg);
  if (!processes) return undefined;
  const dbMaxconn = intOption(cfg, "db_maxconn", ODOO_DEFAULT_DB_MAXCONN);
  if (dbMaxconn === undefined || dbMaxconn < 0) return undefined;
  const geventRaw = odooInt(cfg.options.db_maxconn_gevent?.value);
  const dbMaxconnGevent = geventRaw !== undefined && geventRaw > 0 ? geventRaw : dbMaxconn;
  const replicas = svc?.replicas !== undefined && svc.replicas >= 0 ? svc.replicas : 1;
  let perContainer: number;
  if (processes.prefork) {
    perContainer = limitedProcessCount(processes) * dbMaxconn + (processes.gevent ? dbMaxconnGevent : 0);
  } else {
    perContainer = dbMaxconn;
  }
  return { processes, dbMaxconn, dbMaxconnGevent, replicas, perContainer, total: perContainer * replicas };
}

/** Number of connection pools (processes × replicas) behind a {@link ConnectionDemand}. */
export function poolCount(d: ConnectionDemand): number {
  const p = d.processes;
  const perContainer = p.prefork ? limitedProcessCount(p) + (p.gevent ? 1 : 0) : 1;
  return perContainer * d.replicas;
}

/** A human-readable formula for {@link connectionDemand}, e.g. "(1 + 4 workers + 2 cron) × db_maxconn 64 = 448". */
export function describeDemand(d: ConnectionDemand): string {
  const p = d.processes;
  let s: string;
  if (!p.prefork) {
    s = `threaded server, one pool of db_maxconn ${d.dbMaxconn}`;
  } else {
    const parts: string[] = [];
    if (p.gevent) parts.push("1 gevent");
    if (p.http) parts.push(`${p.workers} workers`);
    parts.push(`${p.cron} cron`);
    if (d.dbMaxconnGevent !== d.dbMaxconn && p.gevent) {
      const rest = parts.slice(1).join(" + ");
      s = `${rest} × db_maxconn ${d.dbMaxconn} + gevent db_maxconn_gevent ${d.dbMaxconnGevent}`;
    } else {
      s = `(${parts.join(" + ")}) × db_maxconn ${d.dbMaxconn}`;
    }
  }
  if (d.replicas !== 1) s = `${d.replicas} replicas × [${s}]`;
  return `${s} = ${d.total}`;
}

export type MaxConnectionsSource = "command" | "conf-extra" | "environment" | "default";

export interface PgMaxConnections {
  value: number;
  source: MaxConnectionsSource;
  pos?: SourcePos;
}

/**
 * PostgreSQL `max_connections` of a compose service: `-c max_connections=N` (or `-N N`,
 * `--max_connections=N`) in `command:`, else `max_connections = N` in postgres-autoconf's
 * `CONF_EXTRA`, else bitnami's `POSTGRESQL_MAX_CONNECTIONS`, else PostgreSQL's default 100.
 * undefined when it cannot be known: a value that is not a number, or a custom `config_file`.
 */
export function pgMaxConnections(env: EnvModel, svc: ServiceModel): PgMaxConnections | undefined {
  const cmd = svc.command ?? [];
  const fromCmd = maxConnectionsFromArgv(cmd);
  if (fromCmd === null) return undefined;
  if (fromCmd) {
    return { value: fromCmd.value, source: "command", pos: svcPos(env, svc.name, "command", fromCmd.index) };
  }
  if (cmd.some((a) => /config_file\s*=/.test(a))) return undefined;

  const confExtra = svc.environment.CONF_EXTRA;
  if (typeof confExtra === "string") {
    const v = maxConnectionsFromConf(confExtra);
    if (v === null) return undefined;
    if (v !== undefined) {
      return { value: v, source: "conf-extra", pos: svcPos(env, svc.name, "environment", "CONF_EXTRA") };
    }
  }
  if (svc.image && imageName(svc.image).startsWith("bitnami/")) {
    const raw = svc.environment.POSTGRESQL_MAX_CONNECTIONS;
    if (typeof raw === "string") {
      const v = odooInt(raw);
      if (v === undefined) return undefined;
      return {
        value: v,
        source: "environment",
        pos: svcPos(env, svc.name, "environment", "POSTGRESQL_MAX_CONNECTIONS"),
      };
    }
  }
  return { value: PG_DEFAULT_MAX_CONNECTIONS, source: "default", pos: svc.pos ?? svcPos(env, svc.name) };
}

/**
 * `max_connections` from a postgres argv. The last setting wins, like PostgreSQL's own parsing.
 * undefined when not set; null when set to something that is not a number.
 */
export function maxConnectionsFromArgv(argv: readonly string[]): { value: number; index: number } | null | undefined {
  let found: { value: number; index: number } | null | undefined;
  const take = (raw: string, index: number): void => {
    const v = odooInt(raw.replace(/^['"]|['"]$/g, ""));
    found = v === undefined ? null : { value: v, index };
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    let setting: string | undefined;
    let at = i;
    if (a === "-c") {
      setting = argv[i + 1];
      at = i + 1;
      i++;
    } else if (a.startsWith("-c") && !a.startsWith("--")) {
      setting = a.slice(2);
    } else if (a.startsWith("--")) {
      setting = a.slice(2);
    } else if (a === "-N") {
      if (argv[i + 1] !== undefined) take(argv[i + 1] ?? "", i + 1);
      i++;
      continue;
    } else if (/^-N\d/.test(a)) {
      take(a.slice(2), i);
      continue;
    }
    if (setting === undefined) continue;
    const m = /^max[_-]connections\s*=\s*(.*)$/.exec(setting.trim());
    if (m) take(m[1] ?? "", at);
  }
  return found;
}

/**
 * `max_connections` from postgresql.conf text (e.g. postgres-autoconf `CONF_EXTRA`); the last
 * line wins. undefined when absent; null when not a number.
 */
export function maxConnectionsFromConf(text: string): number | null | undefined {
  let found: number | null | undefined;
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*max_connections\s*=?\s*([^#]*)/.exec(line);
    if (!m) continue;
    const raw = (m[1] ?? "").trim().replace(/^'|'$/g, "");
    const v = odooInt(raw);
    found = v === undefined ? null : v;
  }
  return found;
}

/** The database host an Odoo service connects to (`db_host`); undefined for a local socket. */
export function odooDbHost(cfg: OdooConfig): string | undefined {
  const v = cfg.options.db_host?.value?.trim();
  if (!v || v === "False" || v.startsWith("/")) return undefined;
  return v;
}

/** The compose service answering to a host name: service name, container_name, hostname or network alias. */
export function serviceForHost(env: EnvModel, host: string): ServiceModel | undefined {
  const services = Object.values(env.compose.services);
  const h = host.toLowerCase();
  return (
    services.find((s) => s.name.toLowerCase() === h) ??
    services.find((s) => s.containerName?.toLowerCase() === h) ??
    services.find((s) => typeof s.raw.hostname === "string" && s.raw.hostname.toLowerCase() === h) ??
    services.find((s) => Object.values(s.networks).some((n) => n.aliases.some((a) => a.toLowerCase() === h)))
  );
}

export interface ConnectionConsumer {
  service: string;
  cfg: OdooConfig;
  demand: ConnectionDemand;
}

export interface ConnectionBudget {
  /** The db host the consumers share. */
  host: string;
  /** The PostgreSQL compose service behind it. */
  pgService: ServiceModel;
  maxConnections: PgMaxConnections;
  consumers: ConnectionConsumer[];
  /** Sum of the consumers' worst-case connections. */
  total: number;
  /** false when some Odoo service on this host had unreadable values (total is then a lower bound). */
  complete: boolean;
}

/**
 * Connection budgets of an environment, one per PostgreSQL compose service used by Odoo.
 * Hosts outside the compose project (managed databases) and services that are not recognisably
 * PostgreSQL (pgbouncer, ...) are left out: their limit is unknown.
 */
export function connectionBudgets(env: EnvModel): ConnectionBudget[] {
  const byHost = new Map<string, { pg: ServiceModel; consumers: ConnectionConsumer[]; complete: boolean }>();
  for (const { svc, cfg } of odooServices(env)) {
    const host = odooDbHost(cfg);
    if (!host) continue;
    const pg = serviceForHost(env, host);
    if (!pg || !isPgServer(pg)) continue;
    let group = byHost.get(pg.name);
    if (!group) {
      group = { pg, consumers: [], complete: true };
      byHost.set(pg.name, group);
    }
    const demand = connectionDemand(cfg, svc);
    if (!demand) {
      group.complete = false;
      continue;
    }
    group.consumers.push({ service: svc.name, cfg, demand });
  }
  const out: ConnectionBudget[] = [];
  for (const [host, g] of byHost) {
    const maxConnections = pgMaxConnections(env, g.pg);
    if (!maxConnections || g.consumers.length === 0) continue;
    const total = g.consumers.reduce((sum, c) => sum + c.demand.total, 0);
    out.push({ host, pgService: g.pg, maxConnections, consumers: g.consumers, total, complete: g.complete });
  }
  return out;
}

/**
 * The largest db_maxconn that keeps `processes` pools within `maxConnections`, keeping `reserve`
 * connections for superusers (PostgreSQL reserves 3), backups and maintenance sessions.
 * undefined when even 2 per process does not fit (then raise max_connections instead).
 */
export function suggestDbMaxconn(maxConnections: number, processes: number, reserve = 10): number | undefined {
  if (processes <= 0) return undefined;
  const v = Math.floor((maxConnections - reserve) / processes);
  return v >= 2 ? v : undefined;
}

function intOption(cfg: OdooConfig, key: string, fallback: number): number | undefined {
  const o = cfg.options[key];
  if (!o) return fallback;
  return odooInt(o.value);
}

// ---------------------------------------------------------------------------------------------
// Positions of resource settings

/** Where the service's memory limit is written: `mem_limit` or `deploy.resources.limits.memory`. */
export function memLimitPos(env: EnvModel, svc: ServiceModel): SourcePos | undefined {
  const p = env.compose.positions;
  return (
    p.exact(["services", svc.name, "mem_limit"]) ??
    p.exact(["services", svc.name, "deploy", "resources", "limits", "memory"]) ??
    svcPos(env, svc.name)
  );
}

/** Where the service's CPU limit is written: `cpus` or `deploy.resources.limits.cpus`. */
export function cpusPos(env: EnvModel, svc: ServiceModel): SourcePos | undefined {
  const p = env.compose.positions;
  return (
    p.exact(["services", svc.name, "cpus"]) ??
    p.exact(["services", svc.name, "deploy", "resources", "limits", "cpus"]) ??
    svcPos(env, svc.name)
  );
}

/** Position of an Odoo option when it was set somewhere, else the service declaration. */
export function optionPos(env: EnvModel, cfg: OdooConfig, ...keys: string[]): SourcePos | undefined {
  for (const k of keys) {
    const pos = cfg.options[k]?.pos;
    if (pos) return pos;
  }
  return svcPos(env, cfg.service);
}
