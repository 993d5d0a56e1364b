/**
 * `tune`'s decision: a project environment plus the host and load -> what each setting is now
 * (with where it is set), what it should be, and why. Pure: the model in, data out. The
 * calculators are ./odoo.ts and ./postgres.ts; ./apply.ts turns the result into file edits.
 */
import type { SourcePos } from "../errors.js";
import { UserError } from "../errors.js";
import { envKind, formatBytes, imageName, odooInt, odooServices, svcPos } from "../check/lib/common.js";
import { isPgServer, pgImageFlavour, pgServerServices, pgVersionOfService, pgVersions, formatPgMajor } from "../check/lib/postgres.js";
import { odooDbHost, serviceForHost } from "../check/lib/sizing.js";
import { isHttpDisabled, runsOdooServer } from "../check/rules/reliability/workers-not-set.js";
import type { EnvModel, OdooConfig, OdooOptionSource, ProjectModel, ServiceModel } from "../project/model.js";
import type { HostInput } from "./host.js";
import { fmt, sizeOdoo, type OdooSizing, type PostgresPlacement } from "./odoo.js";
import { pgDefaults, samePgValue, tunePostgresExplained, type PgStorage, type PgTuneResult, type PgWorkload } from "./postgres.js";

export interface TuneOptions {
  /** Environment name (prod, test, ...). */
  env: string;
  host: HostInput;
  /** Concurrent users at peak. */
  users: number;
  /** Share of heavy requests. @default 0.2 */
  heavyRatio?: number;
  /** @default "ssd" */
  storage?: PgStorage;
  /** @default "web" */
  workload?: PgWorkload;
  /** PostgreSQL runs on another host: Odoo gets all of this one. @default detected (elsewhere when the environment has no PostgreSQL service Odoo uses) */
  pgElsewhere?: boolean;
  /** Run crons in a cron-only instance. @default false, or true when the environment already has one */
  splitCron?: boolean;
}

/** How a PostgreSQL service takes its settings. */
export type PgFlavour = "autoconf" | "official" | "unsupported";

export interface CurrentValue {
  /** As written or as the server defaults it; "" when the service does not exist yet. */
  value: string;
  /** Where it comes from: "conf.d", "command", "environment", "CONF_EXTRA", "odoo default", "PostgreSQL default", "not set", ... */
  source: string;
  pos?: SourcePos;
}

export type ServiceRole = "web" | "cron" | "db";

export interface TuneRow {
  service: string;
  role: ServiceRole;
  kind: "odoo" | "container" | "postgres";
  setting: string;
  current: CurrentValue;
  recommended: string;
  why: string;
  /** The recommendation differs from the current value. */
  change: boolean;
}

export interface TuneLayout {
  /** The Odoo service that serves HTTP. */
  web: string;
  /** The cron-only instance (when crons are split out); exists: already in the environment. */
  cron?: { service: string; exists: boolean };
  /** The PostgreSQL service Odoo uses, when it is part of the environment. */
  db?: { service: string; flavour: PgFlavour; image?: string };
  pgPlacement: PostgresPlacement;
  pgVersion: number;
  /** The version was not readable (untagged image) and 16 was assumed. */
  pgVersionAssumed: boolean;
  odooMajor?: number;
}

export interface TuneRecommendation {
  env: string;
  host: HostInput;
  inputs: { users: number; heavyRatio: number; storage: PgStorage; workload: PgWorkload; pgElsewhere: boolean; splitCron: boolean };
  layout: TuneLayout;
  sizing: OdooSizing;
  /** pgtune's result; undefined when PostgreSQL is not sized here (elsewhere). */
  postgres?: PgTuneResult;
  rows: TuneRow[];
  notes: string[];
}

const SOURCE_LABEL: Record<OdooOptionSource, string> = {
  "odoo-default": "Odoo default",
  "doodba-default": "doodba default",
  environment: "environment",
  "build-arg": "build arg",
  "conf.d": "conf.d",
  command: "command",
};

/** The order PostgreSQL settings are shown (and appended) in. */
export const PG_ORDER = [
  "max_connections",
  "shared_buffers",
  "effective_cache_size",
  "work_mem",
  "maintenance_work_mem",
  "wal_buffers",
  "min_wal_size",
  "max_wal_size",
  "checkpoint_completion_target",
  "default_statistics_target",
  "random_page_cost",
  "effective_io_concurrency",
  "max_worker_processes",
  "max_parallel_workers_per_gather",
  "max_parallel_workers",
  "max_parallel_maintenance_workers",
  "huge_pages",
  "wal_level",
  "max_wal_senders",
];

/** How an image takes PostgreSQL settings. */
export function pgFlavourOf(image: string | undefined): PgFlavour {
  if (!image) return "unsupported";
  const last = imageName(image).split("/").pop() ?? "";
  if (/autoconf/.test(last)) return "autoconf";
  return pgImageFlavour(image) === "official" ? "official" : "unsupported";
}

/** `key = value` lines of a postgresql.conf text (postgres-autoconf's CONF_EXTRA); the last wins. */
export function parsePgConf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:=\s*|\s+)(.*?)\s*(?:#.*)?$/.exec(line);
    if (!m || line.trim().startsWith("#")) continue;
    out.set((m[1] ?? "").toLowerCase(), (m[2] ?? "").replace(/^'(.*)'$/, "$1"));
  }
  return out;
}

/** Settings given on a postgres command line: `-c k=v`, `-ck=v`, `--k=v`, `-N n`, `-B n`; index of the value item. */
export function parsePgArgv(argv: readonly string[]): Map<string, { value: string; index: number }> {
  const out = new Map<string, { value: string; index: number }>();
  const put = (setting: string, index: number): void => {
    const eq = setting.indexOf("=");
    if (eq <= 0) return;
    out.set(setting.slice(0, eq).trim().replace(/-/g, "_").toLowerCase(), { value: setting.slice(eq + 1).trim().replace(/^['"](.*)['"]$/, "$1"), index });
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "-c" && argv[i + 1] !== undefined) {
      put(argv[i + 1] ?? "", i + 1);
      i++;
    } else if (a.startsWith("--") && a.includes("=")) put(a.slice(2), i);
    else if (/^-c./.test(a)) put(a.slice(2), i);
    else if ((a === "-N" || a === "-B") && argv[i + 1] !== undefined) {
      const v = argv[i + 1] ?? "";
      out.set(a === "-N" ? "max_connections" : "shared_buffers", { value: a === "-B" ? `${Number(v) * 8}kB` : v, index: i + 1 });
      i++;
    }
  }
  return out;
}

function odooCurrent(cfg: OdooConfig | undefined, key: string): CurrentValue {
  const o = cfg?.options[key];
  if (!o) return { value: "", source: "not set" };
  return { value: o.value, source: SOURCE_LABEL[o.source], pos: o.pos };
}

function memCurrent(env: EnvModel, svc: ServiceModel | undefined): CurrentValue {
  if (!svc) return { value: "", source: "new service" };
  const raw = svc.raw;
  const limits = ((raw.deploy as Record<string, unknown> | undefined)?.resources as Record<string, unknown> | undefined)?.limits as Record<string, unknown> | undefined;
  if (raw.mem_limit !== undefined && raw.mem_limit !== null) {
    return { value: String(raw.mem_limit), source: "mem_limit", pos: env.compose.positions.exact(["services", svc.name, "mem_limit"]) };
  }
  if (limits?.memory !== undefined && limits.memory !== null) {
    return { value: String(limits.memory), source: "deploy.resources.limits", pos: env.compose.positions.exact(["services", svc.name, "deploy", "resources", "limits", "memory"]) };
  }
  return { value: "", source: "no limit", pos: svcPos(env, svc.name) };
}

function cpusCurrent(env: EnvModel, svc: ServiceModel | undefined): CurrentValue {
  if (!svc) return { value: "", source: "new service" };
  const raw = svc.raw;
  const limits = ((raw.deploy as Record<string, unknown> | undefined)?.resources as Record<string, unknown> | undefined)?.limits as Record<string, unknown> | undefined;
  if (raw.cpus !== undefined && raw.cpus !== null) return { value: String(raw.cpus), source: "cpus", pos: env.compose.positions.exact(["services", svc.name, "cpus"]) };
  if (limits?.cpus !== undefined && limits.cpus !== null) {
    return { value: String(limits.cpus), source: "deploy.resources.limits", pos: env.compose.positions.exact(["services", svc.name, "deploy", "resources", "limits", "cpus"]) };
  }
  return { value: "", source: "no limit", pos: svcPos(env, svc.name) };
}

/** Compose notation of a memory size: "8g" when whole GiB, else "5376m". */
export function composeMemory(bytes: number): string {
  const mib = Math.round(bytes / 1024 ** 2);
  return mib % 1024 === 0 ? `${mib / 1024}g` : `${mib}m`;
}

/** Memory as compose would read it (bytes); undefined when unreadable. */
function composeBytes(v: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*$/i.exec(v);
  if (!m) return undefined;
  const mult: Record<string, number> = { "": 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  return Math.round(Number.parseFloat(m[1] ?? "0") * (mult[(m[2] ?? "").toLowerCase()] ?? 1));
}

/** The current PostgreSQL settings of a service: command line > CONF_EXTRA (postgres-autoconf) > defaults. */
export function pgCurrent(env: EnvModel, svc: ServiceModel, flavour: PgFlavour, version: number): Record<string, CurrentValue> {
  const out: Record<string, CurrentValue> = {};
  for (const [k, v] of Object.entries(pgDefaults(version))) out[k] = { value: v, source: "PostgreSQL default" };
  const confExtra = svc.environment.CONF_EXTRA;
  if (flavour === "autoconf" && typeof confExtra === "string") {
    const pos = env.compose.positions.exact(["services", svc.name, "environment", "CONF_EXTRA"]);
    for (const [k, v] of parsePgConf(confExtra)) out[k] = { value: v, source: "CONF_EXTRA", pos };
  }
  for (const [k, v] of parsePgArgv(svc.command ?? [])) {
    out[k] = { value: v.value, source: "command", pos: env.compose.positions.at(["services", svc.name, "command", v.index]) };
  }
  return out;
}

function odooChange(current: CurrentValue, recommended: string): boolean {
  const cur = odooInt(current.value);
  const want = odooInt(recommended);
  if (cur !== undefined && want !== undefined) return cur !== want;
  return current.value.trim().toLowerCase() !== recommended.trim().toLowerCase();
}

/** The Odoo option keys tune sets, in display order, for an Odoo version. */
export function tunedOdooKeys(sizing: OdooSizing, odooMajor: number | undefined): string[] {
  const keys = ["workers", "max_cron_threads", "limit_memory_soft", "limit_memory_hard", "limit_time_cpu", "limit_time_real"];
  // limit_time_real_cron appeared in Odoo 12.
  if (odooMajor === undefined || odooMajor >= 12) keys.push("limit_time_real_cron");
  keys.push("limit_request", "db_maxconn");
  if (sizing.dbMaxconnGevent !== undefined) keys.push("db_maxconn_gevent");
  return keys;
}

/** The value of an Odoo option in the sizing (web instance). */
export function odooValue(sizing: OdooSizing, key: string): string {
  const v: Record<string, number | undefined> = {
    workers: sizing.workers,
    max_cron_threads: sizing.maxCronThreads,
    limit_memory_soft: sizing.limitMemorySoft,
    limit_memory_hard: sizing.limitMemoryHard,
    limit_time_cpu: sizing.limitTimeCpu,
    limit_time_real: sizing.limitTimeReal,
    limit_time_real_cron: sizing.limitTimeRealCron,
    limit_request: sizing.limitRequest,
    db_maxconn: sizing.dbMaxconn,
    db_maxconn_gevent: sizing.dbMaxconnGevent,
  };
  const x = v[key];
  if (x === undefined) throw new Error(`no sizing value for ${key}`);
  return String(x);
}

function odooWhy(sizing: OdooSizing, key: string): string {
  const w = sizing.why as Record<string, string>;
  if (key === "limit_memory_soft" || key === "limit_memory_hard") return `${fmt(key === "limit_memory_soft" ? sizing.limitMemorySoft : sizing.limitMemoryHard)}: ${w[key] ?? ""}`;
  return w[key] ?? "";
}

/** The shared-memory size a PostgreSQL container should get: a quarter of its memory, 256 MiB to 1 GiB. */
export function pgShmSize(memoryBytes: number): number {
  const MiB = 1024 ** 2;
  return Math.max(256 * MiB, Math.min(1024 * MiB, Math.floor(memoryBytes / 4 / MiB) * MiB));
}

/**
 * The recommendation for one environment of a loaded project.
 * @throws UserError when the environment has no Odoo web service, or the inputs are unusable.
 */
export function recommend(project: ProjectModel, opts: TuneOptions): TuneRecommendation {
  const env = project.envs[opts.env];
  if (!env) throw new UserError(`Environment "${opts.env}" is not loaded`);
  const notes: string[] = [];
  const odoo = odooServices(env).filter(({ svc }) => runsOdooServer(svc) && svc.replicas !== 0);
  const webs = odoo.filter(({ svc, cfg }) => !isHttpDisabled(svc, cfg));
  const web = webs[0];
  if (!web) {
    throw new UserError(`Environment ${opts.env} has no Odoo service that serves HTTP`, {
      hint: `tune sizes the Odoo service of a Doodba project (built from ./odoo or running a doodba/odoo image). Services in ${env.compose.files.join(", ")}: ${Object.keys(env.compose.services).join(", ") || "none"}.`,
    });
  }
  for (const other of webs.slice(1)) notes.push(`Odoo service ${other.svc.name} also serves HTTP: tune sizes ${web.svc.name} only; ${other.svc.name} reads the same conf.d values.`);
  const existingCron = odoo.find(({ svc, cfg }) => isHttpDisabled(svc, cfg));
  const splitCron = opts.splitCron === true || existingCron !== undefined;
  if (existingCron && opts.splitCron !== true) notes.push(`${existingCron.svc.name} is a cron-only instance (--no-http): crons stay there and ${web.svc.name} runs none.`);
  let cronName = existingCron?.svc.name;
  if (splitCron && !cronName) {
    cronName = `${web.svc.name}-cron`;
    if (env.compose.services[cronName]) {
      throw new UserError(`--split-cron would add a service ${cronName}, but ${env.compose.files.join(", ")} already has one that is not a cron-only Odoo`, {
        hint: `Rename that service, or make it the cron instance yourself (command: [odoo, --no-http, --max-cron-threads=1]) and run tune again.`,
      });
    }
  }

  // The PostgreSQL service Odoo uses.
  let db: ServiceModel | undefined;
  const host = odooDbHost(web.cfg);
  const byHost = host ? serviceForHost(env, host) : undefined;
  if (byHost && isPgServer(byHost)) db = byHost;
  else if (byHost) notes.push(`Odoo reaches PostgreSQL through ${byHost.name} (${byHost.image ?? "no image"}), not a PostgreSQL server tune knows: its settings are not tuned.`);
  else {
    const servers = pgServerServices(env);
    if (servers.length === 1 && servers[0]) {
      db = servers[0];
      notes.push(`Odoo's db_host ${host ?? "(local socket)"} is not a service of ${opts.env}; the environment's only PostgreSQL service, ${db.name}, is sized as Odoo's database.`);
    } else if (servers.length > 1) {
      notes.push(`Odoo's db_host ${host ?? "(local socket)"} is none of the PostgreSQL services ${servers.map((s) => s.name).join(", ")}: they are not tuned.`);
    }
  }
  const pgElsewhere = opts.pgElsewhere ?? db === undefined;
  const placement: PostgresPlacement = pgElsewhere ? "elsewhere" : "shared";
  if (opts.pgElsewhere && db) notes.push(`--pg-elsewhere: Odoo gets the whole host; ${db.name} only gets max_connections (size its own host with tune analyze).`);

  const flavour = db ? pgFlavourOf(db.image) : undefined;
  const versionInfo = db ? pgVersionOfService(env, db) : pgVersions(env, project)[0];
  const pgVersion = versionInfo?.major ?? 16;
  const pgVersionAssumed = versionInfo === undefined;
  if (db && pgVersionAssumed) notes.push(`The PostgreSQL version of ${db.name} is not readable from its image (${db.image ?? "none"}): settings assume PostgreSQL 16.`);
  if (db && flavour === "official" && typeof db.environment.CONF_EXTRA === "string") {
    notes.push(`${db.name} runs the official postgres image, which ignores CONF_EXTRA (a variable of tecnativa/postgres-autoconf): its lines have no effect; tune writes the settings as command-line options.`);
  }
  if (db && flavour === "unsupported") {
    notes.push(`${db.name} runs ${db.image ?? "an unknown image"}: tune does not know how it takes settings; set the PostgreSQL values below yourself.`);
  }

  const odooMajor = project.odooVersion?.major;
  const heavyRatio = opts.heavyRatio ?? 0.2;
  const storage = opts.storage ?? "ssd";
  const workload = opts.workload ?? "web";
  const sizing = sizeOdoo(
    { cpus: opts.host.cpus, ramBytes: opts.host.memoryBytes },
    { users: opts.users },
    { heavyRatio, postgres: placement, splitCron, odooMajor, production: envKind(opts.env) !== "devel", replicas: web.svc.replicas ?? 1 },
  );
  notes.push(...sizing.warnings);

  const rows: TuneRow[] = [];
  // Web instance.
  for (const key of tunedOdooKeys(sizing, odooMajor)) {
    const current = odooCurrent(web.cfg, key);
    const recommended = odooValue(sizing, key);
    const why =
      key === "max_cron_threads" && splitCron
        ? `0: the cron-only instance ${cronName ?? ""} runs the crons (${sizing.cron?.threads ?? 1} cron worker${(sizing.cron?.threads ?? 1) > 1 ? "s" : ""}, counted against the CPU budget)`
        : odooWhy(sizing, key);
    rows.push({ service: web.svc.name, role: "web", kind: "odoo", setting: key, current, recommended, why, change: odooChange(current, recommended) });
  }
  const containerRows = (svc: ServiceModel | undefined, name: string, role: ServiceRole, memory: number, cpus: number, whyMem: string, whyCpus: string): void => {
    const mem = memCurrent(env, svc);
    const memBytes = mem.value === "" ? undefined : composeBytes(mem.value);
    rows.push({ service: name, role, kind: "container", setting: "mem_limit", current: mem, recommended: composeMemory(memory), why: `${fmt(memory)}: ${whyMem}`, change: memBytes !== memory });
    const c = cpusCurrent(env, svc);
    rows.push({ service: name, role, kind: "container", setting: "cpus", current: c, recommended: String(cpus), why: whyCpus, change: c.value === "" || Number(c.value) !== cpus });
  };
  containerRows(web.svc, web.svc.name, "web", sizing.containerMemory, sizing.containerCpus, sizing.why.container_memory, sizing.why.container_cpus);

  // Cron instance.
  if (splitCron && cronName && sizing.cron) {
    const cronSvc = existingCron?.svc;
    const cfg = existingCron?.cfg;
    const http = odooCurrent(cfg, "http_enable");
    rows.push({
      service: cronName,
      role: "cron",
      kind: "odoo",
      setting: "http_enable",
      current: cronSvc ? http : { value: "", source: "new service" },
      recommended: "False",
      why: "--no-http: a cron-only instance serves no requests; the proxy never routes to it",
      change: !cronSvc || http.value.toLowerCase() !== "false",
    });
    const cur = cronSvc ? odooCurrent(cfg, "max_cron_threads") : { value: "", source: "new service" };
    const threads = String(sizing.cron.threads);
    rows.push({
      service: cronName,
      role: "cron",
      kind: "odoo",
      setting: "max_cron_threads",
      current: cur,
      recommended: threads,
      why: `${sizing.why.max_cron_threads}; prefork (workers from conf.d > 0), so memory and time limits apply and cron workers respawn after a database outage (threaded cron threads do not)`,
      change: !cronSvc || odooChange(cur, threads),
    });
    containerRows(cronSvc, cronName, "cron", sizing.cron.containerMemory, sizing.cron.containerCpus, sizing.why.cron_container_memory, sizing.why.cron_container_cpus);
  }

  // PostgreSQL.
  let postgres: PgTuneResult | undefined;
  if (db && flavour) {
    const current = pgCurrent(env, db, flavour, pgVersion);
    let settings: Record<string, string>;
    let why: Record<string, string>;
    if (placement === "shared") {
      postgres = tunePostgresExplained({ memoryBytes: sizing.postgresMemory, cpus: sizing.postgresCpus, maxConnections: sizing.postgresMaxConnections, workload, storage, version: pgVersion });
      settings = postgres.settings;
      why = { ...postgres.why, max_connections: sizing.why.max_connections };
    } else {
      settings = { max_connections: String(sizing.postgresMaxConnections) };
      why = { max_connections: sizing.why.max_connections };
    }
    const keys = [...PG_ORDER.filter((k) => k in settings), ...Object.keys(settings).filter((k) => !PG_ORDER.includes(k))];
    for (const k of keys) {
      const rec = settings[k] ?? "";
      const cur = current[k] ?? { value: "", source: "not set" };
      rows.push({ service: db.name, role: "db", kind: "postgres", setting: k, current: cur, recommended: rec, why: why[k] ?? "", change: cur.value === "" || !samePgValue(cur.value, rec) });
    }
    if (placement === "shared") {
      containerRows(db, db.name, "db", sizing.postgresMemory, sizing.postgresCpus, sizing.why.postgres_memory, sizing.why.postgres_cpus);
      const shmRaw = db.raw.shm_size;
      const shm = typeof shmRaw === "number" || typeof shmRaw === "string" ? composeBytes(String(shmRaw)) : undefined;
      const minShm = 256 * 1024 ** 2;
      if (shm === undefined || shm < minShm) {
        const want = pgShmSize(sizing.postgresMemory);
        rows.push({
          service: db.name,
          role: "db",
          kind: "container",
          setting: "shm_size",
          current: shmRaw === undefined ? { value: "", source: "Docker default 64m" } : { value: String(shmRaw), source: "shm_size", pos: env.compose.positions.exact(["services", db.name, "shm_size"]) },
          recommended: composeMemory(want),
          why: `${formatBytes(want)}: parallel queries and big sorts allocate in /dev/shm; Docker's 64 MiB fails them`,
          change: true,
        });
      }
    }
  } else if (!db) {
    notes.push(`PostgreSQL is not part of ${opts.env}: set max_connections to at least ${sizing.postgresMaxConnections} on the server Odoo uses (${sizing.why.max_connections}).`);
  }

  return {
    env: opts.env,
    host: opts.host,
    inputs: { users: opts.users, heavyRatio, storage, workload, pgElsewhere, splitCron },
    layout: {
      web: web.svc.name,
      cron: splitCron && cronName ? { service: cronName, exists: existingCron !== undefined } : undefined,
      db: db && flavour ? { service: db.name, flavour, image: db.image } : undefined,
      pgPlacement: placement,
      pgVersion,
      pgVersionAssumed,
      odooMajor,
    },
    sizing,
    postgres,
    rows,
    notes,
  };
}

/** "PostgreSQL 16" / "PostgreSQL 9.6". */
export function pgLabel(version: number): string {
  return `PostgreSQL ${formatPgMajor(version)}`;
}
