/**
 * The pure half of `tune analyze`: snapshot -> findings. Replays the snapshot recorded from the
 * real loaded Odoo 17 database (test/integration/tune-analyze.test.ts, UPDATE_GOLDEN=1) and
 * probes each threshold on a healthy snapshot built from it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { analyzeFindings, FINDING_IDS, fmtDuration } from "../../../src/tune/analyze/findings.js";
import { buildReport, DEFAULT_THRESHOLDS, type AnalyzeFinding, type DbSnapshot } from "../../../src/tune/analyze/index.js";
import { REPO_ROOT } from "../../helpers/project.js";

const RECORDED = JSON.parse(readFileSync(join(REPO_ROOT, "test", "fixtures", "tune", "snapshot-odoo17-loaded.json"), "utf8")) as DbSnapshot;
const MiB = 1024 * 1024;

/** The recorded snapshot with everything the load added taken away: what a healthy Odoo database looks like. */
function healthy(): DbSnapshot {
  const s = structuredClone(RECORDED);
  s.settings.shared_buffers = { ...s.settings.shared_buffers!, display: "2GB", setting: "262144" };
  s.cache = { ...s.cache, blksHit: 1_000_000, blksRead: 1000 };
  s.statements = { ...s.statements, top: [], totalMs: 0 };
  s.tables = s.tables.map((t) => ({ ...t, seqScan: 1, seqTupRead: t.liveTup, deadTup: 0, autovacuumDisabled: false }));
  s.unusedIndexes = [];
  s.sessions = [];
  s.connections = { maxConnections: 100, reserved: 3, used: 5, byState: { active: 1, idle: 4 }, groups: [{ database: "acme", user: "odoo", application: "odoo", count: 5 }] };
  const o = s.odoo!;
  o.tables = o.tables.map((t) => ({ ...t, rows: 10, rowsExact: true }));
  o.attachments = { dbCount: 0, dbBytes: 0, fileCount: 20, location: null };
  o.bus = { total: 10, old: 0, oldest: null };
  o.mailQueue = { exception: 0, outgoing: 0, outgoingStale: 0, failures: [] };
  o.crons = { active: 11, overdue: [], failing: null, autovacuum: { active: true, lastcall: "2026-11-27T01:00:00Z", nextcall: "2026-11-28T01:00:00Z" } };
  return s;
}

const run = (s: DbSnapshot, t = {}): AnalyzeFinding[] => buildReport(s, { thresholds: t }).findings;
const idsOf = (fs: AnalyzeFinding[]): string[] => fs.map((f) => f.id);

describe("findings of the recorded loaded Odoo 17 database", () => {
  it("GIVEN the real snapshot THEN every generated problem is found, in severity order", () => {
    const f = buildReport(RECORDED, { memoryBytes: 8 * 1024 ** 3, cpus: 4, storage: "ssd", thresholds: { idleInTransactionSeconds: 1, longQuerySeconds: 1 } }).findings;
    const ids = new Set(idsOf(f));
    for (const id of [
      "bus-old-messages",
      "attachments-in-database",
      "ir-logging-large",
      "mail-queue-failed",
      "mail-queue-stuck",
      "cron-overdue",
      "autovacuum-cron-inactive",
      "seq-scan-heavy",
      "unused-index",
      "dead-tuples-high",
      "table-autovacuum-disabled",
      "query-hotspot",
      "idle-in-transaction",
      "long-running-query",
      "connections-near-limit",
      "setting-differs",
    ]) {
      expect(ids, id).toContain(id);
    }
    const rank = { error: 0, warning: 1, info: 2 };
    expect(f.map((x) => rank[x.severity])).toEqual([...f.map((x) => rank[x.severity])].sort());
  });

  it("GIVEN the same snapshot twice THEN the same findings in the same order (deterministic)", () => {
    expect(run(RECORDED)).toEqual(run(structuredClone(RECORDED)));
  });

  it("every finding id produced is registered, with a category", () => {
    for (const f of run(RECORDED)) expect(FINDING_IDS[f.id]?.category).toBe(f.category);
  });
});

describe("a healthy database", () => {
  it("GIVEN no load, tuned memory, quiet sessions THEN no finding", () => {
    expect(run(healthy())).toEqual([]);
  });
});

describe("thresholds", () => {
  it("cache hit ratio: warning below 99%, error below 90%, silent under 10,000 block requests", () => {
    const s = healthy();
    s.cache = { ...s.cache, blksHit: 98_900, blksRead: 1_100 };
    expect(run(s).find((f) => f.id === "cache-hit-ratio-low")?.severity).toBe("warning");
    s.cache = { ...s.cache, blksHit: 89_000, blksRead: 11_000 };
    const f = run(s).find((x) => x.id === "cache-hit-ratio-low");
    expect(f?.severity).toBe("error");
    expect(f?.evidence).toMatchObject({ blks_hit: 89_000, blks_read: 11_000, ratio: 0.89 });
    s.cache = { ...s.cache, blksHit: 5_000, blksRead: 4_000 };
    expect(idsOf(run(s))).not.toContain("cache-hit-ratio-low");
    s.cache = { ...s.cache, blksHit: 99_000, blksRead: 1_000 };
    expect(idsOf(run(s))).not.toContain("cache-hit-ratio-low"); // exactly 99%
  });

  it("seq-scan-heavy needs size, total rows and rows per scan together", () => {
    const s = healthy();
    const base = { schema: "public", name: "sale_order_line", bytes: 50 * MiB, totalBytes: 80 * MiB, seqScan: 100, seqTupRead: 20_000_000, idxScan: 5, liveTup: 200_000, deadTup: 0, lastVacuum: null, lastAutovacuum: null, autovacuumDisabled: false };
    s.tables = [base];
    expect(run(s).find((f) => f.id === "seq-scan-heavy")?.evidence).toMatchObject({ seq_scan: 100, seq_tup_read: 20_000_000, avg_rows_per_scan: 200_000, idx_scan: 5 });
    s.tables = [{ ...base, bytes: 9 * MiB }];
    expect(idsOf(run(s))).not.toContain("seq-scan-heavy");
    s.tables = [{ ...base, seqTupRead: 9_000_000 }];
    expect(idsOf(run(s))).not.toContain("seq-scan-heavy");
    s.tables = [{ ...base, seqScan: 5_000 }]; // 4,000 rows per scan: LIMITed scans
    expect(idsOf(run(s))).not.toContain("seq-scan-heavy");
  });

  it("dead tuples: 10,000 and 20% together; warning from half dead; a schema other than public is qualified", () => {
    const s = healthy();
    const t = { schema: "audit", name: "log", bytes: MiB, totalBytes: MiB, seqScan: 0, seqTupRead: 0, idxScan: 0, liveTup: 40_000, deadTup: 10_000, lastVacuum: null, lastAutovacuum: "2026-11-01T00:00:00Z", autovacuumDisabled: false };
    s.tables = [t];
    const f = run(s).find((x) => x.id === "dead-tuples-high");
    expect(f).toMatchObject({ severity: "info", subject: "audit.log" });
    expect(f?.remedy).toContain("ALTER TABLE audit.log SET (autovacuum_vacuum_scale_factor = 0.02);");
    s.tables = [{ ...t, deadTup: 9_999, liveTup: 10 }];
    expect(idsOf(run(s))).not.toContain("dead-tuples-high");
    s.tables = [{ ...t, deadTup: 50_000, liveTup: 40_000 }];
    expect(run(s).find((x) => x.id === "dead-tuples-high")?.severity).toBe("warning");
  });

  it("unused indexes: from 1 MiB; warning from 100 MiB; Odoo's <table>__<field>_index gets the index=False advice, others DROP INDEX CONCURRENTLY", () => {
    const s = healthy();
    const ix = { schema: "public", table: "res_partner", name: "res_partner__ref_index", bytes: 200 * MiB, idxScan: 0, unique: false, primary: false, constraint: false, definition: "CREATE INDEX res_partner__ref_index ON public.res_partner USING btree (ref)" };
    s.unusedIndexes = [ix, { ...ix, name: "my_idx", bytes: 2 * MiB, definition: "CREATE INDEX my_idx ON public.res_partner USING btree (x)" }, { ...ix, name: "tiny_idx", bytes: MiB - 1 }];
    const f = run(s).filter((x) => x.id === "unused-index");
    expect(f.map((x) => [x.subject, x.severity])).toEqual([
      ["res_partner__ref_index", "warning"],
      ["my_idx", "info"],
    ]);
    expect(f.find((x) => x.subject === "res_partner__ref_index")?.remedy).toContain("index=False");
    expect(f.find((x) => x.subject === "my_idx")?.remedy).toContain("DROP INDEX CONCURRENTLY my_idx;");
    expect(f.find((x) => x.subject === "my_idx")?.remedy).toContain("CREATE INDEX CONCURRENTLY my_idx ON public.res_partner");
  });

  it("sessions: idle in transaction from 60 s (error from 10 min); active queries from 5 min (error from 20 min)", () => {
    const s = healthy();
    const se = { pid: 42, user: "odoo", database: "prod", application: "psql", client: "10.0.0.5", state: "idle in transaction", querySeconds: 70, stateSeconds: 60, xactSeconds: 75, waitEvent: "Client:ClientRead", query: "SELECT 1" };
    s.sessions = [se];
    expect(run(s).find((f) => f.id === "idle-in-transaction")).toMatchObject({ severity: "warning", subject: "pid 42" });
    s.sessions = [{ ...se, stateSeconds: 59 }];
    expect(idsOf(run(s))).not.toContain("idle-in-transaction");
    s.sessions = [{ ...se, state: "idle in transaction (aborted)", stateSeconds: 600 }];
    expect(run(s).find((f) => f.id === "idle-in-transaction")?.severity).toBe("error");
    s.sessions = [{ ...se, state: "active", querySeconds: 300 }];
    expect(run(s).find((f) => f.id === "long-running-query")?.severity).toBe("warning");
    s.sessions = [{ ...se, state: "active", querySeconds: 1200 }];
    expect(run(s).find((f) => f.id === "long-running-query")?.severity).toBe("error");
    s.sessions = [{ ...se, state: "idle", stateSeconds: 99_999 }];
    expect(run(s)).toEqual([]);
  });

  it("connections: usable = max_connections - reserved; warning at 80%, error at 95%", () => {
    const s = healthy();
    s.connections = { ...s.connections, maxConnections: 100, reserved: 3, used: 77 }; // 79.4%
    expect(idsOf(run(s))).not.toContain("connections-near-limit");
    s.connections.used = 78; // 80.4%
    expect(run(s).find((f) => f.id === "connections-near-limit")).toMatchObject({ severity: "warning", evidence: { used: 78, usable: 97 } });
    s.connections.used = 92; // 94.8%
    expect(run(s).find((f) => f.id === "connections-near-limit")?.severity).toBe("warning");
    s.connections.used = 93; // 95.9%
    expect(run(s).find((f) => f.id === "connections-near-limit")?.severity).toBe("error");
  });

  it("pg_stat_statements: what to do depends on what is missing", () => {
    const s = healthy();
    s.statements = { preloaded: false, installed: false, availableOnServer: true, top: null, totalMs: 0 };
    const both = run(s).find((f) => f.id === "pg-stat-statements-missing");
    expect(both?.remedy).toContain("shared_preload_libraries = 'pg_stat_statements'");
    expect(both?.remedy).toContain("CONF_EXTRA");
    expect(both?.remedy).toContain("2. In database acme_load: CREATE EXTENSION IF NOT EXISTS pg_stat_statements;");
    s.statements = { preloaded: false, installed: true, availableOnServer: true, top: null, totalMs: 0, error: "pg_stat_statements must be loaded via shared_preload_libraries" };
    const lib = run(s).find((f) => f.id === "pg-stat-statements-missing");
    expect(lib?.message).toContain("installed but not loaded");
    expect(lib?.remedy).not.toContain("CREATE EXTENSION");
    s.statements = { preloaded: true, installed: true, availableOnServer: true, top: null, totalMs: 0, error: "permission denied for view pg_stat_statements" };
    expect(run(s).find((f) => f.id === "pg-stat-statements-missing")?.remedy).toContain("pg_read_all_stats");
  });

  it("query-hotspot needs both a 20% share and a 100 ms mean", () => {
    const s = healthy();
    const q = { queryid: "1", query: "SELECT * FROM stock_quant WHERE location_id = $1", calls: 50, totalMs: 10_000, meanMs: 200, rows: 50, sharedBlksHit: 10, sharedBlksRead: 10, share: 0.25 };
    s.statements = { ...s.statements, top: [q], totalMs: 40_000 };
    expect(run(s).find((f) => f.id === "query-hotspot")).toMatchObject({ severity: "info", subject: "queryid 1" });
    s.statements.top = [{ ...q, meanMs: 99 }];
    expect(idsOf(run(s))).not.toContain("query-hotspot");
    s.statements.top = [{ ...q, share: 0.19 }];
    expect(idsOf(run(s))).not.toContain("query-hotspot");
    s.statements.top = [{ ...q, meanMs: 1500 }];
    expect(run(s).find((f) => f.id === "query-hotspot")?.severity).toBe("warning");
  });

  it("Odoo: attachments in the database from 1 MiB; the remedy switches ir_attachment.location back only when it is db", () => {
    const s = healthy();
    s.odoo!.attachments = { dbCount: 3, dbBytes: MiB - 1, fileCount: 5, location: null };
    expect(idsOf(run(s))).not.toContain("attachments-in-database");
    s.odoo!.attachments = { dbCount: 3, dbBytes: 5 * MiB, fileCount: 5, location: null };
    const f = run(s).find((x) => x.id === "attachments-in-database");
    expect(f?.remedy).not.toContain("UPDATE ir_config_parameter");
    expect(f?.remedy).toContain("force_storage()");
    s.odoo!.attachments.location = "db";
    expect(run(s).find((x) => x.id === "attachments-in-database")?.remedy).toContain("UPDATE ir_config_parameter SET value = 'file'");
  });

  it("Odoo: bus_bus from 1,000 old rows; ir_logging from 100,000 (an estimate is shown with ~)", () => {
    const s = healthy();
    s.odoo!.bus = { total: 1500, old: 999, oldest: "2026-01-01T00:00:00Z" };
    expect(idsOf(run(s))).not.toContain("bus-old-messages");
    s.odoo!.bus.old = 1000;
    expect(idsOf(run(s))).toContain("bus-old-messages");
    s.odoo!.tables = s.odoo!.tables.map((t) => (t.name === "ir_logging" ? { ...t, rows: 7_000_000, rowsExact: false } : t));
    expect(run(s).find((f) => f.id === "ir-logging-large")?.message).toContain("~7,000,000 rows");
  });

  it("Odoo 18+: crons with failure_count > 0 are cron-failing; Odoo 17 (no column) never is", () => {
    const s = healthy();
    s.odoo!.crons!.failing = [{ name: "Mail: Fetchmail Service", failures: 4, firstFailure: "2026-11-20T10:00:00Z" }];
    expect(run(s).find((f) => f.id === "cron-failing")).toMatchObject({ subject: "Mail: Fetchmail Service", evidence: { failures: 4 } });
    s.odoo!.crons!.failing = null;
    expect(idsOf(run(s))).not.toContain("cron-failing");
  });

  it("server settings: autovacuum and track_counts off are errors; 128MB shared_buffers is flagged only without --memory", () => {
    const s = healthy();
    s.settings.autovacuum = { ...s.settings.autovacuum!, display: "off" };
    s.settings.track_counts = { name: "track_counts", setting: "off", unit: null, display: "off", source: "configuration file", context: "superuser" };
    expect(run(s).filter((f) => f.severity === "error").map((f) => f.id)).toEqual(["autovacuum-off", "track-counts-off"]);
    const d = healthy();
    d.settings.shared_buffers = { ...d.settings.shared_buffers!, display: "128MB" };
    expect(idsOf(run(d))).toEqual(["shared-buffers-default"]);
    const withMemory = buildReport(d, { memoryBytes: 8 * 1024 ** 3 }).findings;
    expect(idsOf(withMemory)).not.toContain("shared-buffers-default");
    expect(withMemory.find((f) => f.subject === "shared_buffers")).toMatchObject({ id: "setting-differs", severity: "warning" });
  });

  it("a non-Odoo database gets no Odoo finding", () => {
    const s = healthy();
    s.odoo = null;
    expect(run(s)).toEqual([]);
  });

  it("thresholds are documented defaults that callers may lower", () => {
    expect(DEFAULT_THRESHOLDS.idleInTransactionSeconds).toBe(60);
    const s = healthy();
    expect(analyzeFindings({ snapshot: s, settings: [], thresholds: { ...DEFAULT_THRESHOLDS, mailMessageMinRows: 5 } }).map((f) => f.id)).toEqual(["mail-message-large"]);
  });

  it("durations read naturally", () => {
    expect([fmtDuration(59), fmtDuration(600), fmtDuration(3600), fmtDuration(86400), fmtDuration(5400), fmtDuration(3 * 86400 + 3600)]).toEqual(["59 s", "10 min", "60 min", "1 d", "90 min", "3 d"]);
  });
});
