/**
 * PostgreSQL probes over one read-only session (src/platform/pg.ts sets
 * `default_transaction_read_only`, a statement timeout and a lock timeout): connections against
 * `max_connections` and against the Odoo connection budget computed from the project, blocking
 * lock chains (`pg_blocking_pids`), long-running and idle-in-transaction sessions, database
 * sizes, and overdue or failing `ir_cron` jobs. The connection string is masked everywhere.
 */
import type { PgClient, PgRow, PgValue } from "../../platform/pg.js";
import type { DoctorFinding, ProbeResult } from "../types.js";
import { finding, formatDuration, probe } from "./util.js";
import { formatBytes } from "../report/rank.js";

export interface PgThresholds {
  /** An active query running longer than this is reported. @default 60 */
  longQuerySeconds: number;
  /** A session idle in a transaction longer than this is reported. @default 60 */
  idleInTransactionSeconds: number;
  /** Above this many seconds, a long query / idle transaction is an error rather than a warning. @default 600 */
  severeSeconds: number;
  /** A lock wait longer than this makes a lock chain an error. @default 10 */
  lockWaitSeconds: number;
  /** An active cron job whose nextcall is older than this is overdue. @default 3600 */
  cronOverdueSeconds: number;
  /** Connections / usable max from which usage is a warning (error at 0.95). @default 0.8 */
  connectionWarnRatio: number;
}

export const DEFAULT_PG_THRESHOLDS: PgThresholds = {
  longQuerySeconds: 60,
  idleInTransactionSeconds: 60,
  severeSeconds: 600,
  lockWaitSeconds: 10,
  cronOverdueSeconds: 3600,
  connectionWarnRatio: 0.8,
};

/** What the project says Odoo may open, for the comparison with the live server. */
export interface OdooConnectionBudget {
  /** Worst-case connections of every Odoo service on this server. */
  total: number;
  /** e.g. "odoo: (1 gevent + 4 workers + 2 cron) × db_maxconn 64 = 448". */
  formula: string;
  /** The compose file's max_connections for the database service, when known. */
  composeMaxConnections?: number;
}

export interface PgProbeInput {
  client: PgClient;
  /** Masked connection string, for the report. */
  target: string;
  budget?: OdooConnectionBudget;
  /** Odoo services' max_cron_threads (all 0: crons never run). */
  cronThreads?: number[];
  thresholds?: Partial<PgThresholds>;
}

export interface PgOutcome {
  probes: ProbeResult[];
  findings: DoctorFinding[];
}

export const PG_PROBE_IDS = ["postgres", "pg-connections", "pg-locks", "pg-sessions", "pg-size", "pg-cron"] as const;

const TITLES: Record<(typeof PG_PROBE_IDS)[number], string> = {
  postgres: "PostgreSQL server",
  "pg-connections": "PostgreSQL connections vs max_connections and the Odoo budget",
  "pg-locks": "PostgreSQL blocking lock chains",
  "pg-sessions": "PostgreSQL long-running and idle-in-transaction sessions",
  "pg-size": "Database sizes",
  "pg-cron": "Odoo scheduled actions (ir_cron)",
};

/** Every PostgreSQL probe skipped for one reason (no access). */
export function skippedPg(reason: string): ProbeResult[] {
  return PG_PROBE_IDS.map((id) => probe(id, TITLES[id], "skipped", reason));
}

function n(v: PgValue | undefined): number {
  return typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v)) ? Number(v) : 0;
}
function s(v: PgValue | undefined): string {
  return v === null || v === undefined ? "" : typeof v === "string" ? v : typeof v === "object" ? JSON.stringify(v) : String(v);
}
function nums(v: PgValue | undefined): number[] {
  if (Array.isArray(v)) return v.map((x) => n(x)).filter((x) => x > 0);
  if (typeof v === "string") return v.replace(/[{}]/g, "").split(",").map(Number).filter((x) => Number.isFinite(x) && x > 0);
  return [];
}

/** Query text for the report: one line, bounded, with literal passwords hidden. */
export function queryText(q: string, max = 160): string {
  const one = q
    .replace(/\bpassword\s+'(?:[^']|'')*'/gi, "PASSWORD '***'")
    .replace(/\s+/g, " ")
    .trim();
  return one.length > max ? `${one.slice(0, max)}…` : one;
}

interface Session {
  pid: number;
  user: string;
  db: string;
  app: string;
  client: string;
  state: string;
  querySeconds: number;
  xactSeconds: number;
  stateSeconds: number;
  waitType: string;
  wait: string;
  query: string;
  blockedBy: number[];
}

const SESSIONS_SQL = `
SELECT pid, usename, datname, application_name, client_addr::text AS client_addr, state,
       COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - query_start), 0)::float8 AS query_seconds,
       COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - xact_start), 0)::float8 AS xact_seconds,
       COALESCE(EXTRACT(EPOCH FROM clock_timestamp() - state_change), 0)::float8 AS state_seconds,
       wait_event_type, wait_event, left(query, 2000) AS query, pg_blocking_pids(pid) AS blocked_by
  FROM pg_stat_activity
 WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'
 ORDER BY pid`;

function describeSession(x: Session): string {
  const who = `pid ${x.pid} (${x.user || "?"}@${x.db || "?"}${x.app ? `, ${x.app}` : ""}${x.client ? `, from ${x.client}` : ""})`;
  const state =
    x.state === "active"
      ? `active for ${formatDuration(x.querySeconds)}`
      : x.state.startsWith("idle in transaction")
        ? `${x.state} for ${formatDuration(x.stateSeconds)} (transaction open ${formatDuration(x.xactSeconds)})`
        : x.state || "state hidden (no pg_read_all_stats)";
  const q = x.query ? `: ${queryText(x.query)}` : "";
  return `${who} ${state}${q}`;
}

export async function probePostgres(input: PgProbeInput): Promise<PgOutcome> {
  const th: PgThresholds = { ...DEFAULT_PG_THRESHOLDS, ...input.thresholds };
  const c = input.client;
  const out: PgOutcome = { probes: [], findings: [] };

  // ---- server
  const [server] = await c.query(
    `SELECT current_setting('server_version') AS version, current_setting('max_connections')::int AS max_connections,
            current_setting('superuser_reserved_connections')::int AS reserved, current_database() AS db,
            current_user AS usr, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser,
            pg_is_in_recovery() AS standby`,
  );
  const maxConn = n(server?.max_connections);
  const reserved = n(server?.reserved);
  const isSuper = server?.superuser === true;
  const dbName = s(server?.db);
  out.probes.push(
    probe("postgres", TITLES.postgres, "ok", `connected to ${input.target}: PostgreSQL ${s(server?.version)}${server?.standby === true ? " (standby)" : ""}, read-only session as ${s(server?.usr)}${isSuper ? " (superuser)" : ""}`),
  );

  // ---- sessions (one snapshot for connections, locks, long and idle sessions)
  const rows = await c.query(SESSIONS_SQL);
  const sessions: Session[] = rows.map((r: PgRow) => ({
    pid: n(r.pid),
    user: s(r.usename),
    db: s(r.datname),
    app: s(r.application_name),
    client: s(r.client_addr),
    state: s(r.state),
    querySeconds: n(r.query_seconds),
    xactSeconds: n(r.xact_seconds),
    stateSeconds: n(r.state_seconds),
    waitType: s(r.wait_event_type),
    wait: s(r.wait_event),
    query: s(r.query),
    blockedBy: nums(r.blocked_by),
  }));

  connections(sessions, maxConn, reserved, input.budget, th, out);
  lockChains(sessions, th, out);
  longSessions(sessions, th, out);
  await sizes(c, dbName, out);
  await crons(c, dbName, input.cronThreads, th, out);
  return out;
}

function connections(sessions: Session[], maxConn: number, reserved: number, budget: OdooConnectionBudget | undefined, th: PgThresholds, out: PgOutcome): void {
  // +1: this probe's own session is excluded from the snapshot but occupies a slot too
  const used = sessions.length + 1;
  const usable = Math.max(1, maxConn - reserved);
  const ratio = used / usable;
  const groups = new Map<string, number>();
  for (const x of sessions) {
    const key = `${x.db || "-"}/${x.user || "-"}/${x.state || "?"}`;
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  const top = [...groups.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 6);
  const breakdown = top.map(([k, v]) => `${k}: ${v}`).join(", ");
  const problems: string[] = [];
  if (ratio >= th.connectionWarnRatio) {
    problems.push(`${used} of ${usable} usable connections in use`);
    out.findings.push(
      finding(
        "pg-connections-near-limit",
        ratio >= 0.95 ? "critical" : "warning",
        `PostgreSQL is at ${Math.round(ratio * 100)}% of its connection slots (${used}/${usable})`,
        [`max_connections ${maxConn} - superuser_reserved_connections ${reserved} = ${usable} usable; ${used} in use`, `by database/user/state: ${breakdown}`],
        "Odoo opens up to db_maxconn connections per process; when they run out, new requests fail with \"remaining connection slots are reserved\" / \"too many clients already\".",
        "Lower db_maxconn so that (1 + workers + max_cron_threads) × db_maxconn fits, or raise max_connections (postgres-autoconf: `CONF_EXTRA: max_connections = N`); close idle sessions of other tools.",
      ),
    );
  }
  if (budget && budget.total > usable) {
    problems.push(`Odoo budget ${budget.total} > ${usable}`);
    const ev = [`Odoo may open ${budget.formula}`, `the server accepts ${usable} (max_connections ${maxConn} - ${reserved} reserved)`];
    if (budget.composeMaxConnections !== undefined && budget.composeMaxConnections !== maxConn) {
      ev.push(`the compose file sets max_connections ${budget.composeMaxConnections}, the running server has ${maxConn}: the setting is not applied`);
    }
    out.findings.push(
      finding(
        "pg-connection-budget-exceeded",
        "error",
        `Odoo may open ${budget.total} connections, the server accepts ${usable}`,
        ev,
        "Under load every Odoo process fills its pool; the server then refuses connections and requests fail.",
        "Lower db_maxconn in odoo.conf (conf.d) so the total fits with room for backups and admin sessions, or raise max_connections on the server.",
      ),
    );
  }
  const budgetText = budget ? `; Odoo budget ${budget.total}` : "";
  out.probes.push(
    probe("pg-connections", TITLES["pg-connections"], problems.length > 0 ? "problem" : "ok", `${used} of ${usable} usable connections (max_connections ${maxConn}, ${reserved} reserved)${budgetText}${breakdown ? `; ${breakdown}` : ""}`, {
      used,
      maxConnections: maxConn,
      reserved,
      ...(budget ? { odooBudget: budget.total } : {}),
    }),
  );
}

function lockChains(sessions: Session[], th: PgThresholds, out: PgOutcome): void {
  const byPid = new Map(sessions.map((x) => [x.pid, x] as const));
  const blocked = sessions.filter((x) => x.blockedBy.length > 0);
  if (blocked.length === 0) {
    out.probes.push(probe("pg-locks", TITLES["pg-locks"], "ok", "no session waits for a lock held by another"));
    return;
  }
  // roots: blockers that are not blocked themselves
  const waitersOf = new Map<number, Session[]>();
  for (const w of blocked) for (const b of w.blockedBy) waitersOf.set(b, [...(waitersOf.get(b) ?? []), w]);
  const roots = [...waitersOf.keys()].filter((pid) => (byPid.get(pid)?.blockedBy.length ?? 0) === 0).sort((a, b) => a - b);
  const chains: string[] = [];
  for (const root of roots) {
    const r = byPid.get(root);
    const all: Session[] = [];
    const seen = new Set<number>([root]);
    const walk = (pid: number, depth: number): void => {
      for (const w of waitersOf.get(pid) ?? []) {
        if (seen.has(w.pid) || depth > 20) continue;
        seen.add(w.pid);
        all.push(w);
        walk(w.pid, depth + 1);
      }
    };
    walk(root, 0);
    const longestWait = Math.max(0, ...all.map((w) => w.stateSeconds));
    const ev = [`blocker: ${r ? describeSession(r) : `pid ${root} (not visible to this role)`}`];
    for (const w of all.slice(0, 10)) ev.push(`waits: ${describeSession(w)} — waiting on ${w.waitType || "?"}/${w.wait || "?"}, blocked by ${w.blockedBy.join(", ")}`);
    if (all.length > 10) ev.push(`… and ${all.length - 10} more waiting sessions`);
    const idle = r?.state.startsWith("idle in transaction") ?? false;
    chains.push(`pid ${root} blocks ${all.length}`);
    out.findings.push(
      finding(
        "pg-lock-chain",
        longestWait >= th.lockWaitSeconds || all.length >= 5 ? "error" : "warning",
        `Session ${root} blocks ${all.length} other session${all.length === 1 ? "" : "s"}${idle ? " while idle in a transaction" : ""}`,
        ev,
        idle
          ? "The blocker opened a transaction, took locks, and is doing nothing: a stuck worker, a script or psql session that did not COMMIT, or a client that died without closing."
          : "A long write (an import, a module update, a cron) holds row or table locks that Odoo requests need; they queue behind it and workers time out.",
        `If the blocker is not doing legitimate work: \`SELECT pg_terminate_backend(${root});\` (as a superuser). To stop it recurring: \`idle_in_transaction_session_timeout = '5min'\` for non-Odoo roles, and find which application (${r?.app || "application_name"}) leaves transactions open.`,
        all.length,
      ),
    );
  }
  out.probes.push(probe("pg-locks", TITLES["pg-locks"], "problem", `${blocked.length} session${blocked.length === 1 ? "" : "s"} waiting on locks: ${chains.join("; ")}`, { blockers: roots, waiting: blocked.map((b) => b.pid) }));
}

function longSessions(sessions: Session[], th: PgThresholds, out: PgOutcome): void {
  const longActive = sessions.filter((x) => x.state === "active" && x.querySeconds >= th.longQuerySeconds && x.blockedBy.length === 0);
  const idleTx = sessions.filter((x) => x.state.startsWith("idle in transaction") && x.stateSeconds >= th.idleInTransactionSeconds);
  const parts: string[] = [];
  if (longActive.length > 0) {
    const worst = Math.max(...longActive.map((x) => x.querySeconds));
    parts.push(`${longActive.length} quer${longActive.length === 1 ? "y" : "ies"} running ≥ ${formatDuration(th.longQuerySeconds)}`);
    out.findings.push(
      finding(
        "pg-long-running-query",
        worst >= th.severeSeconds ? "error" : "warning",
        `${longActive.length} quer${longActive.length === 1 ? "y has" : "ies have"} been running for more than ${formatDuration(th.longQuerySeconds)} (longest ${formatDuration(worst)})`,
        longActive.sort((a, b) => b.querySeconds - a.querySeconds).slice(0, 10).map(describeSession),
        "A heavy report, an unindexed search, an import or a cron job. Odoo kills the HTTP worker at limit_time_real but the query may go on in PostgreSQL.",
        "Look at the query and its plan (`EXPLAIN`), add the missing index, or move the job to a cron; stop a runaway one with `SELECT pg_cancel_backend(<pid>);`. `doodba-ops tune analyze` lists the slowest statements.",
        longActive.length,
      ),
    );
  }
  if (idleTx.length > 0) {
    const worst = Math.max(...idleTx.map((x) => x.stateSeconds));
    parts.push(`${idleTx.length} idle in transaction ≥ ${formatDuration(th.idleInTransactionSeconds)}`);
    out.findings.push(
      finding(
        "pg-idle-in-transaction",
        worst >= th.severeSeconds ? "error" : "warning",
        `${idleTx.length} session${idleTx.length === 1 ? " is" : "s are"} idle in a transaction (longest ${formatDuration(worst)})`,
        idleTx.sort((a, b) => b.stateSeconds - a.stateSeconds).slice(0, 10).map(describeSession),
        "An open transaction holds its locks and its snapshot: it blocks writers on the same rows and keeps VACUUM from cleaning dead rows everywhere (bloat).",
        "Find the client by application_name/client_addr and make it commit; end it with `SELECT pg_terminate_backend(<pid>);`; set `idle_in_transaction_session_timeout` for tools that forget (not lower than Odoo's longest request).",
        idleTx.length,
      ),
    );
  }
  out.probes.push(
    probe(
      "pg-sessions",
      TITLES["pg-sessions"],
      parts.length > 0 ? "problem" : "ok",
      parts.length > 0 ? parts.join("; ") : `${sessions.length} other sessions; none active ≥ ${formatDuration(th.longQuerySeconds)} or idle in transaction ≥ ${formatDuration(th.idleInTransactionSeconds)}`,
    ),
  );
}

async function sizes(c: PgClient, dbName: string, out: PgOutcome): Promise<void> {
  const rows = await c.query(
    `SELECT datname, CASE WHEN has_database_privilege(datname, 'CONNECT') THEN pg_database_size(datname) END AS bytes
       FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 2 DESC NULLS LAST, 1`,
  );
  const list = rows.map((r) => ({ db: s(r.datname), bytes: r.bytes === null ? undefined : n(r.bytes) }));
  const text = list
    .slice(0, 8)
    .map((x) => `${x.db}${x.db === dbName ? " (probed)" : ""}: ${x.bytes === undefined ? "no access" : formatBytes(x.bytes)}`)
    .join(", ");
  out.probes.push(probe("pg-size", TITLES["pg-size"], "ok", text || "no database", { databases: Object.fromEntries(list.map((x) => [x.db, x.bytes ?? null])) }));
}

async function crons(c: PgClient, dbName: string, cronThreads: number[] | undefined, th: PgThresholds, out: PgOutcome): Promise<void> {
  const [has] = await c.query(`SELECT to_regclass('public.ir_cron') IS NOT NULL AS has`);
  if (has?.has !== true) {
    out.probes.push(probe("pg-cron", TITLES["pg-cron"], "skipped", `database ${dbName} has no ir_cron table (not an Odoo database); pass --db with the Odoo database's name`));
    return;
  }
  const cols = new Set((await c.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'ir_cron'`)).map((r) => s(r.column_name)));
  const name = cols.has("cron_name") ? "cron_name::text" : cols.has("name") ? "name::text" : "'ir_cron #' || id";
  const select = [
    "id",
    `${name} AS name`,
    cols.has("interval_number") ? "interval_number" : "NULL::int AS interval_number",
    cols.has("interval_type") ? "interval_type" : "NULL::text AS interval_type",
    "nextcall::text AS nextcall",
    cols.has("lastcall") ? "lastcall::text AS lastcall" : "NULL::text AS lastcall",
    cols.has("lastcall") ? "EXTRACT(EPOCH FROM (now() AT TIME ZONE 'UTC') - lastcall)::float8 AS last_seconds" : "NULL::float8 AS last_seconds",
    // nextcall is a UTC timestamp without time zone
    "EXTRACT(EPOCH FROM (now() AT TIME ZONE 'UTC') - nextcall)::float8 AS overdue_seconds",
    cols.has("failure_count") ? "failure_count" : "NULL::int AS failure_count",
    cols.has("first_failure_date") ? "first_failure_date::text AS first_failure_date" : "NULL::text AS first_failure_date",
  ];
  const where = ["active"];
  if (cols.has("numbercall")) where.push("(numbercall IS NULL OR numbercall <> 0)");
  const rows = await c.query(`SELECT ${select.join(", ")} FROM ir_cron WHERE ${where.join(" AND ")} ORDER BY nextcall, id`);
  const jobs = rows.map((r) => ({
    id: n(r.id),
    name: cronName(s(r.name)),
    every: r.interval_number === null ? "" : `every ${n(r.interval_number)} ${s(r.interval_type)}`,
    nextcall: s(r.nextcall),
    lastcall: s(r.lastcall),
    overdue: n(r.overdue_seconds),
    lastSeconds: r.last_seconds === null ? undefined : n(r.last_seconds),
    failures: r.failure_count === null ? undefined : n(r.failure_count),
    firstFailure: s(r.first_failure_date),
  }));
  const overdue = jobs.filter((j) => j.overdue >= th.cronOverdueSeconds);
  const failing = jobs.filter((j) => (j.failures ?? 0) > 0);
  const parts: string[] = [];
  if (overdue.length > 0) {
    // the runner is not processing this database when several jobs are late and none ran lately
    const ranLately = jobs.some((j) => j.lastSeconds !== undefined && j.lastSeconds < th.cronOverdueSeconds);
    const allOverdue = overdue.length === jobs.length || (overdue.length >= 2 && !ranLately);
    const noThreads = cronThreads !== undefined && cronThreads.length > 0 && cronThreads.every((t) => t === 0);
    parts.push(`${overdue.length} of ${jobs.length} active jobs overdue`);
    out.findings.push(
      finding(
        "cron-overdue",
        allOverdue ? "error" : "warning",
        allOverdue
          ? `No scheduled action runs in database ${dbName}: ${overdue.length === jobs.length ? "all" : `${overdue.length} of`} ${jobs.length} active jobs are overdue and none ran in the last ${formatDuration(th.cronOverdueSeconds)}`
          : `${overdue.length} scheduled action${overdue.length === 1 ? " is" : "s are"} overdue in database ${dbName}`,
        overdue.slice(0, 10).map((j) => `#${j.id} ${j.name} (${j.every}): nextcall ${j.nextcall} UTC, ${formatDuration(j.overdue)} overdue${j.lastcall ? `, last run ${j.lastcall}` : ", never ran"}`),
        allOverdue
          ? noThreads
            ? "Every Odoo service of the environment runs with max_cron_threads = 0: nothing runs the jobs."
            : "No cron worker processes this database: max_cron_threads = 0 everywhere, the cron threads died after a database outage (threaded server: they do not come back), or the database is not in db_name/dbfilter of the cron instance."
          : "These jobs fail on every try (their transaction rolls back, so nextcall never moves) or other jobs keep the cron workers busy.",
        allOverdue
          ? "Restart the Odoo container (cron threads start again) and make sure one service runs max_cron_threads ≥ 1 for this database; watch for `odoo.service.server: cron` lines in its logs."
          : "Find the jobs' tracebacks in the logs (`doodba-ops doctor logs` — look for ir_cron errors), fix or deactivate them (Settings > Technical > Scheduled Actions).",
        overdue.length,
      ),
    );
  }
  if (failing.length > 0) {
    parts.push(`${failing.length} failing`);
    out.findings.push(
      finding(
        "cron-failing",
        "warning",
        `${failing.length} scheduled action${failing.length === 1 ? " keeps" : "s keep"} failing in database ${dbName}`,
        failing.slice(0, 10).map((j) => `#${j.id} ${j.name}: ${j.failures} consecutive failure(s)${j.firstFailure ? ` since ${j.firstFailure}` : ""}`),
        "The job raises an error each time it runs; Odoo deactivates a job after repeated failures over days.",
        "Read the job's traceback in the logs, fix the cause (credentials of an external service, data), then run it once by hand to check.",
        failing.length,
      ),
    );
  }
  out.probes.push(
    probe("pg-cron", TITLES["pg-cron"], parts.length > 0 ? "problem" : "ok", parts.length > 0 ? `${parts.join("; ")} (database ${dbName})` : `${jobs.length} active jobs in ${dbName}, none overdue by ≥ ${formatDuration(th.cronOverdueSeconds)}`),
  );
}

/** cron_name is text up to 15 and may be a translated JSON object ({"en_US": ...}) later. */
function cronName(raw: string): string {
  if (raw.startsWith("{")) {
    try {
      const o = JSON.parse(raw) as Record<string, unknown>;
      const v = o.en_US ?? Object.values(o)[0];
      if (typeof v === "string") return v;
    } catch {
      // not JSON: keep it
    }
  }
  return raw;
}
