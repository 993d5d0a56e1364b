/**
 * From a {@link DbSnapshot} to findings. Pure: the same snapshot and thresholds give the same
 * findings in the same order. Each finding carries the numbers it rests on and a remedy that can
 * be acted on (SQL, a setting, an Odoo action). The thresholds are in ./thresholds.ts.
 */
import { formatBytes } from "../../check/lib/common.js";
import { renderPgConf } from "../postgres.js";
import { QUERY_TAG } from "./collect.js";
import type { RecommendationBasis, SettingComparison } from "./settings.js";
import type { AnalyzeThresholds } from "./thresholds.js";
import type { AnalyzeCategory, AnalyzeFinding, AnalyzeSeverity, DbSnapshot } from "./types.js";

/** Every finding id, with what it means. Ids are stable: scripts may match them. */
export const FINDING_IDS: Record<string, { category: AnalyzeCategory; title: string }> = {
  "setting-differs": { category: "settings", title: "A setting is far from pgtune's recommendation for the stated RAM/CPUs/storage" },
  "shared-buffers-default": { category: "settings", title: "shared_buffers is still PostgreSQL's default of 128MB" },
  "autovacuum-off": { category: "settings", title: "autovacuum is off for the whole server" },
  "track-counts-off": { category: "settings", title: "track_counts is off: no table statistics, autovacuum cannot work" },
  "cache-hit-ratio-low": { category: "cache", title: "Too many reads miss shared_buffers" },
  "pg-stat-statements-missing": { category: "queries", title: "pg_stat_statements is not enabled" },
  "query-hotspot": { category: "queries", title: "One statement takes a large share of the database's time" },
  "seq-scan-heavy": { category: "tables", title: "A big table is read by sequential scans" },
  "dead-tuples-high": { category: "tables", title: "Many dead tuples (bloat estimate from n_dead_tup)" },
  "table-autovacuum-disabled": { category: "tables", title: "autovacuum is disabled on a table" },
  "unused-index": { category: "indexes", title: "An index that was never used" },
  "long-running-query": { category: "sessions", title: "A query has been running for a long time" },
  "idle-in-transaction": { category: "sessions", title: "A session sits idle inside an open transaction" },
  "connections-near-limit": { category: "connections", title: "Connections in use are close to max_connections" },
  "attachments-in-database": { category: "odoo", title: "Attachments stored in the database instead of the filestore" },
  "bus-old-messages": { category: "odoo", title: "bus_bus keeps old notifications" },
  "ir-logging-large": { category: "odoo", title: "ir_logging grows without bound" },
  "mail-message-large": { category: "odoo", title: "mail_message is large" },
  "mail-tracking-large": { category: "odoo", title: "mail_tracking_value is large" },
  "mail-queue-failed": { category: "odoo", title: "Outgoing mails failed" },
  "mail-queue-stuck": { category: "odoo", title: "Outgoing mails wait in the queue" },
  "cron-overdue": { category: "odoo", title: "Scheduled actions are overdue: no cron runner serves this database" },
  "cron-failing": { category: "odoo", title: "Scheduled actions keep failing" },
  "autovacuum-cron-inactive": { category: "odoo", title: "Odoo's internal garbage collection (base.autovacuum_job) is inactive" },
};

const SEVERITY_RANK: Record<AnalyzeSeverity, number> = { error: 0, warning: 1, info: 2 };
const CATEGORY_ORDER: AnalyzeCategory[] = ["connections", "sessions", "settings", "cache", "queries", "tables", "indexes", "odoo"];

export function fmtBytes(n: number): string {
  return formatBytes(Math.max(0, Math.round(n)));
}

export function fmtDuration(seconds: number): string {
  const one = (x: number): string => (Number.isInteger(Math.round(x * 10) / 10) ? String(Math.round(x)) : x.toFixed(1));
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172800 && seconds % 86400 !== 0) return `${one(seconds / 3600)} h`;
  return `${one(seconds / 86400)} d`;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x >= 0.995 && x < 1 ? 2 : 1)}%`;
}

function q(ident: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(ident) ? ident : `"${ident.replace(/"/g, '""')}"`;
}

function qualified(schema: string, name: string): string {
  return schema === "public" ? q(name) : `${q(schema)}.${q(name)}`;
}

/** Where PostgreSQL settings go in a Doodba project (the remedy of every settings finding). */
export function settingRemedy(lines: string, restart: boolean): string {
  return (
    `${lines}\n` +
    "Where: the db service's CONF_EXTRA variable (Doodba's postgres-autoconf image; one setting per line), `command: postgres -c name=value` (official image), " +
    "or ALTER SYSTEM SET name = 'value' on a running server. " +
    (restart ? "Needs a restart of PostgreSQL." : "Then SELECT pg_reload_conf(); no restart needed.")
  );
}

export interface FindingsInput {
  snapshot: DbSnapshot;
  settings: SettingComparison[];
  /** What the settings were compared for, when the RAM is known. */
  basis?: RecommendationBasis | null;
  thresholds: AnalyzeThresholds;
}

export function analyzeFindings(input: FindingsInput): AnalyzeFinding[] {
  const { snapshot: snap, thresholds: t } = input;
  const out: AnalyzeFinding[] = [];
  const add = (id: string, severity: AnalyzeSeverity, f: Omit<AnalyzeFinding, "id" | "severity" | "category">): void => {
    const meta = FINDING_IDS[id];
    if (!meta) throw new Error(`unknown finding id ${id}`);
    out.push({ id, severity, category: meta.category, ...f });
  };

  settingsFindings(input, add);
  const setting = (name: string): string | undefined => snap.settings[name]?.display;

  // ---- cache
  const blocks = snap.cache.blksHit + snap.cache.blksRead;
  if (blocks >= t.cacheMinBlocks) {
    const ratio = snap.cache.blksHit / blocks;
    if (ratio < t.cacheHitWarning) {
      add("cache-hit-ratio-low", ratio < t.cacheHitError ? "error" : "warning", {
        subject: snap.server.database,
        message: `cache hit ratio of database ${snap.server.database} is ${pct(ratio)} (${fmtInt(snap.cache.blksRead)} of ${fmtInt(blocks)} block reads missed shared_buffers); an OLTP database like Odoo's should stay above ${pct(t.cacheHitWarning)}`,
        evidence: {
          blks_hit: snap.cache.blksHit,
          blks_read: snap.cache.blksRead,
          ratio: Math.round(ratio * 10000) / 10000,
          shared_buffers: setting("shared_buffers") ?? null,
          database_bytes: snap.server.databaseBytes,
        },
        remedy:
          `Give PostgreSQL more cache: shared_buffers about 25% of the RAM (now ${setting("shared_buffers") ?? "?"}, database ${fmtBytes(snap.server.databaseBytes)}), effective_cache_size about 75% (run with --memory to get the numbers). ` +
          "If the RAM is already used well, look at seq-scan-heavy findings and the top queries: sequential scans of big tables evict the cache.",
      });
    }
  }

  // ---- pg_stat_statements
  const st = snap.statements;
  if (!st.preloaded || !st.installed || st.top === null) {
    const steps: string[] = [];
    if (!st.preloaded) {
      steps.push(
        "1. Load the library (restart needed): shared_preload_libraries = 'pg_stat_statements'\n" +
          "   Doodba's postgres-autoconf image, in the db service:\n" +
          "     environment:\n       CONF_EXTRA: |\n         shared_preload_libraries = 'pg_stat_statements'\n         pg_stat_statements.track = top\n" +
          "   Official postgres image: command: postgres -c shared_preload_libraries=pg_stat_statements",
      );
    }
    if (!st.installed) steps.push(`${steps.length + 1}. In database ${snap.server.database}: CREATE EXTENSION IF NOT EXISTS pg_stat_statements;`);
    if (steps.length === 0) steps.push(`Read access to pg_stat_statements failed${st.error ? ` (${st.error})` : ""}: run as a superuser or a role granted pg_read_all_stats.`);
    add("pg-stat-statements-missing", "info", {
      message: `pg_stat_statements is ${!st.preloaded && !st.installed ? "neither loaded nor installed" : !st.preloaded ? "installed but not loaded (shared_preload_libraries)" : !st.installed ? "loaded but the extension is not created in this database" : "not readable"}: the slowest queries cannot be listed`,
      evidence: { preloaded: st.preloaded, installed: st.installed, available_on_server: st.availableOnServer },
      remedy: steps.join("\n") + "\nThen run tune analyze again after some normal traffic.",
    });
  }
  for (const row of st.top ?? []) {
    if (row.share >= t.hotspotShare && row.meanMs >= t.hotspotMeanMs && !row.query.includes(QUERY_TAG)) {
      add("query-hotspot", row.meanMs >= 1000 ? "warning" : "info", {
        subject: row.queryid ? `queryid ${row.queryid}` : row.query.slice(0, 40),
        message: `a statement takes ${pct(row.share)} of the execution time of ${snap.server.database}: ${fmtInt(row.calls)} calls, ${row.meanMs.toFixed(1)} ms on average: ${row.query}`,
        evidence: {
          queryid: row.queryid,
          calls: row.calls,
          total_ms: row.totalMs,
          mean_ms: row.meanMs,
          rows: row.rows,
          share: row.share,
          shared_blks_read: row.sharedBlksRead,
          shared_blks_hit: row.sharedBlksHit,
        },
        remedy:
          "See its plan with real parameters: EXPLAIN (ANALYZE, BUFFERS) <the query>; a Seq Scan on a big table wants an index on the filtered column " +
          "(in Odoo: index=True on the field in a custom module, then -u the module); a slow ORM search often comes from a domain on a non-stored or non-indexed field.",
      });
    }
  }

  // ---- tables
  for (const tb of snap.tables) {
    const name = qualified(tb.schema, tb.name);
    const avg = tb.seqScan > 0 ? tb.seqTupRead / tb.seqScan : 0;
    if (tb.bytes >= t.seqScanMinBytes && tb.seqTupRead >= t.seqScanMinTupRead && avg >= t.seqScanMinAvgRows) {
      add("seq-scan-heavy", "warning", {
        subject: name,
        message: `${name} (${fmtBytes(tb.bytes)}, ~${fmtInt(tb.liveTup)} rows) had ${fmtInt(tb.seqScan)} sequential scans reading ${fmtInt(tb.seqTupRead)} rows (${fmtInt(avg)} per scan) against ${fmtInt(tb.idxScan ?? 0)} index scans`,
        evidence: { seq_scan: tb.seqScan, seq_tup_read: tb.seqTupRead, avg_rows_per_scan: Math.round(avg), idx_scan: tb.idxScan, live_tuples: tb.liveTup, table_bytes: tb.bytes },
        remedy:
          `Find the statements that scan it: SELECT query, calls, mean_exec_time FROM pg_stat_statements WHERE query ILIKE '%${tb.name}%' ORDER BY total_exec_time DESC LIMIT 5;\n` +
          `then EXPLAIN (ANALYZE, BUFFERS) one of them and index the column it filters on: CREATE INDEX CONCURRENTLY ${tb.name}_<column>_idx ON ${name} (<column>);\n` +
          "(for an Odoo model, prefer index=True on the field in a custom module, so that module updates keep it).",
      });
    }
    const total = tb.liveTup + tb.deadTup;
    const ratio = total > 0 ? tb.deadTup / total : 0;
    if (tb.deadTup >= t.deadMinTuples && ratio >= t.deadMinRatio) {
      add("dead-tuples-high", ratio >= 0.5 ? "warning" : "info", {
        subject: name,
        message: `${name} has ${fmtInt(tb.deadTup)} dead tuples (${pct(ratio)} of ${fmtInt(total)}; estimate from pg_stat_user_tables.n_dead_tup), last vacuum ${tb.lastAutovacuum ?? tb.lastVacuum ?? "never"}${tb.autovacuumDisabled ? ", autovacuum disabled on the table" : ""}`,
        evidence: {
          dead_tuples: tb.deadTup,
          live_tuples: tb.liveTup,
          dead_ratio: Math.round(ratio * 10000) / 10000,
          table_bytes: tb.bytes,
          last_vacuum: tb.lastVacuum,
          last_autovacuum: tb.lastAutovacuum,
          autovacuum_disabled: tb.autovacuumDisabled,
          method: "n_dead_tup ratio",
        },
        remedy:
          `VACUUM (ANALYZE, VERBOSE) ${name};\n` +
          (tb.autovacuumDisabled
            ? `ALTER TABLE ${name} RESET (autovacuum_enabled);  -- let autovacuum look after it again\n`
            : `If autovacuum cannot keep up on a busy table: ALTER TABLE ${name} SET (autovacuum_vacuum_scale_factor = 0.02);\n`) +
          "A long idle-in-transaction session or an old prepared transaction also keeps dead tuples from being removed.",
      });
    }
    if (tb.autovacuumDisabled) {
      add("table-autovacuum-disabled", "warning", {
        subject: name,
        message: `autovacuum is disabled on ${name} (reloptions autovacuum_enabled=false): its dead tuples and statistics are only refreshed by manual VACUUM/ANALYZE`,
        evidence: { dead_tuples: tb.deadTup, live_tuples: tb.liveTup, last_vacuum: tb.lastVacuum, last_autovacuum: tb.lastAutovacuum },
        remedy: `ALTER TABLE ${name} RESET (autovacuum_enabled);`,
      });
    }
  }

  // ---- indexes
  for (const ix of snap.unusedIndexes) {
    if (ix.idxScan !== 0 || ix.unique || ix.primary || ix.constraint || ix.bytes < t.unusedIndexMinBytes) continue;
    const name = qualified(ix.schema, ix.name);
    // Odoo names the indexes of index=True fields <table>__<column>_index: a module update recreates them.
    const odooIndex = ix.name.startsWith(`${ix.table}__`) && ix.name.endsWith("_index");
    add("unused-index", ix.bytes >= t.unusedIndexWarnBytes ? "warning" : "info", {
      subject: name,
      message: `index ${name} on ${qualified(ix.schema, ix.table)} (${fmtBytes(ix.bytes)}) was never used since the statistics were reset${snap.server.statsReset ? ` (${snap.server.statsReset})` : ""}; it still costs on every write`,
      evidence: { index_bytes: ix.bytes, idx_scan: ix.idxScan, table: ix.table, definition: ix.definition, stats_reset: snap.server.statsReset },
      remedy: odooIndex
        ? `This is the index of an Odoo field declared with index=True (name ${ix.name}): dropping it by hand is undone by the next module update. ` +
          `If the field is never searched, set index=False on it in the module; otherwise keep it. Check on replicas too: their index usage is not counted here.`
        : `DROP INDEX CONCURRENTLY ${name};  -- first check that no replica, report or monthly job uses it: index usage is counted per server\n` +
          `(to recreate: ${ix.definition.replace(/^CREATE INDEX/, "CREATE INDEX CONCURRENTLY")};)`,
    });
  }

  // ---- sessions
  for (const se of snap.sessions) {
    const who = `pid ${se.pid}`;
    const ev = {
      pid: se.pid,
      user: se.user,
      database: se.database,
      application: se.application,
      client: se.client,
      state: se.state,
      query_seconds: se.querySeconds,
      state_seconds: se.stateSeconds,
      xact_seconds: se.xactSeconds,
      wait_event: se.waitEvent,
      query: se.query,
    };
    if (se.state === "active" && se.querySeconds !== null && se.querySeconds >= t.longQuerySeconds) {
      add("long-running-query", se.querySeconds >= 4 * t.longQuerySeconds ? "error" : "warning", {
        subject: who,
        message: `${who} (${se.user ?? "?"}@${se.database ?? "?"}, ${se.application || "no application name"}) has been running a query for ${fmtDuration(se.querySeconds)}${se.waitEvent ? `, waiting on ${se.waitEvent}` : ""}: ${se.query ?? "(query not visible)"}`,
        evidence: ev,
        remedy:
          `Cancel the query: SELECT pg_cancel_backend(${se.pid});  (or end the session: SELECT pg_terminate_backend(${se.pid});)\n` +
          "An Odoo HTTP worker is killed after limit_time_real, a cron worker only after limit_time_real_cron: a long query from Odoo is usually a cron job or a report; " +
          "EXPLAIN it, or cap it for the Odoo role: ALTER ROLE <odoo role> SET statement_timeout = '15min';",
      });
    }
    if ((se.state === "idle in transaction" || se.state === "idle in transaction (aborted)") && se.stateSeconds !== null && se.stateSeconds >= t.idleInTransactionSeconds) {
      add("idle-in-transaction", se.stateSeconds >= 10 * t.idleInTransactionSeconds ? "error" : "warning", {
        subject: who,
        message: `${who} (${se.user ?? "?"}@${se.database ?? "?"}, ${se.application || "no application name"}, from ${se.client ?? "local socket"}) has been ${se.state} for ${fmtDuration(se.stateSeconds)} (transaction open for ${fmtDuration(se.xactSeconds ?? se.stateSeconds)}): it holds its locks and keeps VACUUM from removing dead rows`,
        evidence: ev,
        remedy:
          `End it: SELECT pg_terminate_backend(${se.pid});\n` +
          "Stop it happening: idle_in_transaction_session_timeout = '10min' (CONF_EXTRA of the db service, or ALTER ROLE <role> SET idle_in_transaction_session_timeout = '10min'); " +
          "look for a script, a BI tool or a psql session that began a transaction and never ended it.",
      });
    }
  }

  // ---- connections
  const c = snap.connections;
  const usable = Math.max(1, c.maxConnections - c.reserved);
  const use = c.used / usable;
  if (use >= t.connectionsWarning) {
    const groups = c.groups.map((g) => `${g.count} ${g.user ?? "?"}@${g.database ?? "?"}${g.application ? ` (${g.application})` : ""}`).join(", ");
    add("connections-near-limit", use >= t.connectionsError ? "error" : "warning", {
      message: `${c.used} of ${usable} usable connections are in use (${pct(use)}; max_connections ${c.maxConnections}, ${c.reserved} reserved for superusers): the next Odoo worker may get "too many clients already". Biggest: ${groups}`,
      evidence: { used: c.used, usable, max_connections: c.maxConnections, reserved: c.reserved, ...Object.fromEntries(Object.entries(c.byState).map(([k, v]) => [`state_${k.replace(/\W+/g, "_")}`, v])) },
      remedy:
        "Odoo needs (1 + workers + max_cron_threads) x db_maxconn connections per instance, below max_connections minus the reserved ones. " +
        "Lower db_maxconn (e.g. 16 in odoo/custom/conf.d), or raise max_connections (restart; memory: work_mem x connections), " +
        "and end idle sessions of other tools. `doodba-ops tune [dir] --env prod` computes the budget.",
    });
  }

  odooFindings(snap, t, add);

  return out.sort(
    (a, b) =>
      SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] ||
      CATEGORY_ORDER.indexOf(a.category) - CATEGORY_ORDER.indexOf(b.category) ||
      a.id.localeCompare(b.id) ||
      (a.subject ?? "").localeCompare(b.subject ?? "", "en", { numeric: true }),
  );
}

type Add = (id: string, severity: AnalyzeSeverity, f: Omit<AnalyzeFinding, "id" | "severity" | "category">) => void;

function settingsFindings(input: FindingsInput, add: Add): void {
  const { snapshot: snap, settings } = input;
  const off = settings.filter((x) => x.status !== "ok" && x.status !== "not-compared" && x.recommended !== null);
  for (const x of off) {
    const severe = (x.name === "shared_buffers" && x.status === "low") || (x.name === "work_mem" && x.status === "high") || (x.name === "random_page_cost" && x.status === "high");
    const b = input.basis;
    const mem = b ? ` for ${fmtBytes(b.memoryBytes)} RAM${b.cpus !== undefined ? `, ${b.cpus} CPUs` : ""}, ${b.storage} storage` : "";
    const how = x.status === "low" ? "is below" : x.status === "high" ? "is above" : "differs from";
    add("setting-differs", severe ? "warning" : "info", {
      subject: x.name,
      message: `${x.name} = ${x.current} ${how} the recommendation${mem}: ${x.recommended} (${x.rule})`,
      evidence: { current: x.current, recommended: x.recommended, status: x.status, source: x.source, restart_needed: x.restart },
      remedy: settingRemedy(renderPgConf({ [x.name]: x.recommended ?? "" }), x.restart),
    });
  }
  const sb = snap.settings.shared_buffers;
  if (!input.basis && sb && sb.display === "128MB") {
    add("shared-buffers-default", "warning", {
      subject: "shared_buffers",
      message: `shared_buffers is 128MB, PostgreSQL's default (source: ${sb.source}), for a ${fmtBytes(snap.server.databaseBytes)} database: PostgreSQL was probably never tuned`,
      evidence: { shared_buffers: sb.display, source: sb.source, database_bytes: snap.server.databaseBytes },
      remedy:
        "Run again with --memory <RAM of the database server> (and --cpus, --storage) for pgtune's numbers; the rule of thumb is 25% and 75% of the RAM:\n" +
        settingRemedy("shared_buffers = <25% of RAM>\neffective_cache_size = <75% of RAM>", true),
    });
  }
  const av = snap.settings.autovacuum;
  if (av && av.display === "off") {
    add("autovacuum-off", "error", {
      subject: "autovacuum",
      message: "autovacuum is off: dead rows pile up, statistics go stale, and the server will eventually stop to prevent transaction ID wraparound",
      evidence: { autovacuum: av.display, source: av.source },
      remedy: settingRemedy("autovacuum = on", false),
    });
  }
  const tc = snap.settings.track_counts;
  if (tc && tc.display === "off") {
    add("track-counts-off", "error", {
      subject: "track_counts",
      message: "track_counts is off: table statistics (and every table finding of this report) are empty, and autovacuum cannot decide what to vacuum",
      evidence: { track_counts: tc.display, source: tc.source },
      remedy: settingRemedy("track_counts = on", false),
    });
  }
}

const ODOO_SHELL = "docker compose -f prod.yaml run --rm odoo odoo shell";

function odooFindings(snap: DbSnapshot, t: AnalyzeThresholds, add: Add): void {
  const o = snap.odoo;
  if (!o) return;
  const table = (name: string) => o.tables.find((x) => x.name === name && x.exists);

  const a = o.attachments;
  if (a && a.dbCount > 0 && a.dbBytes >= t.dbAttachmentsMinBytes) {
    const locDb = a.location !== null && a.location.trim().toLowerCase() === "db";
    add("attachments-in-database", a.dbBytes >= 1024 * 1024 * 1024 ? "warning" : "info", {
      subject: "ir_attachment",
      message: `${fmtInt(a.dbCount)} attachments (${fmtBytes(a.dbBytes)} stored) are kept in the database (ir_attachment.db_datas) instead of the filestore (${fmtInt(a.fileCount)} are in the filestore); ir_attachment.location is ${a.location === null ? "not set (file)" : `"${a.location}"`}`,
      evidence: { db_count: a.dbCount, db_bytes: a.dbBytes, filestore_count: a.fileCount, location: a.location, database_bytes: snap.server.databaseBytes },
      remedy:
        (locDb
          ? "Switch storage back to the filestore: UPDATE ir_config_parameter SET value = 'file' WHERE key = 'ir_attachment.location';\n"
          : "The storage setting is already the filestore (ir_attachment.location unset or 'file'); these attachments were written while it was 'db', or were imported.\n") +
        `Then move them, with room on the filestore volume: ${ODOO_SHELL}\n` +
        "  >>> env['ir.attachment'].force_storage(); env.cr.commit()\n" +
        "Backups and restores get faster (pg_dump no longer carries the files), and the database stops growing with every upload.",
    });
  }

  const bus = o.bus;
  if (bus && bus.old >= t.busOldMinRows) {
    const avc = o.crons?.autovacuum;
    add("bus-old-messages", "warning", {
      subject: "bus_bus",
      message: `bus_bus holds ${fmtInt(bus.old)} rows older than ${fmtDuration(t.busOldSeconds)} (of ${fmtInt(bus.total)}, oldest ${bus.oldest ?? "?"}; ${fmtBytes(table("bus_bus")?.totalBytes ?? 0)}): Odoo's autovacuum job deletes them daily when it runs${avc ? ` (base.autovacuum_job: ${avc.active ? "active" : "INACTIVE"}, last run ${avc.lastcall ?? "never"})` : ""}`,
      evidence: {
        old_rows: bus.old,
        total_rows: bus.total,
        oldest: bus.oldest,
        table_bytes: table("bus_bus")?.totalBytes ?? null,
        autovacuum_job_active: avc ? avc.active : null,
        autovacuum_job_lastcall: avc ? avc.lastcall : null,
      },
      remedy:
        "Make sure a cron runner serves this database (max_cron_threads >= 1 on one Odoo instance) and that 'Base: Auto-vacuum internal data' (base.autovacuum_job) is active; it runs bus.bus._gc_messages.\n" +
        `One-off clean-up (bus messages are transient notifications, safe to delete): DELETE FROM bus_bus WHERE create_date < (now() AT TIME ZONE 'UTC') - interval '1 day'; VACUUM (ANALYZE) bus_bus;`,
    });
  }

  const logging = table("ir_logging");
  if (logging && logging.rows !== null && logging.rows >= t.irLoggingMinRows) {
    add("ir-logging-large", "warning", {
      subject: "ir_logging",
      message: `ir_logging has ${logging.rowsExact ? "" : "~"}${fmtInt(logging.rows)} rows (${fmtBytes(logging.totalBytes ?? 0)}): Odoo writes server logs there when log_db is set, and server actions log there; nothing deletes them`,
      evidence: { rows: logging.rows, rows_exact: logging.rowsExact, table_bytes: logging.totalBytes },
      remedy:
        "Remove log_db from the Odoo configuration (odoo/custom/conf.d or --log-db) unless you need it, and delete old rows: " +
        "DELETE FROM ir_logging WHERE create_date < (now() AT TIME ZONE 'UTC') - interval '30 days'; VACUUM (ANALYZE) ir_logging;",
    });
  }

  const growth: [string, string, number][] = [
    ["mail_message", "mail-message-large", t.mailMessageMinRows],
    ["mail_tracking_value", "mail-tracking-large", t.mailTrackingMinRows],
  ];
  for (const [name, id, min] of growth) {
    const tb = table(name);
    if (!tb || tb.rows === null || tb.rows < min) continue;
    add(id, "info", {
      subject: name,
      message: `${name} has ${tb.rowsExact ? "" : "~"}${fmtInt(tb.rows)} rows (${fmtBytes(tb.totalBytes ?? 0)})`,
      evidence: { rows: tb.rows, rows_exact: tb.rowsExact, table_bytes: tb.totalBytes },
      remedy:
        name === "mail_message"
          ? "Find what produces them: SELECT model, message_type, count(*) FROM mail_message GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 10;\n" +
            "Usual causes: automated notes from scheduled jobs or imports, and tracked fields (tracking=True) on records written in bulk; turn those off in the custom module, or archive old messages of the noisiest model."
          : "Find the noisiest tracked fields: SELECT f.model, f.name, count(*) FROM mail_tracking_value v JOIN ir_model_fields f ON f.id = v.field_id GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 10;\n" +
            "then drop tracking=True on fields that are written in bulk (imports, crons) in the custom module.",
    });
  }

  const mq = o.mailQueue;
  if (mq && mq.exception > 0) {
    const reasons = mq.failures.map((f) => `${f.count} x ${f.reason}`).join("; ");
    add("mail-queue-failed", "warning", {
      subject: "mail_mail",
      message: `${fmtInt(mq.exception)} outgoing mails failed (state exception): ${reasons}`,
      evidence: { exception: mq.exception, outgoing: mq.outgoing, top_reason: mq.failures[0]?.reason ?? null },
      remedy:
        "Fix the cause (SMTP server in Settings > Technical > Outgoing Mail Servers, or the .docker/smtp.env of the project; bounced addresses), " +
        "then retry them from Settings > Technical > Emails (filter Failed, action Retry), or: UPDATE mail_mail SET state = 'outgoing' WHERE state = 'exception';",
    });
  }
  if (mq && mq.outgoingStale > 0) {
    add("mail-queue-stuck", "warning", {
      subject: "mail_mail",
      message: `${fmtInt(mq.outgoingStale)} outgoing mails have waited more than ${fmtDuration(t.mailStaleSeconds)} (of ${fmtInt(mq.outgoing)} queued): the mail queue job does not run or cannot send`,
      evidence: { outgoing_stale: mq.outgoingStale, outgoing: mq.outgoing, exception: mq.exception },
      remedy:
        "Check that 'Mail: Email Queue Manager' (mail.ir_cron_mail_scheduler_action) is active and that a cron runner serves this database (max_cron_threads >= 1), " +
        "and look for SMTP errors in the Odoo log (`doodba-ops doctor`).",
    });
  }

  const cr = o.crons;
  if (cr && cr.overdue.length > 0) {
    const worst = cr.overdue[0];
    add("cron-overdue", "warning", {
      subject: "ir_cron",
      message: `${cr.overdue.length} of ${cr.active} active scheduled actions are overdue by more than ${fmtDuration(t.cronOverdueSeconds)}; the oldest, "${worst?.name ?? "?"}", was due ${worst?.nextcall ?? "?"} (${fmtDuration(worst?.overdueSeconds ?? 0)} ago)`,
      evidence: {
        overdue: cr.overdue.length,
        active: cr.active,
        oldest_name: worst?.name ?? null,
        oldest_nextcall: worst?.nextcall ?? null,
        oldest_overdue_seconds: worst?.overdueSeconds ?? null,
      },
      remedy:
        "No cron runner processes this database: run one Odoo instance with max_cron_threads >= 1 (and workers > 0 or threaded mode) whose db_name/dbfilter includes it. " +
        "A long job that blocks the others shows up as a long-running query; a restored copy that should stay quiet is better neutralised (odoo neutralize).",
    });
  }
  for (const f of cr?.failing ?? []) {
    add("cron-failing", "warning", {
      subject: f.name,
      message: `scheduled action "${f.name}" failed ${f.failures} times in a row${f.firstFailure ? ` since ${f.firstFailure}` : ""}; Odoo deactivates a job after repeated failures`,
      evidence: { failures: f.failures, first_failure: f.firstFailure },
      remedy: "Read the traceback in the Odoo log around the job's run (`doodba-ops doctor`), fix the job, then reset ir_cron.failure_count or run it manually (Settings > Technical > Scheduled Actions > Run Manually).",
    });
  }
  if (cr?.autovacuum && !cr.autovacuum.active) {
    add("autovacuum-cron-inactive", "warning", {
      subject: "base.autovacuum_job",
      message: "Odoo's 'Base: Auto-vacuum internal data' job (base.autovacuum_job) is inactive: bus messages, expired transient records and other internal garbage are never cleaned",
      evidence: { active: false, lastcall: cr.autovacuum.lastcall, nextcall: cr.autovacuum.nextcall },
      remedy: "UPDATE ir_cron SET active = true WHERE id = (SELECT res_id FROM ir_model_data WHERE module = 'base' AND name = 'autovacuum_job');  (or Settings > Technical > Scheduled Actions)",
    });
  }
}
