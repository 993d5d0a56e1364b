/**
 * Reads a live database into a {@link DbSnapshot}: read-only catalog and statistics queries,
 * in one READ ONLY transaction (the session is also read-only by default, see
 * src/platform/pg.ts). Each optional probe runs under a savepoint: a missing privilege, a
 * timeout or an absent table skips that probe and the rest goes on.
 *
 * Every statement starts with the comment `doodba-ops:analyze` so that pg_stat_statements'
 * top list leaves this tool's own queries out.
 */
import type { PgClient, PgRow, PgValue } from "../../platform/pg.js";
import type { AnalyzeThresholds } from "./thresholds.js";
import type {
  CacheStats,
  ConnectionStats,
  DbSnapshot,
  IndexStat,
  OdooInfo,
  OdooTable,
  PgSettingRow,
  ServerInfo,
  SessionRow,
  StatementRow,
  StatementsInfo,
  TableStat,
} from "./types.js";

export const QUERY_TAG = "doodba-ops:analyze";
/** Every statement this tool sends starts with a `/* doodba-ops:... *\/` comment (src/platform/pg.ts tags its session setup). */
const OWN_STATEMENTS = "/* doodba-ops:%";

/** pg_settings read and shown. */
export const SETTING_NAMES = [
  "shared_buffers",
  "effective_cache_size",
  "work_mem",
  "maintenance_work_mem",
  "max_connections",
  "superuser_reserved_connections",
  "reserved_connections",
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
  "track_counts",
  "shared_preload_libraries",
  "idle_in_transaction_session_timeout",
  "statement_timeout",
] as const;

/** Odoo tables whose size and row count are reported. */
export const ODOO_TABLES = ["ir_attachment", "mail_message", "mail_tracking_value", "mail_mail", "mail_notification", "bus_bus", "ir_logging"] as const;

/** Tables some modules use to keep HTTP sessions in the database (Odoo itself keeps them in data_dir/sessions). */
export const SESSION_TABLES = ["ir_sessions", "ir_session", "http_session", "http_sessions"] as const;

export interface CollectOptions {
  thresholds: AnalyzeThresholds;
  /** Masks secrets in error texts that end up in `skipped`. */
  redact?: (s: string) => string;
  /** Called before each step (progress on stderr). */
  progress?: (step: string) => void;
}

// --------------------------------------------------------------------------------------------
// value helpers (rows come as PgValue)

function n(v: PgValue | undefined): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return 0;
}
function nn(v: PgValue | undefined): number | null {
  return v === null || v === undefined ? null : n(v);
}
function s(v: PgValue | undefined): string {
  return v === null || v === undefined ? "" : String(v);
}
function sn(v: PgValue | undefined): string | null {
  return v === null || v === undefined ? null : String(v);
}
function b(v: PgValue | undefined): boolean {
  return v === true || v === "t" || v === "true";
}

/** Timestamp with time zone -> ISO 8601 UTC text, whatever the session's TimeZone. */
const isoTz = (expr: string): string => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
/** Odoo's naive timestamps are UTC already. */
const isoNaive = (expr: string): string => `to_char(${expr}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
/** Odoo's "now" (naive UTC), for comparing with its columns. */
const NOW_UTC = "(now() AT TIME ZONE 'UTC')";

/** Collapses whitespace and cuts long statements for display. */
export function shortenQuery(q: string, max = 200): string {
  const one = q.replace(/\s+/g, " ").trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}

/** Masks literals that look like secrets in other sessions' query texts (ALTER ROLE ... PASSWORD '...'). */
export function maskSqlSecrets(q: string): string {
  return q
    .replace(/(password\s*(?:=|\s)\s*)'(?:[^']|'')*'/gi, "$1'***'")
    .replace(/(password\s*=\s*)[^\s',;)]+/gi, "$1***")
    .replace(/(\w+:\/\/[^:/@\s]*:)[^@\s]*@/g, "$1***@");
}

// --------------------------------------------------------------------------------------------

class Collector {
  readonly skipped: { probe: string; reason: string }[] = [];
  private sp = 0;
  constructor(
    private readonly c: PgClient,
    private readonly redact: (s: string) => string,
  ) {}

  async q(sql: string, params?: readonly unknown[]): Promise<PgRow[]> {
    return await this.c.query(`/* ${QUERY_TAG} */ ${sql}`, params);
  }

  /** Runs `fn` under a savepoint; on error records the probe as skipped and returns `fallback`. */
  async probe<T>(name: string, fn: () => Promise<T>, fallback: T): Promise<T> {
    const sp = `doodba_ops_${++this.sp}`;
    await this.q(`SAVEPOINT ${sp}`);
    try {
      const r = await fn();
      await this.q(`RELEASE SAVEPOINT ${sp}`);
      return r;
    } catch (err) {
      await this.q(`ROLLBACK TO SAVEPOINT ${sp}`);
      const msg = err instanceof Error ? err.message : String(err);
      this.skipped.push({ probe: name, reason: this.redact(msg) });
      return fallback;
    }
  }
}

async function columnsOf(k: Collector, table: string): Promise<Map<string, string>> {
  const rows = await k.q(
    "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
    [table],
  );
  return new Map(rows.map((r) => [s(r.column_name), s(r.data_type)]));
}

async function tableExists(k: Collector, table: string): Promise<boolean> {
  const rows = await k.q("SELECT to_regclass(quote_ident(current_schema()) || '.' || quote_ident($1)) IS NOT NULL AS ok", [table]);
  return b(rows[0]?.ok);
}

async function readServer(k: Collector): Promise<ServerInfo> {
  const rows = await k.q(
    `SELECT current_setting('server_version') AS version, current_setting('server_version_num')::int AS version_num,
            current_database() AS database, pg_database_size(current_database()) AS database_bytes,
            current_user AS "user", coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false) AS superuser,
            pg_has_role(current_user, 'pg_read_all_stats', 'MEMBER') AS read_all_stats,
            ${isoTz("pg_postmaster_start_time()")} AS started_at,
            (SELECT ${isoTz("stats_reset")} FROM pg_stat_database WHERE datname = current_database()) AS stats_reset,
            extract(epoch FROM clock_timestamp() - pg_postmaster_start_time())::float8 AS uptime,
            (SELECT extract(epoch FROM clock_timestamp() - stats_reset)::float8 FROM pg_stat_database WHERE datname = current_database()) AS reset_age`,
  );
  const r = rows[0] ?? {};
  const versionNum = n(r.version_num);
  // Before PostgreSQL 15 the cumulative statistics start with the server; from 15 they survive a clean restart.
  const statsAge = nn(r.reset_age) ?? (versionNum < 150000 ? n(r.uptime) : null);
  return {
    version: s(r.version),
    versionNum,
    database: s(r.database),
    databaseBytes: n(r.database_bytes),
    user: s(r.user),
    superuser: b(r.superuser),
    readAllStats: b(r.superuser) || b(r.read_all_stats),
    startedAt: s(r.started_at),
    statsReset: sn(r.stats_reset),
    statsAgeSeconds: statsAge === null ? -1 : Math.round(statsAge),
  };
}

async function readSettings(k: Collector): Promise<Record<string, PgSettingRow>> {
  const rows = await k.q(
    // statement_timeout, lock_timeout and default_transaction_read_only are set by this session
    // (src/platform/pg.ts): show the value the server gives other sessions (reset_val) instead.
    `SELECT name, setting, unit, source, context,
            CASE WHEN source = 'session' THEN CASE WHEN reset_val = '0' THEN '0' ELSE reset_val || coalesce(unit, '') END ELSE current_setting(name) END AS display,
            CASE WHEN source = 'session' THEN 'server (this session overrides it)' ELSE source END AS shown_source
       FROM pg_settings WHERE name = ANY($1::text[]) ORDER BY name`,
    [[...SETTING_NAMES]],
  );
  const out: Record<string, PgSettingRow> = {};
  for (const r of rows) {
    out[s(r.name)] = { name: s(r.name), setting: s(r.setting), unit: sn(r.unit), display: s(r.display), source: s(r.shown_source), context: s(r.context) };
  }
  return out;
}

async function readCache(k: Collector): Promise<CacheStats> {
  const rows = await k.q(
    `SELECT coalesce(sum(blks_hit) FILTER (WHERE datname = current_database()), 0)::int8 AS hit,
            coalesce(sum(blks_read) FILTER (WHERE datname = current_database()), 0)::int8 AS read,
            coalesce(sum(blks_hit), 0)::int8 AS c_hit, coalesce(sum(blks_read), 0)::int8 AS c_read,
            coalesce(sum(xact_commit) FILTER (WHERE datname = current_database()), 0)::int8 AS commits,
            coalesce(sum(xact_rollback) FILTER (WHERE datname = current_database()), 0)::int8 AS rollbacks,
            coalesce(sum(deadlocks) FILTER (WHERE datname = current_database()), 0)::int8 AS deadlocks,
            coalesce(sum(temp_files) FILTER (WHERE datname = current_database()), 0)::int8 AS temp_files,
            coalesce(sum(temp_bytes) FILTER (WHERE datname = current_database()), 0)::int8 AS temp_bytes
       FROM pg_stat_database`,
  );
  const r = rows[0] ?? {};
  return {
    blksHit: n(r.hit),
    blksRead: n(r.read),
    clusterBlksHit: n(r.c_hit),
    clusterBlksRead: n(r.c_read),
    xactCommit: n(r.commits),
    xactRollback: n(r.rollbacks),
    deadlocks: n(r.deadlocks),
    tempFiles: n(r.temp_files),
    tempBytes: n(r.temp_bytes),
  };
}

async function readStatements(k: Collector, server: ServerInfo, settings: Record<string, PgSettingRow>, limit: number): Promise<StatementsInfo> {
  const libs = (settings.shared_preload_libraries?.setting ?? "").split(",").map((x) => x.trim().replace(/^"|"$/g, ""));
  const preloaded = libs.includes("pg_stat_statements");
  const ext = await k.q("SELECT extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'pg_stat_statements'");
  const avail = await k.q("SELECT count(*)::int AS n FROM pg_available_extensions WHERE name = 'pg_stat_statements'");
  const installed = ext.length > 0;
  const info: StatementsInfo = { preloaded, installed, availableOnServer: n(avail[0]?.n) > 0, top: null, totalMs: 0 };
  if (!installed) return info;
  const view = `${s(ext[0]?.schema)}.pg_stat_statements`;
  const [total, mean] = server.versionNum >= 130000 ? ["total_exec_time", "mean_exec_time"] : ["total_time", "mean_time"];
  let error: string | undefined;
  const got = await k.probe(
    "pg_stat_statements",
    async () => {
      const where = `dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '${OWN_STATEMENTS}'`;
      const sum = await k.q(`SELECT coalesce(sum(${total}), 0)::float8 AS total FROM ${view} WHERE ${where}`);
      const rows = await k.q(
        `SELECT queryid::text AS queryid, query, calls::int8 AS calls, ${total}::float8 AS total, ${mean}::float8 AS mean, rows::int8 AS rows,
                shared_blks_hit::int8 AS hit, shared_blks_read::int8 AS read
           FROM ${view} WHERE ${where} ORDER BY ${total} DESC, queryid LIMIT $1`,
        [limit],
      );
      return { totalMs: n(sum[0]?.total), rows };
    },
    undefined,
  );
  if (!got) {
    error = k.skipped.find((x) => x.probe === "pg_stat_statements")?.reason;
    return { ...info, ...(error ? { error } : {}) };
  }
  const top: StatementRow[] = got.rows.map((r) => ({
    queryid: sn(r.queryid),
    query: shortenQuery(s(r.query)),
    calls: n(r.calls),
    totalMs: round(n(r.total), 3),
    meanMs: round(n(r.mean), 3),
    rows: n(r.rows),
    sharedBlksHit: n(r.hit),
    sharedBlksRead: n(r.read),
    share: got.totalMs > 0 ? round(n(r.total) / got.totalMs, 4) : 0,
  }));
  return { ...info, top, totalMs: round(got.totalMs, 3) };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const AUTOVACUUM_OFF = "'^autovacuum_enabled=(f|fa|fal|fals|false|n|no|of|off|0)$'";

async function readTables(k: Collector): Promise<TableStat[]> {
  const rows = await k.q(
    `SELECT st.schemaname AS schema, st.relname AS name, pg_relation_size(st.relid) AS bytes, pg_total_relation_size(st.relid) AS total_bytes,
            st.seq_scan::int8 AS seq_scan, st.seq_tup_read::int8 AS seq_tup_read, st.idx_scan::int8 AS idx_scan,
            st.n_live_tup::int8 AS live, st.n_dead_tup::int8 AS dead,
            ${isoTz("st.last_vacuum")} AS last_vacuum, ${isoTz("st.last_autovacuum")} AS last_autovacuum,
            EXISTS (SELECT 1 FROM unnest(c.reloptions) o WHERE o ~* ${AUTOVACUUM_OFF}) AS av_off
       FROM pg_stat_user_tables st JOIN pg_class c ON c.oid = st.relid
      ORDER BY st.schemaname, st.relname`,
  );
  return rows.map((r) => ({
    schema: s(r.schema),
    name: s(r.name),
    bytes: n(r.bytes),
    totalBytes: n(r.total_bytes),
    seqScan: n(r.seq_scan),
    seqTupRead: n(r.seq_tup_read),
    idxScan: nn(r.idx_scan),
    liveTup: n(r.live),
    deadTup: n(r.dead),
    lastVacuum: sn(r.last_vacuum),
    lastAutovacuum: sn(r.last_autovacuum),
    autovacuumDisabled: b(r.av_off),
  }));
}

async function readUnusedIndexes(k: Collector): Promise<IndexStat[]> {
  const rows = await k.q(
    `SELECT si.schemaname AS schema, si.relname AS "table", si.indexrelname AS name, pg_relation_size(si.indexrelid) AS bytes,
            si.idx_scan::int8 AS idx_scan, i.indisunique AS is_unique, i.indisprimary AS is_primary,
            EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = si.indexrelid) AS is_constraint,
            pg_get_indexdef(si.indexrelid) AS definition
       FROM pg_stat_user_indexes si JOIN pg_index i ON i.indexrelid = si.indexrelid
      WHERE si.idx_scan = 0 AND NOT i.indisunique AND NOT i.indisprimary
        AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = si.indexrelid)
      ORDER BY pg_relation_size(si.indexrelid) DESC, si.schemaname, si.indexrelname
      LIMIT 200`,
  );
  return rows.map((r) => ({
    schema: s(r.schema),
    table: s(r.table),
    name: s(r.name),
    bytes: n(r.bytes),
    idxScan: n(r.idx_scan),
    unique: b(r.is_unique),
    primary: b(r.is_primary),
    constraint: b(r.is_constraint),
    definition: s(r.definition),
  }));
}

async function readSessions(k: Collector): Promise<SessionRow[]> {
  const rows = await k.q(
    `SELECT pid, usename AS "user", datname AS database, application_name AS application, client_addr::text AS client, state,
            extract(epoch FROM clock_timestamp() - query_start)::float8 AS query_s,
            extract(epoch FROM clock_timestamp() - state_change)::float8 AS state_s,
            extract(epoch FROM clock_timestamp() - xact_start)::float8 AS xact_s,
            CASE WHEN wait_event IS NULL THEN NULL ELSE wait_event_type || ':' || wait_event END AS wait,
            left(query, 400) AS query
       FROM pg_stat_activity
      WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
      ORDER BY pid`,
  );
  return rows.map((r) => ({
    pid: n(r.pid),
    user: sn(r.user),
    database: sn(r.database),
    application: sn(r.application),
    client: sn(r.client),
    state: sn(r.state),
    querySeconds: r.query_s === null ? null : Math.floor(n(r.query_s)),
    stateSeconds: r.state_s === null ? null : Math.floor(n(r.state_s)),
    xactSeconds: r.xact_s === null ? null : Math.floor(n(r.xact_s)),
    waitEvent: sn(r.wait),
    query: r.query === null ? null : shortenQuery(maskSqlSecrets(s(r.query)), 160),
  }));
}

async function readConnections(k: Collector, settings: Record<string, PgSettingRow>): Promise<ConnectionStats> {
  const byState = await k.q(
    "SELECT coalesce(state, 'unknown') AS state, count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1 ORDER BY 1",
  );
  const groups = await k.q(
    `SELECT datname AS database, usename AS "user", application_name AS application, count(*)::int AS n
       FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1, 2, 3 ORDER BY 4 DESC, 1, 2, 3 LIMIT 5`,
  );
  const reserved = n(settings.superuser_reserved_connections?.setting) + n(settings.reserved_connections?.setting);
  return {
    maxConnections: n(settings.max_connections?.setting),
    reserved,
    used: byState.reduce((a, r) => a + n(r.n), 0),
    byState: Object.fromEntries(byState.map((r) => [s(r.state), n(r.n)])),
    groups: groups.map((r) => ({ database: sn(r.database), user: sn(r.user), application: sn(r.application), count: n(r.n) })),
  };
}

async function readOdooTable(k: Collector, name: string, exactMax: number): Promise<OdooTable> {
  if (!(await tableExists(k, name))) return { name, exists: false, rows: null, rowsExact: false, totalBytes: null };
  const est = await k.q(
    `SELECT c.reltuples::float8 AS est, pg_total_relation_size(c.oid) AS total
       FROM pg_class c WHERE c.oid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident($1))`,
    [name],
  );
  const estimate = n(est[0]?.est);
  const totalBytes = n(est[0]?.total);
  if (estimate >= 0 && estimate >= exactMax) return { name, exists: true, rows: Math.round(estimate), rowsExact: false, totalBytes };
  const counted = await k.probe(`count ${name}`, async () => n((await k.q(`SELECT count(*)::int8 AS n FROM ${name}`))[0]?.n), null);
  if (counted === null) return { name, exists: true, rows: estimate >= 0 ? Math.round(estimate) : null, rowsExact: false, totalBytes };
  return { name, exists: true, rows: counted, rowsExact: true, totalBytes };
}

async function readOdoo(k: Collector, t: AnalyzeThresholds): Promise<OdooInfo | null> {
  if (!(await tableExists(k, "ir_module_module"))) return null;
  const base = await k.probe("Odoo version", () => k.q("SELECT latest_version FROM ir_module_module WHERE name = 'base' AND state = 'installed'"), []);
  const tables: OdooTable[] = [];
  for (const name of ODOO_TABLES) tables.push(await k.probe(`size ${name}`, () => readOdooTable(k, name, t.exactCountMaxRows), { name, exists: true, rows: null, rowsExact: false, totalBytes: null }));
  const has = (name: string): boolean => tables.some((x) => x.name === name && x.exists);

  const attachments = has("ir_attachment")
    ? await k.probe(
        "ir_attachment storage",
        async () => {
          const cols = await columnsOf(k, "ir_attachment");
          const dbSel = cols.has("db_datas")
            ? "count(*) FILTER (WHERE db_datas IS NOT NULL)::int8 AS db_count, coalesce(sum(pg_column_size(db_datas)), 0)::int8 AS db_bytes"
            : "0::int8 AS db_count, 0::int8 AS db_bytes";
          const fileSel = cols.has("store_fname") ? "count(*) FILTER (WHERE store_fname IS NOT NULL)::int8 AS file_count" : "0::int8 AS file_count";
          const r = (await k.q(`SELECT ${dbSel}, ${fileSel} FROM ir_attachment`))[0] ?? {};
          const loc = (await tableExists(k, "ir_config_parameter"))
            ? await k.q("SELECT value FROM ir_config_parameter WHERE key = 'ir_attachment.location'")
            : [];
          return { dbCount: n(r.db_count), dbBytes: n(r.db_bytes), fileCount: n(r.file_count), location: sn(loc[0]?.value) };
        },
        null,
      )
    : null;

  const bus = has("bus_bus")
    ? await k.probe(
        "bus_bus age",
        async () => {
          const r = (
            await k.q(
              `SELECT count(*)::int8 AS total, count(*) FILTER (WHERE create_date < ${NOW_UTC} - make_interval(secs => $1))::int8 AS old,
                      ${isoNaive("min(create_date)")} AS oldest FROM bus_bus`,
              [t.busOldSeconds],
            )
          )[0] ?? {};
          return { total: n(r.total), old: n(r.old), oldest: sn(r.oldest) };
        },
        null,
      )
    : null;

  const mailQueue = has("mail_mail")
    ? await k.probe(
        "mail_mail queue",
        async () => {
          const cols = await columnsOf(k, "mail_mail");
          const when = cols.get("scheduled_date")?.startsWith("timestamp") ? "coalesce(scheduled_date, create_date)" : "create_date";
          const r = (
            await k.q(
              `SELECT count(*) FILTER (WHERE state = 'exception')::int8 AS exception, count(*) FILTER (WHERE state = 'outgoing')::int8 AS outgoing,
                      count(*) FILTER (WHERE state = 'outgoing' AND ${when} < ${NOW_UTC} - make_interval(secs => $1))::int8 AS stale
                 FROM mail_mail`,
              [t.mailStaleSeconds],
            )
          )[0] ?? {};
          const reasonCols = ["failure_reason", "failure_type"].filter((c) => cols.has(c));
          const reasonExpr = reasonCols.length ? `coalesce(${reasonCols.join(", ")}, '(no reason recorded)')` : "'(no reason recorded)'";
          const failures = await k.q(
            `SELECT left(split_part(${reasonExpr}, E'\\n', 1), 160) AS reason, count(*)::int8 AS n
               FROM mail_mail WHERE state = 'exception' GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5`,
          );
          return {
            exception: n(r.exception),
            outgoing: n(r.outgoing),
            outgoingStale: n(r.stale),
            failures: failures.map((f) => ({ reason: maskSqlSecrets(s(f.reason)), count: n(f.n) })),
          };
        },
        null,
      )
    : null;

  const crons = (await tableExists(k, "ir_cron"))
    ? await k.probe(
        "ir_cron",
        async () => {
          const cols = await columnsOf(k, "ir_cron");
          const nameType = cols.get("cron_name");
          const nameExpr = nameType === undefined ? "'ir_cron ' || c.id" : nameType === "jsonb" ? "coalesce(c.cron_name->>'en_US', c.cron_name::text)" : "c.cron_name";
          const active = await k.q("SELECT count(*)::int8 AS n FROM ir_cron c WHERE c.active");
          const overdue = await k.q(
            `SELECT ${nameExpr} AS name, ${isoNaive("c.nextcall")} AS nextcall, extract(epoch FROM ${NOW_UTC} - c.nextcall)::float8 AS late
               FROM ir_cron c WHERE c.active AND c.nextcall < ${NOW_UTC} - make_interval(secs => $1)
              ORDER BY c.nextcall, c.id`,
            [t.cronOverdueSeconds],
          );
          const failing = cols.has("failure_count")
            ? (
                await k.q(
                  `SELECT ${nameExpr} AS name, c.failure_count::int8 AS failures, ${cols.has("first_failure_date") ? isoNaive("c.first_failure_date") : "NULL"} AS first
                     FROM ir_cron c WHERE c.failure_count > 0 ORDER BY c.failure_count DESC, c.id`,
                )
              ).map((r) => ({ name: s(r.name), failures: n(r.failures), firstFailure: sn(r.first) }))
            : null;
          const av = (await tableExists(k, "ir_model_data"))
            ? await k.q(
                `SELECT c.active, ${isoNaive("c.lastcall")} AS lastcall, ${isoNaive("c.nextcall")} AS nextcall
                   FROM ir_cron c JOIN ir_model_data d ON d.model = 'ir.cron' AND d.res_id = c.id
                  WHERE d.module = 'base' AND d.name = 'autovacuum_job'`,
              )
            : [];
          const a = av[0];
          return {
            active: n(active[0]?.n),
            overdue: overdue.map((r) => ({ name: s(r.name), nextcall: s(r.nextcall), overdueSeconds: Math.floor(n(r.late)) })),
            failing,
            autovacuum: a ? { active: b(a.active), lastcall: sn(a.lastcall), nextcall: sn(a.nextcall) } : null,
          };
        },
        null,
      )
    : null;

  const sessionTables: OdooInfo["sessionTables"] = [];
  for (const name of SESSION_TABLES) {
    if (!(await tableExists(k, name))) continue;
    const t2 = await readOdooTable(k, name, t.exactCountMaxRows);
    sessionTables.push({ name, rows: t2.rows, totalBytes: t2.totalBytes ?? 0 });
  }

  return { baseVersion: sn(base[0]?.latest_version), tables, attachments, bus, mailQueue, crons, sessionTables };
}

/**
 * Reads everything `tune analyze` looks at. Read-only; one transaction; never throws for an
 * optional probe (see `skipped`), only when the connection fails or the basic catalog queries do.
 */
export async function collectSnapshot(client: PgClient, opts: CollectOptions): Promise<DbSnapshot> {
  const redact = opts.redact ?? ((x: string) => x);
  const step = opts.progress ?? (() => undefined);
  const k = new Collector(client, redact);
  await client.query(`/* ${QUERY_TAG} */ BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY`);
  try {
    step("server and settings");
    const server = await readServer(k);
    const settings = await readSettings(k);
    step("statistics");
    const cache = await readCache(k);
    step("statements");
    const statements = await readStatements(k, server, settings, opts.thresholds.topQueries);
    step("tables and indexes");
    const tables = await k.probe("pg_stat_user_tables", () => readTables(k), []);
    const unusedIndexes = await k.probe("pg_stat_user_indexes", () => readUnusedIndexes(k), []);
    step("sessions");
    const sessions = await k.probe("pg_stat_activity", () => readSessions(k), []);
    const connections = await readConnections(k, settings);
    step("Odoo tables");
    const odoo = await readOdoo(k, opts.thresholds);
    const largestTables = [...tables]
      .sort((a, b2) => b2.totalBytes - a.totalBytes || a.schema.localeCompare(b2.schema) || a.name.localeCompare(b2.name))
      .slice(0, 10)
      .map((x) => ({ schema: x.schema, name: x.name, totalBytes: x.totalBytes }));
    return { server, settings, cache, statements, tables, unusedIndexes, largestTables, sessions, connections, odoo, skipped: k.skipped };
  } finally {
    await client.query(`/* ${QUERY_TAG} */ ROLLBACK`).catch(() => undefined);
  }
}
