/**
 * `doodba-ops doctor [dir] --env prod`: the live state of a deployment. Loads the project, then
 * probes the Docker engine (containers, restarts, health, OOM kills, recent Odoo logs fed to the
 * log scanner), Odoo over HTTP (directly and through the proxy), PostgreSQL (read-only), the disk
 * of the volumes, and runs `check` for the configuration findings that explain what was seen.
 * Probes that cannot run are "skipped" with the reason, never "ok". Returns a {@link DoctorReport};
 * the renderers in ./report print it.
 */
import { UserError } from "../errors.js";
import { toolVersion, TOOL_NAME } from "../check/index.js";
import { odooServices } from "../check/lib/common.js";
import { odooPorts, analyzeProxy, routeTarget, describeRoute } from "../check/lib/proxy.js";
import { connectionBudgets, describeDemand, odooDbHost, odooProcesses, serviceForHost } from "../check/lib/sizing.js";
import type { Platform } from "../platform/index.js";
import { nodePgConnect, type PgClient, type PgConnect, type PgConnectOptions } from "../platform/pg.js";
import { loadProject } from "../project/index.js";
import type { EnvModel, OdooConfig, ProjectModel, ServiceModel } from "../project/model.js";
import { probeCheck } from "./probes/check.js";
import { assessContainers, DockerCli, matchEnvContainers, type DockerContainer, type DockerEngine } from "./probes/docker.js";
import { probeDisk } from "./probes/disk.js";
import { nodeHttpClient, type HttpClient } from "./probes/http-client.js";
import { probeOdooHttp, skippedHttp, type OdooEndpoint } from "./probes/http.js";
import { probePostgres, skippedPg, PG_PROBE_IDS, type OdooConnectionBudget, type PgThresholds } from "./probes/postgres.js";
import { errorText, mask, probe } from "./probes/util.js";
import type { DoctorFinding, DoctorReport, ProbeResult, ScanResult } from "./types.js";

/** A log input for the scanner: a name and its bytes. */
export interface LiveLogSource {
  name: string;
  stream: AsyncIterable<Buffer | string>;
}

/** The log scanner and its findings (src/doctor/scan, src/doctor/findings.ts). */
export interface LiveLogScanner {
  scan(sources: readonly LiveLogSource[]): Promise<ScanResult>;
  findings(scan: ScanResult): DoctorFinding[];
}

export interface LiveOptions {
  /** Project directory. */
  dir: string;
  /** Environment name. @default "prod" */
  env?: string;
  /** How far back to read the container logs, as the user wrote it (for the report). @default "1h" */
  since?: string;
  /** The same as epoch ms (the CLI parses --since); passed to `docker logs --since` as a Unix time. */
  sinceMs?: number;
  /** PostgreSQL connection string; default: derived from the Odoo service's db_* options and the db container. */
  db?: string;
  /** Base URL of the deployment through its proxy; default: the domain of the proxy routes in the project. */
  url?: string;
  /** Compose project name the containers run under; default: matched from their labels, COMPOSE_PROJECT_NAME, or the directory's name. */
  projectName?: string;
  /** Probe ids or groups not to run (docker, logs, http, direct, proxy, websocket, postgres, disk, check). */
  skip?: readonly string[];
  thresholds?: Partial<PgThresholds>;
  /** Per-request HTTP deadline. @default 8000 */
  httpTimeoutMs?: number;
  /** Deadline of each docker CLI call. @default 15000 */
  dockerTimeoutMs?: number;
}

export interface LiveDeps {
  http?: HttpClient;
  pgConnect?: PgConnect;
  /** @default the built-in scanner, loaded on first use */
  logScanner?: LiveLogScanner | (() => Promise<LiveLogScanner>);
  /** Progress lines (stderr). */
  progress?: (line: string) => void;
}

export const DEFAULT_SINCE = "1h";

/** Groups each probe id belongs to, for --skip. */
const GROUPS: Record<string, readonly string[]> = {
  "docker-engine": ["docker"],
  containers: ["docker"],
  "odoo-logs": ["docker", "logs"],
  "web-health-direct": ["http", "direct"],
  "websocket-direct": ["http", "direct", "websocket"],
  "web-health-proxy": ["http", "proxy"],
  "websocket-proxy": ["http", "proxy", "websocket"],
  disk: ["docker", "disk"],
  check: ["check"],
  ...Object.fromEntries(PG_PROBE_IDS.map((id) => [id, ["postgres", "pg"]])),
};

export const PROBE_IDS = Object.keys(GROUPS);
export const PROBE_GROUPS = [...new Set(Object.values(GROUPS).flat())].sort();

function skipper(skip: readonly string[] | undefined): (id: string) => boolean {
  const set = new Set((skip ?? []).map((s) => s.trim().toLowerCase()).filter(Boolean));
  return (id) => set.has(id) || (GROUPS[id] ?? []).some((g) => set.has(g));
}

/** Checks --skip values: every one must be a probe id or a group. */
export function validateSkip(skip: readonly string[] | undefined): void {
  for (const s of skip ?? []) {
    const v = s.trim().toLowerCase();
    if (!PROBE_IDS.includes(v) && !PROBE_GROUPS.includes(v)) {
      throw new UserError(`--skip ${s}: no such probe or group`, { hint: `Groups: ${PROBE_GROUPS.join(", ")}. Probes: ${PROBE_IDS.join(", ")}.` });
    }
  }
}

/** The Odoo service probed: the one named "odoo", else the first one serving HTTP. */
export function mainOdoo(env: EnvModel): { svc: ServiceModel; cfg: OdooConfig } | undefined {
  const all = odooServices(env);
  return all.find((x) => x.svc.name === "odoo") ?? all.find((x) => odooProcesses(x.cfg)?.http !== false) ?? all[0];
}

export async function runDoctorLive(platform: Platform, opts: LiveOptions, deps: LiveDeps = {}): Promise<DoctorReport> {
  validateSkip(opts.skip);
  const envName = opts.env ?? "prod";
  const since = opts.since ?? DEFAULT_SINCE;
  const now = platform.now ? platform.now() : new Date();
  const progress = deps.progress ?? ((): void => undefined);
  const skipped = skipper(opts.skip);
  const bySkip = (id: string, title: string): ProbeResult => probe(id, title, "skipped", "skipped by --skip");

  const project = loadProject(opts.dir, { platform, envs: [envName] });
  const env = project.envs[envName] ?? Object.values(project.envs)[0];
  if (!env) throw new UserError(`Environment "${envName}" not found in ${opts.dir}`);
  const odoo = mainOdoo(env);
  const odooMajor = project.odooVersion?.major;

  const probes: ProbeResult[] = [];
  const findings: DoctorFinding[] = [];
  const report: DoctorReport = {
    tool: { name: TOOL_NAME, version: toolVersion() },
    target: { project: project.dir, env: env.name, since },
    at: now.toISOString(),
    findings,
    probes,
  };

  // ------------------------------------------------------------------ Docker engine
  let engine: DockerEngine | undefined;
  let containers: DockerContainer[] = [];
  let engineReason = "";
  const cli = platform.exec ? new DockerCli({ exec: platform.exec, environ: platform.environ, timeoutMs: opts.dockerTimeoutMs }) : undefined;
  const dockerWanted = !["docker-engine", "containers", "odoo-logs", "disk"].every(skipped);
  if (skipped("docker-engine")) {
    probes.push(bySkip("docker-engine", "Docker engine"));
    engineReason = "the Docker probes were skipped (--skip)";
  } else if (!cli) {
    engineReason = "no process runner in this context";
    probes.push(probe("docker-engine", "Docker engine", "skipped", engineReason));
  } else if (dockerWanted) {
    progress("docker engine");
    const e = await cli.engine();
    if ("reason" in e) {
      engineReason = e.reason;
      probes.push(probe("docker-engine", "Docker engine", "skipped", `${e.reason}${platform.environ.DOCKER_HOST ? ` (DOCKER_HOST=${mask(platform.environ.DOCKER_HOST)})` : ""}`));
    } else {
      engine = e.engine;
      probes.push(probe("docker-engine", "Docker engine", "ok", `Docker Engine ${engine.version} at ${mask(engine.host)} (${engine.local ? "local" : "remote"})`));
    }
  }
  const noEngine = engineReason.startsWith("no Docker engine") ? engineReason : `no Docker engine: ${engineReason}`;

  let odooContainers: DockerContainer[] = [];
  if (skipped("containers")) probes.push(bySkip("containers", "Containers of the environment"));
  else if (!engine || !cli) probes.push(probe("containers", "Containers of the environment", "skipped", noEngine));
  else {
    try {
      const all = await cli.composeContainers();
      const matched = matchEnvContainers(all, project, env, opts.projectName);
      if (matched.project) report.target.composeProject = matched.project;
      containers = matched.containers;
      const dbServices = Object.values(env.compose.services)
        .filter((s) => env.odoo.some((c) => odooDbHost(c) !== undefined && serviceForHost(env, odooDbHost(c) ?? "")?.name === s.name))
        .map((s) => s.name);
      const a = assessContainers(env, matched, { odoo: env.odoo.map((c) => c.service), db: dbServices });
      probes.push(a.probe);
      findings.push(...a.findings);
      odooContainers = containers.filter((c) => c.service !== undefined && env.odoo.some((o) => o.service === c.service));
    } catch (err) {
      probes.push(probe("containers", "Containers of the environment", "skipped", `cannot list containers: ${mask(errorText(err))}`));
    }
  }

  // ------------------------------------------------------------------ recent Odoo logs
  if (skipped("odoo-logs")) probes.push(bySkip("odoo-logs", "Recent Odoo logs"));
  else if (!engine || !cli) probes.push(probe("odoo-logs", "Recent Odoo logs", "skipped", noEngine));
  else if (odooContainers.length === 0) probes.push(probe("odoo-logs", "Recent Odoo logs", "skipped", "no Odoo container found to read logs from"));
  else {
    progress(`logs of ${odooContainers.map((c) => c.name).join(", ")} since ${since}`);
    try {
      const scanner = await resolveScanner(deps.logScanner);
      const dockerSince = opts.sinceMs !== undefined ? String(Math.floor(opts.sinceMs / 1000)) : since;
      const procs = await Promise.all(odooContainers.map(async (c) => ({ c, p: await cli.logs(c.id, dockerSince) })));
      const scan = await scanner.scan(procs.map(({ c, p }) => ({ name: `docker logs ${c.name}`, stream: p.stdout })));
      const results = await Promise.all(procs.map(({ p }) => p.done));
      const failed = results.find((r) => r.exitCode !== 0);
      report.scan = scan;
      const logFindings = scanner.findings(scan);
      findings.push(...logFindings);
      const serious = logFindings.filter((f) => f.severity === "critical" || f.severity === "error");
      const what = `${scan.lines} lines since ${since} from ${odooContainers.map((c) => c.name).join(", ")}`;
      if (failed && scan.lines === 0) {
        probes.push(probe("odoo-logs", "Recent Odoo logs", "skipped", `docker logs failed (exit ${failed.exitCode})`));
      } else {
        probes.push(
          probe(
            "odoo-logs",
            "Recent Odoo logs",
            serious.length > 0 ? "problem" : "ok",
            `${what}: ${logFindings.length === 0 ? "no known problem signature" : `${logFindings.length} finding${logFindings.length === 1 ? "" : "s"} (${[...new Set(logFindings.map((f) => f.id))].slice(0, 6).join(", ")})`}`,
          ),
        );
      }
    } catch (err) {
      probes.push(probe("odoo-logs", "Recent Odoo logs", "skipped", `cannot scan the logs: ${mask(errorText(err))}`));
    }
  }

  // ------------------------------------------------------------------ HTTP
  const http = deps.http ?? nodeHttpClient;
  const httpOpts = { client: http, odooMajor, timeoutMs: opts.httpTimeoutMs ?? 8000, now };
  if (!odoo) {
    const reason = `environment ${env.name} has no Odoo service`;
    probes.push(...skippedHttp("direct", reason, odooMajor), ...skippedHttp("proxy", reason, odooMajor));
  } else {
    for (const kind of ["direct", "proxy"] as const) {
      const webId = `web-health-${kind}`;
      const busId = `websocket-${kind}`;
      if (skipped(webId) && skipped(busId)) {
        probes.push(bySkip(webId, `Odoo /web/health ${kind === "direct" ? "directly" : "through the proxy"}`));
        if (odooMajor === undefined || odooMajor >= 16) probes.push(bySkip(busId, `Odoo bus (/websocket) ${kind === "direct" ? "directly" : "through the proxy"}`));
        continue;
      }
      const ep = kind === "direct" ? directEndpoint(env, odoo, engine, containers, noEngine) : proxyEndpoint(project, env, odoo, opts.url);
      if ("skip" in ep) {
        probes.push(...skippedHttp(kind, ep.skip, odooMajor));
        continue;
      }
      if (kind === "proxy") report.target.url = ep.base;
      progress(`HTTP ${kind}: ${ep.base}`);
      const r = await probeOdooHttp(kind, ep, httpOpts);
      for (const p of r.probes) probes.push(skipped(p.id) ? bySkip(p.id, p.title) : p);
      findings.push(...r.findings.filter((f) => !(skipped(busId) && /websocket|gevent/.test(f.id))));
    }
  }

  // ------------------------------------------------------------------ PostgreSQL
  if (PG_PROBE_IDS.every(skipped)) {
    for (const id of PG_PROBE_IDS) probes.push(bySkip(id, "PostgreSQL"));
  } else {
    const target = pgTarget(env, odoo, engine, containers, opts.db, noEngine);
    if ("skip" in target) {
      probes.push(...skippedPg(target.skip));
    } else {
      report.target.db = target.masked;
      progress(`PostgreSQL ${target.masked}`);
      let client: PgClient | undefined;
      try {
        client = await (deps.pgConnect ?? nodePgConnect)({ ...target.connect, statementTimeoutMs: 10_000, lockTimeoutMs: 2_000, connectTimeoutMs: 5_000, applicationName: "doodba-ops doctor" });
      } catch (err) {
        probes.push(...skippedPg(`cannot connect to ${target.masked}: ${mask(errorText(err), [target.password])}`));
      }
      if (client) {
        try {
          const r = await probePostgres({ client, target: target.masked, budget: target.budget, cronThreads: env.odoo.map((c) => odooProcesses(c)?.cron ?? 0), thresholds: opts.thresholds });
          for (const p of r.probes) probes.push(skipped(p.id) ? bySkip(p.id, p.title) : { ...p, detail: mask(p.detail, [target.password]) });
          findings.push(...r.findings.map((f) => ({ ...f, evidence: f.evidence.map((e) => mask(e, [target.password])) })));
        } catch (err) {
          const have = new Set(probes.map((p) => p.id));
          for (const p of skippedPg(`a query failed on ${target.masked}: ${mask(errorText(err), [target.password])}`)) if (!have.has(p.id)) probes.push(p);
        } finally {
          await client.close();
        }
      }
    }
  }

  // ------------------------------------------------------------------ disk
  if (skipped("disk")) probes.push(bySkip("disk", "Disk space of the volumes"));
  else if (!engine || !platform.exec) probes.push(probe("disk", "Disk space of the volumes", "skipped", noEngine));
  else if (!engine.local) probes.push(probe("disk", "Disk space of the volumes", "skipped", `the engine is remote (${mask(engine.host)}): df here would measure this machine, not the Docker host; run doctor on the host`));
  else {
    progress("disk space");
    const d = await probeDisk(platform.exec, containers, engine.rootDir);
    probes.push(d.probe);
    findings.push(...d.findings);
  }

  // ------------------------------------------------------------------ check
  if (skipped("check")) probes.push(bySkip("check", "Configuration findings of `check` that explain the symptoms"));
  else {
    const c = probeCheck(platform, project, env.name, findings, now);
    probes.push(c.probe);
    findings.push(...c.findings);
  }
  return report;
}

async function resolveScanner(s: LiveDeps["logScanner"]): Promise<LiveLogScanner> {
  if (typeof s === "function") return await s();
  if (s) return s;
  return await defaultLogScanner();
}

/** The built-in scanner and findings, loaded on first use. */
export async function defaultLogScanner(): Promise<LiveLogScanner> {
  const { scanSources } = await import("./scan/index.js");
  const { findingsFromScan } = await import("./findings.js");
  return { scan: (sources) => scanSources(sources), findings: (scan) => findingsFromScan(scan) };
}

// ---------------------------------------------------------------------------------------------
// Addresses

function hostFor(bindIp: string, engine: DockerEngine | undefined): string {
  if (bindIp && bindIp !== "0.0.0.0" && bindIp !== "::" && bindIp !== "[::]") return bindIp.includes(":") ? `[${bindIp}]` : bindIp;
  if (engine && !engine.local && engine.remoteHost) return engine.remoteHost;
  return "127.0.0.1";
}

/** Odoo's own ports: published on the engine host, else the container's address (local engine), else the compose file's published ports. */
export function directEndpoint(env: EnvModel, odoo: { svc: ServiceModel; cfg: OdooConfig }, engine: DockerEngine | undefined, containers: readonly DockerContainer[], noEngine: string): OdooEndpoint | { skip: string } {
  const ports = odooPorts(odoo.cfg);
  const proc = odooProcesses(odoo.cfg);
  // threaded server: the bus is on the HTTP port; prefork (or unknown): on the gevent port
  const busPort = proc && !proc.prefork ? ports.http : ports.gevent;
  if (engine) {
    const c = containers.find((x) => x.service === odoo.svc.name && x.state === "running");
    if (!c) {
      const other = containers.find((x) => x.service === odoo.svc.name);
      return { skip: other ? `the ${odoo.svc.name} container ${other.name} is ${other.state}` : `no running container of service ${odoo.svc.name}` };
    }
    const pub = (p: number): string | undefined => {
      const b = c.ports.find((x) => x.containerPort === p && x.protocol === "tcp");
      return b ? `http://${hostFor(b.hostIp, engine)}:${b.hostPort}` : undefined;
    };
    const ip = c.networks.find((n) => n.ip)?.ip;
    const viaIp = (p: number): string | undefined => (engine.local && ip ? `http://${ip}:${p}` : undefined);
    const base = pub(ports.http) ?? viaIp(ports.http);
    const bus = pub(busPort) ?? viaIp(busPort);
    if (!base) {
      return { skip: engine.local ? `${c.name} publishes no port ${ports.http} and has no network address` : `${c.name} publishes no port ${ports.http} and the engine is remote (its container address is not reachable from here)` };
    }
    const how = pub(ports.http) ? `published port of ${c.name}` : `container address of ${c.name}`;
    return { base, busBase: bus ?? base, how };
  }
  const published = (p: number): string | undefined => {
    const m = odoo.svc.ports.find((x) => x.target === p && x.published && !x.published.includes("-") && (x.protocol ?? "tcp") === "tcp");
    return m ? `http://${hostFor(m.hostIp ?? "", undefined)}:${m.published}` : undefined;
  };
  const base = published(ports.http);
  if (!base) return { skip: `service ${odoo.svc.name} publishes no port ${ports.http} in the compose file and, without a Docker engine, its container address is unknown (${noEngine})` };
  return { base, busBase: published(busPort) ?? base, how: `port published in the compose file (${odoo.svc.name})`, refusedMeansAbsent: true };
}

/** The proxy: --url, else the first domain a proxy route sends to the Odoo service's HTTP port. */
export function proxyEndpoint(project: ProjectModel, env: EnvModel, odoo: { svc: ServiceModel; cfg: OdooConfig }, url: string | undefined): OdooEndpoint | { skip: string } {
  if (url) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new UserError(`--url ${url} is not a URL`, { hint: "Give the address users open, e.g. https://erp.example.com" });
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new UserError(`--url ${url}: only http:// and https:// are supported`);
    const base = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, "")}`;
    return { base, busBase: base, how: "--url" };
  }
  const analysis = analyzeProxy(env, project);
  const routes = analysis.routes.filter((r) => r.service === odoo.svc.name && r.hosts.length > 0 && routeTarget(r, odoo.cfg) === "http" && !r.pathPrefix);
  const best = routes.find((r) => r.tls === true) ?? routes[0];
  const host = best?.hosts.find((h) => /^[a-z0-9.-]+$/i.test(h) && h.includes("."));
  if (!best || !host) return { skip: "no proxy route with a domain for the Odoo service in the project; pass --url https://<domain>" };
  const scheme = best.tls === false ? "http" : "https";
  const base = `${scheme}://${host}`;
  return { base, busBase: base, how: describeRoute(best) };
}

interface PgTarget {
  connect: PgConnectOptions;
  masked: string;
  password?: string;
  budget?: OdooConnectionBudget;
}

/** Masked form of a connection: postgres://user:***@host:port/db */
export function maskedTarget(c: PgConnectOptions): string {
  if (c.connectionString) return mask(c.connectionString);
  return `postgres://${c.user ?? ""}${c.password ? ":***" : ""}@${c.host ?? ""}:${c.port ?? 5432}/${c.database ?? ""}`;
}

function pgTarget(env: EnvModel, odoo: { svc: ServiceModel; cfg: OdooConfig } | undefined, engine: DockerEngine | undefined, containers: readonly DockerContainer[], db: string | undefined, noEngine: string): PgTarget | { skip: string } {
  const budgets = connectionBudgets(env);
  const budgetOf = (pgService?: string): OdooConnectionBudget | undefined => {
    const b = pgService ? budgets.find((x) => x.pgService.name === pgService) : budgets.length === 1 ? budgets[0] : undefined;
    if (!b) return undefined;
    return {
      total: b.total,
      formula: b.consumers.map((c) => `${c.service}: ${describeDemand(c.demand)}`).join("; "),
      composeMaxConnections: b.maxConnections.value,
    };
  };
  if (db) {
    let u: URL;
    try {
      u = new URL(db);
    } catch {
      throw new UserError("--db is not a connection URL", { hint: "Use postgres://user:password@host:5432/dbname" });
    }
    if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") throw new UserError("--db must be a postgres:// or postgresql:// URL");
    const password = u.password ? decodeURIComponent(u.password) : (u.searchParams.get("password") ?? undefined);
    return { connect: { connectionString: db }, masked: mask(db), password, budget: budgetOf() };
  }
  if (!odoo) return { skip: `environment ${env.name} has no Odoo service to take the database settings from; pass --db` };
  const o = odoo.cfg.options;
  const val = (k: string): string | undefined => {
    const v = o[k]?.value?.trim();
    return v && v !== "False" ? v : undefined;
  };
  const user = val("db_user");
  const password = val("db_password");
  const database = val("db_name")?.split(",")[0]?.trim() || "postgres";
  const dbPort = Number(val("db_port") ?? "5432") || 5432;
  const host = odooDbHost(odoo.cfg);
  if (!host) return { skip: "the Odoo service connects through a local socket (db_host unset); pass --db" };
  const pgSvc = serviceForHost(env, host);
  const base = { user, password, database };
  if (!pgSvc) {
    // a database outside the compose project (managed service): its own host name
    const connect = { ...base, host, port: dbPort };
    return { connect, masked: maskedTarget(connect), password, budget: budgetOf() };
  }
  if (engine) {
    const c = containers.find((x) => x.service === pgSvc.name);
    if (!c) return { skip: `no container of the database service ${pgSvc.name}` };
    if (c.state !== "running") return { skip: `the database container ${c.name} is ${c.state}` };
    const b = c.ports.find((p) => p.containerPort === dbPort && p.protocol === "tcp");
    const ip = c.networks.find((n) => n.ip)?.ip;
    let connect: PgConnectOptions | undefined;
    if (b) connect = { ...base, host: hostFor(b.hostIp, engine).replace(/^\[|\]$/g, ""), port: b.hostPort };
    else if (engine.local && ip) connect = { ...base, host: ip, port: dbPort };
    if (!connect) return { skip: `${c.name} publishes no port and the engine is remote; pass --db (e.g. through an SSH tunnel)` };
    return { connect, masked: maskedTarget(connect), password, budget: budgetOf(pgSvc.name) };
  }
  const m = pgSvc.ports.find((x) => x.target === dbPort && x.published && !x.published.includes("-"));
  if (!m) return { skip: `service ${pgSvc.name} publishes no port ${dbPort} in the compose file and, without a Docker engine, its container address is unknown (${noEngine}); pass --db` };
  const connect = { ...base, host: hostFor(m.hostIp ?? "", undefined), port: Number(m.published) };
  return { connect, masked: maskedTarget(connect), password, budget: budgetOf(pgSvc.name) };
}
