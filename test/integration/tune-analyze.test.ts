/**
 * `tune analyze` against a REAL PostgreSQL (test/harness/postgres.ts: initdb + pg_ctl on a free
 * 127.0.0.1 port) loaded with the REAL Odoo 17 database (dump.sql of
 * ../shared/fixtures/odoo17/backup-mail.zip, created the way Odoo restores it), plus generated
 * load (test/fixtures/tune/odoo17-load.sql and the workloads below) so that the findings fire:
 *
 * - cluster A, pg_stat_statements preloaded, max_connections 30:
 *     acme_clean  the Odoo database as restored, with its crons scheduled (a healthy Odoo)
 *     acme_load   the same plus the generated load, reports that scan, held sessions
 * - cluster B, no preload, shared_buffers 16MB, autovacuum off:
 *     acme        the Odoo database, statistics reset, then scans bigger than the cache
 *
 * Nothing here is a test double: the sessions are real connections, the load real SQL.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionError, tuneAnalyzeCommand, type TuneAnalyzeOptions } from "../../src/cli/commands/tune-analyze.js";
import { isUserError, UserError } from "../../src/errors.js";
import { nodePlatform, type Platform } from "../../src/platform/index.js";
import { nodePgConnect, type PgClient } from "../../src/platform/pg.js";
import { redactor } from "../../src/tune/analyze/connection.js";
import { analyzeDatabase, type AnalyzeFinding, type AnalyzeReport } from "../../src/tune/analyze/index.js";
import { havePostgres, startPostgres, type PgCluster } from "../harness/postgres.js";
import { ODOO17, REPO_ROOT, cleanupProjects, writeProject } from "../helpers/project.js";

const ZIP = join(ODOO17, "backup-mail.zip");
const LOAD_SQL = join(REPO_ROOT, "test", "fixtures", "tune", "odoo17-load.sql");
/** Snapshot of the loaded database, recorded for the unit tests (refresh: UPDATE_GOLDEN=1). */
const SNAPSHOT = join(REPO_ROOT, "test", "fixtures", "tune", "snapshot-odoo17-loaded.json");
const HAVE_PG = havePostgres();
const HAVE_UNZIP = spawnSync("unzip", ["-v"]).status === 0;
const skipNote = !HAVE_PG ? " (SKIPPED: PostgreSQL server binaries not installed; apt-get install -y postgresql-15)" : !HAVE_UNZIP ? " (SKIPPED: apt-get install -y unzip)" : "";

/** A password that must never be printed. */
const SECRET = "Sup3r-s3cret!pw";
// The pause makes the report slow on any machine (>= 150 ms per call, above the hotspot's
// 100 ms mean): without it, an idle fast machine runs it below the threshold.
const REPORT_QUERY =
  "WITH pause AS MATERIALIZED (SELECT pg_sleep(0.15)) SELECT product_id, sum(quantity), count(DISTINCT reference || note) FROM x_stock_move_history, pause GROUP BY product_id ORDER BY 2 DESC LIMIT 20";

let work: string;
let dumpSql: string;
let A: PgCluster;
let B: PgCluster;

function createOdooDb(pg: PgCluster, name: string): void {
  // as odoo/service/db.py restore_db does
  pg.psql("postgres", `CREATE DATABASE ${name} ENCODING 'unicode' TEMPLATE template0 LC_COLLATE 'C';`);
  const r = spawnSync(pg.bin("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", name, "-f", dumpSql], { env: pg.env(name), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`loading dump.sql failed: ${r.stderr}`);
}

function psqlFile(pg: PgCluster, db: string, file: string): void {
  const r = spawnSync(pg.bin("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-f", file], { env: pg.env(db), encoding: "utf8" });
  if (r.status !== 0) throw new Error(`psql -f ${file} failed: ${r.stderr}`);
}

/** Captures stdout/stderr of a command run in this process. */
function capture(environ: Record<string, string | undefined> = {}): { platform: Platform; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const platform: Platform = { ...nodePlatform(), environ, isTTY: false, stdout: (s) => (out += s), stderr: (s) => (err += s) };
  return { platform, out: () => out, err: () => err };
}

/**
 * Runs the command like the CLI does: a UserError is printed the way src/cli/main.ts's error
 * boundary prints it (message, hint, next; exit 2).
 */
async function runCommand(opts: TuneAnalyzeOptions, environ: Record<string, string | undefined> = {}, thresholds = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const c = capture(environ);
  let code: number;
  try {
    code = await tuneAnalyzeCommand(c.platform, opts, { thresholds });
  } catch (e) {
    if (!isUserError(e)) throw e;
    let msg = `doodba-ops: error: ${e.message}\n`;
    if (e.hint) msg += `  hint: ${e.hint}\n`;
    if (e.next) msg += `  try:  ${e.next}\n`;
    c.platform.stderr(msg);
    code = e.exitCode;
  }
  return { code, stdout: c.out(), stderr: c.err() };
}

async function analyze(pg: PgCluster, db: string, opts: Parameters<typeof analyzeDatabase>[1] = {}): Promise<AnalyzeReport> {
  const client = await nodePgConnect({ host: pg.host, port: pg.port, user: pg.user, database: db });
  try {
    return await analyzeDatabase(client, opts);
  } finally {
    await client.close();
  }
}

const ids = (r: AnalyzeReport): string[] => [...new Set(r.findings.map((f) => f.id))].sort();
function one(r: AnalyzeReport, id: string, subject?: string): AnalyzeFinding {
  const f = r.findings.filter((x) => x.id === id && (subject === undefined || x.subject === subject));
  expect(f, `${id}${subject ? ` ${subject}` : ""} in ${ids(r).join(", ")}`).toHaveLength(1);
  return f[0] as AnalyzeFinding;
}

describe.skipIf(!HAVE_PG || !HAVE_UNZIP)(`tune analyze on a real PostgreSQL with the real Odoo 17 database${skipNote}`, () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "doodba-ops-analyze-"));
    dumpSql = join(work, "dump.sql");
    execFileSync("sh", ["-c", 'unzip -p "$1" dump.sql > "$2"', "sh", ZIP, dumpSql]);
    // the dump is --no-owner: the only privilege statement is GRANT ... TO PUBLIC, no role needed
    expect(readFileSync(dumpSql, "utf8")).not.toMatch(/OWNER TO /);

    [A, B] = await Promise.all([
      startPostgres({ preload: ["pg_stat_statements"], settings: { max_connections: "30" } }),
      startPostgres({ settings: { shared_buffers: "'16MB'", autovacuum: "off" } }),
    ]);

    // A: a monitoring role with a password (checked by scram; the harness trusts everyone else),
    // allowed to read statistics and, in the databases below, the tables
    A.psql("postgres", `CREATE ROLE analyst LOGIN PASSWORD '${SECRET}' IN ROLE pg_read_all_stats;`);
    const hba = join(A.dataDir, "pg_hba.conf");
    const current = readFileSync(hba, "utf8");
    execFileSync("sh", ["-c", 'cat > "$1"', "sh", hba], { input: `host all analyst 127.0.0.1/32 scram-sha-256\n${current}` });
    A.psql("postgres", "SELECT pg_reload_conf();");

    // A: the clean database, as a running Odoo keeps it (its crons scheduled ahead)
    createOdooDb(A, "acme_clean");
    A.psql(
      "acme_clean",
      "CREATE EXTENSION pg_stat_statements; UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') + interval '1 hour' WHERE active; VACUUM ANALYZE;" +
        "GRANT SELECT ON ALL TABLES IN SCHEMA public TO analyst;",
    );
    // A: copies of it: one to load, one where the monitoring role may not read Odoo's tables
    A.psql("postgres", "CREATE DATABASE acme_load TEMPLATE acme_clean; CREATE DATABASE acme_private TEMPLATE acme_clean;");
    A.psql("acme_private", "REVOKE SELECT ON ALL TABLES IN SCHEMA public FROM analyst;");
    psqlFile(A, "acme_load", LOAD_SQL);
    A.psql("acme_load", "GRANT SELECT ON ALL TABLES IN SCHEMA public TO analyst; ANALYZE;");
    // reports over the big custom table: 60 sequential scans (no index on quantity; counted in
    // pg_stat_user_tables), then statement statistics reset so that the heavy report's share of
    // the statement time does not depend on how fast this machine ran the scans
    A.psql("acme_load", "SELECT count(*) FROM x_stock_move_history WHERE quantity > 50;\n".repeat(60) + "SELECT pg_stat_statements_reset();\n" + `${REPORT_QUERY};\n`.repeat(5));

    // B: the Odoo database, statistics reset after the restore, then scans bigger than shared_buffers/4 (ring buffer: every block read)
    createOdooDb(B, "acme");
    B.psql(
      "acme",
      "CREATE TABLE x_report_cache AS SELECT g AS id, repeat(md5(g::text), 4) AS payload FROM generate_series(1, 150000) g; SELECT pg_stat_reset();\n" +
        "SELECT count(*) FROM x_report_cache WHERE payload LIKE '%zz%';\n".repeat(4),
    );
  }, 180_000);

  afterAll(async () => {
    await Promise.all([A?.stop(), B?.stop()]);
    if (work) rmSync(work, { recursive: true, force: true });
    cleanupProjects();
  }, 60_000);

  describe("the loaded database", () => {
    let report: AnalyzeReport;
    let idlePid: number;
    let longPid: number;
    const held: PgClient[] = [];

    beforeAll(async () => {
      // an idle-in-transaction session and a long query, held by the test
      const idle = await nodePgConnect({ host: A.host, port: A.port, user: A.user, database: "acme_load", applicationName: "report-script" });
      held.push(idle);
      idlePid = Number((await idle.query("SELECT pg_backend_pid() AS pid"))[0]?.pid);
      await idle.query("BEGIN");
      await idle.query("SELECT count(*) FROM res_partner");
      const long = await nodePgConnect({ host: A.host, port: A.port, user: A.user, database: "acme_load", applicationName: "odoo-cron", statementTimeoutMs: 120_000 });
      held.push(long);
      longPid = Number((await long.query("SELECT pg_backend_pid() AS pid"))[0]?.pid);
      void long.query("SELECT pg_sleep(60)").catch(() => undefined);
      // 20 more idle connections: 24 of 27 usable with the analysis
      for (let i = 0; i < 20; i++) held.push(await nodePgConnect({ host: A.host, port: A.port, user: A.user, database: "acme_clean", applicationName: "odoo-worker" }));
      await new Promise((r) => setTimeout(r, 1500));
      report = await analyze(A, "acme_load", { memoryBytes: 8 * 1024 ** 3, cpus: 4, storage: "ssd", thresholds: { idleInTransactionSeconds: 1, longQuerySeconds: 1 } });
      // the unit tests of the findings and renderers replay this real snapshot
      if (process.env.UPDATE_GOLDEN) writeFileSync(SNAPSHOT, `${JSON.stringify(report.snapshot, null, 2)}\n`);
    }, 60_000);

    afterAll(async () => {
      A.psql("postgres", `SELECT pg_cancel_backend(${longPid});`);
      await Promise.all(held.map((c) => c.close()));
    }, 30_000);

    it("GIVEN 200,000 bus_bus rows from three days ago and Odoo's autovacuum job off THEN bus-old-messages and autovacuum-cron-inactive fire with the counts", () => {
      const f = one(report, "bus-old-messages");
      expect(f.evidence).toMatchObject({ old_rows: 200000, total_rows: 200001, autovacuum_job_active: false });
      expect(f.remedy).toContain("DELETE FROM bus_bus WHERE create_date <");
      expect(one(report, "autovacuum-cron-inactive").remedy).toContain("autovacuum_job");
    });

    it("GIVEN 40 attachments of 64 KiB in db_datas and ir_attachment.location = db THEN attachments-in-database gives count, stored size and the force_storage action", () => {
      const f = one(report, "attachments-in-database");
      expect(f.evidence.db_count).toBe(40);
      expect(f.evidence.db_bytes as number).toBeGreaterThanOrEqual(40 * 65536);
      expect(f.evidence.filestore_count).toBe(20); // the fixture's real filestore attachments
      expect(f.evidence.location).toBe("db");
      expect(f.remedy).toContain("UPDATE ir_config_parameter SET value = 'file' WHERE key = 'ir_attachment.location'");
      expect(f.remedy).toContain("force_storage()");
    });

    it("GIVEN 120,000 ir_logging rows THEN ir-logging-large counts them exactly", () => {
      expect(one(report, "ir-logging-large").evidence).toMatchObject({ rows: 120000, rows_exact: true });
    });

    it("GIVEN 3 failed and 2 day-old outgoing mails THEN mail-queue-failed names the reason and mail-queue-stuck the stale ones", () => {
      const failed = one(report, "mail-queue-failed");
      expect(failed.evidence).toMatchObject({ exception: 3, top_reason: "Connection refused by smtp.acme.example:587" });
      expect(one(report, "mail-queue-stuck").evidence).toMatchObject({ outgoing_stale: 2, outgoing: 2 });
    });

    it("GIVEN every active scheduled action two days late THEN cron-overdue reports them all", () => {
      const f = one(report, "cron-overdue");
      expect(f.evidence.overdue).toBe(f.evidence.active);
      expect(f.evidence.oldest_overdue_seconds as number).toBeGreaterThanOrEqual(2 * 86400 - 5);
      // Odoo 17's ir_cron has no failure_count column: cron-failing is not guessed
      expect(report.snapshot.odoo?.crons?.failing).toBeNull();
    });

    it("GIVEN 60 full scans of a 200,000-row table THEN seq-scan-heavy fires on it and nowhere else", () => {
      const f = one(report, "seq-scan-heavy");
      expect(f.subject).toBe("x_stock_move_history");
      expect(f.evidence.seq_tup_read as number).toBeGreaterThanOrEqual(60 * 200000);
      expect(f.evidence.idx_scan).toBe(0);
      expect(f.remedy).toContain("pg_stat_statements WHERE query ILIKE '%x_stock_move_history%'");
    });

    it("GIVEN an index nobody reads THEN unused-index gives its size and the DROP INDEX CONCURRENTLY", () => {
      const f = one(report, "unused-index", "x_stock_move_history_reference_idx");
      expect(f.evidence.index_bytes as number).toBeGreaterThan(1024 * 1024);
      expect(f.remedy).toContain("DROP INDEX CONCURRENTLY x_stock_move_history_reference_idx;");
      // Odoo's own index=True indexes on ir_logging (now >1 MiB, never used) get the Odoo-specific advice
      const odooIdx = report.findings.filter((x) => x.id === "unused-index" && x.subject?.startsWith("ir_logging__"));
      for (const x of odooIdx) expect(x.remedy).toContain("index=False");
      // primary keys and unique indexes are never reported
      expect(report.findings.some((x) => x.id === "unused-index" && /_pkey$/.test(x.subject ?? ""))).toBe(false);
    });

    it("GIVEN 60,000 dead tuples in a table with autovacuum disabled THEN dead-tuples-high (n_dead_tup method) and table-autovacuum-disabled fire", () => {
      const f = one(report, "dead-tuples-high", "x_sequence_counter");
      expect(f.evidence).toMatchObject({ dead_tuples: 60000, live_tuples: 30000, autovacuum_disabled: true, method: "n_dead_tup ratio" });
      expect(f.remedy).toContain("VACUUM (ANALYZE, VERBOSE) x_sequence_counter;");
      expect(one(report, "table-autovacuum-disabled", "x_sequence_counter").remedy).toBe("ALTER TABLE x_sequence_counter RESET (autovacuum_enabled);");
    });

    it("GIVEN a heavy report run 5 times THEN pg_stat_statements lists it and query-hotspot fires on it, without the analysis' own queries", () => {
      const top = report.snapshot.statements.top ?? [];
      expect(report.snapshot.statements).toMatchObject({ preloaded: true, installed: true });
      expect(top.some((q) => q.query.includes("count(DISTINCT reference || note)") && q.calls === 5)).toBe(true);
      expect(top.some((q) => q.query.includes("doodba-ops:analyze"))).toBe(false);
      const hot = report.findings.filter((x) => x.id === "query-hotspot");
      expect(hot.some((x) => x.message.includes("count(DISTINCT reference || note)") && x.evidence.calls === 5)).toBe(true);
      expect(ids(report)).not.toContain("pg-stat-statements-missing");
    });

    it("GIVEN a session idle in a transaction and a query sleeping THEN idle-in-transaction and long-running-query name their pids", () => {
      const idle = one(report, "idle-in-transaction", `pid ${idlePid}`);
      expect(idle.evidence).toMatchObject({ pid: idlePid, state: "idle in transaction", application: "report-script", database: "acme_load" });
      expect(idle.remedy).toContain(`pg_terminate_backend(${idlePid})`);
      const long = one(report, "long-running-query", `pid ${longPid}`);
      expect(long.evidence).toMatchObject({ pid: longPid, state: "active", application: "odoo-cron", query: "SELECT pg_sleep(60)" });
      expect(long.remedy).toContain(`pg_cancel_backend(${longPid})`);
    });

    it("GIVEN 23 client connections of 27 usable THEN connections-near-limit fires with the biggest groups", () => {
      const f = one(report, "connections-near-limit");
      expect(f.evidence).toMatchObject({ usable: 27, max_connections: 30, reserved: 3 });
      expect(f.evidence.used as number).toBeGreaterThanOrEqual(23);
      expect(f.message).toContain("postgres@acme_clean (odoo-worker)");
    });

    it("GIVEN --memory 8GiB --cpus 4 THEN settings are compared with pgtune's numbers for that server", () => {
      const sb = one(report, "setting-differs", "shared_buffers");
      expect(sb.evidence).toMatchObject({ current: "128MB", recommended: "2GB", status: "low", restart_needed: true });
      expect(sb.remedy).toContain("shared_buffers = 2GB");
      expect(sb.remedy).toContain("CONF_EXTRA");
      expect(one(report, "setting-differs", "random_page_cost").evidence).toMatchObject({ current: "4", recommended: "1.1" });
      const rows = Object.fromEntries(report.settings.map((s) => [s.name, s]));
      expect(rows.effective_cache_size).toMatchObject({ current: "4GB", recommended: "6GB", status: "ok" });
      expect(rows.max_connections).toMatchObject({ current: "30", status: "not-compared" });
      // the analysis' own statement_timeout is not what the server gives others
      expect(rows.statement_timeout?.current).toBe("0");
    });

    it("GIVEN lower thresholds THEN the fixture's real chatter tables fire mail-message-large with their exact counts", async () => {
      const r = await analyze(A, "acme_load", { thresholds: { mailMessageMinRows: 30, mailTrackingMinRows: 1 } });
      expect(one(r, "mail-message-large").evidence).toMatchObject({ rows: 37, rows_exact: true });
      expect(one(r, "mail-tracking-large").evidence).toMatchObject({ rows: 1 });
    });
  });

  describe("the clean database", () => {
    it("GIVEN the Odoo database as restored and scheduled THEN no database finding fires (only the server's untuned shared_buffers)", async () => {
      const r = await analyze(A, "acme_clean");
      expect(ids(r)).toEqual(["shared-buffers-default"]);
      expect(r.snapshot.odoo?.attachments).toMatchObject({ dbCount: 0, fileCount: 20, location: null });
      expect(r.snapshot.odoo?.bus).toMatchObject({ old: 0 });
      expect(r.snapshot.odoo?.crons?.autovacuum?.active).toBe(true);
      expect(r.snapshot.statements.top).not.toBeNull();
      expect(r.snapshot.odoo?.sessionTables).toEqual([]);
    });
  });

  describe("a server without pg_stat_statements, with a cold cache and autovacuum off", () => {
    let report: AnalyzeReport;
    beforeAll(async () => {
      report = await analyze(B, "acme");
    }, 30_000);

    it("THEN pg-stat-statements-missing explains shared_preload_libraries, CREATE EXTENSION and the postgres-autoconf CONF_EXTRA line", () => {
      const f = one(report, "pg-stat-statements-missing");
      expect(f.evidence).toMatchObject({ preloaded: false, installed: false, available_on_server: true });
      expect(f.remedy).toContain("shared_preload_libraries = 'pg_stat_statements'");
      expect(f.remedy).toContain("CONF_EXTRA: |");
      expect(f.remedy).toContain("CREATE EXTENSION IF NOT EXISTS pg_stat_statements;");
      expect(report.snapshot.statements.top).toBeNull();
    });

    it("THEN the scans that miss shared_buffers give cache-hit-ratio-low with the block counts", () => {
      const f = one(report, "cache-hit-ratio-low");
      expect(f.evidence.blks_read as number).toBeGreaterThan(10000);
      expect(f.evidence.ratio as number).toBeLessThan(0.9);
      expect(f.severity).toBe("error");
      expect(f.evidence.shared_buffers).toBe("16MB");
    });

    it("THEN autovacuum-off is an error", () => {
      expect(one(report, "autovacuum-off").severity).toBe("error");
    });
  });

  describe("the command", () => {
    it("GIVEN --db with a password THEN the human report has the findings first, the sections after, and the password nowhere", async () => {
      const r = await runCommand({ db: `postgres://analyst:${encodeURIComponent(SECRET)}@127.0.0.1:${A.port}/acme_load`, format: "human", memory: "8GiB", cpus: "4" });
      expect(r.code).toBe(0);
      expect(r.stdout.split("\n")[0]).toBe(`tune analyze: postgres://analyst:***@127.0.0.1:${A.port}/acme_load`);
      const order = ["Findings (", "Settings (", "Cache and activity", "Top queries", "Largest tables", "Connections and sessions", "Odoo (base 17.0."].map((h) => r.stdout.indexOf(h));
      expect(order.every((i) => i > 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      expect(r.stdout).toContain("role analyst (pg_read_all_stats)");
      expect(r.stdout).toContain("sessions: Odoo keeps HTTP sessions in files under data_dir/sessions");
      expect(r.stderr).toContain(`connecting to postgres://analyst:***@127.0.0.1:${A.port}/acme_load`);
      for (const text of [r.stdout, r.stderr]) {
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain(encodeURIComponent(SECRET));
      }
    });

    it("GIVEN --format json THEN a stable document: schema, target, summary, findings with evidence and remedy", async () => {
      const r = await runCommand({ db: `postgres://analyst:${encodeURIComponent(SECRET)}@127.0.0.1:${A.port}/acme_load`, format: "json" });
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as Record<string, unknown> & { findings: AnalyzeFinding[]; summary: { error: number; warning: number; info: number } };
      expect(Object.keys(doc)).toEqual([
        "schema", "target", "server", "summary", "findings", "settings", "cache", "statements", "largestTables", "tables", "unusedIndexes", "connections", "sessions", "odoo", "skipped", "thresholds",
      ]);
      expect(doc.schema).toBe("doodba-ops/tune-analyze@1");
      expect(doc.target).toEqual({ url: `postgres://analyst:***@127.0.0.1:${A.port}/acme_load`, source: "url" });
      expect(doc.findings.length).toBe(doc.summary.error + doc.summary.warning + doc.summary.info);
      for (const f of doc.findings) expect(Object.keys(f)).toEqual(["id", "severity", "category", "subject", "message", "evidence", "remedy"]);
      expect(r.stdout + r.stderr).not.toContain(SECRET);
    });

    it("GIVEN --env prod of a Doodba project whose db publishes 127.0.0.1:<port> THEN database, role and password come from the project, masked", async () => {
      const dir = writeProject({
        "prod.yaml": [
          "services:",
          "  odoo:",
          "    image: ghcr.io/tecnativa/doodba:17.0",
          "    env_file: [.docker/odoo.env, .docker/db-access.env]",
          "    environment:",
          "      PGDATABASE: acme_clean",
          "  db:",
          "    image: ghcr.io/tecnativa/postgres-autoconf:15-alpine",
          "    ports:",
          `      - "127.0.0.1:${A.port}:5432"`,
          "",
        ].join("\n"),
        ".docker/odoo.env": "ADMIN_PASSWORD=not-this-one\n",
        ".docker/db-access.env": `PGUSER=analyst\nPGPASSWORD=${SECRET}\n`,
      });
      const r = await runCommand({ dir, env: "prod", format: "human" });
      expect(r.stderr).not.toContain("error");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`postgres://analyst:***@127.0.0.1:${A.port}/acme_clean`);
      expect(r.stdout).toContain("db service db published on 127.0.0.1");
      expect(r.stdout + r.stderr).not.toContain(SECRET);
    });

    it("GIVEN --env prod whose db publishes no port THEN exit 2 with the loopback publishing hint", async () => {
      const dir = writeProject({
        "prod.yaml": "services:\n  odoo:\n    image: ghcr.io/tecnativa/doodba:17.0\n    environment:\n      PGPASSWORD: " + SECRET + "\n  db:\n    image: postgres:15\n",
      });
      const r = await runCommand({ dir, env: "prod", format: "human" });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('publishes no port');
      expect(r.stderr).toContain('"127.0.0.1:5432:5432"');
      expect(r.stdout).toBe("");
      expect(r.stderr).not.toContain(SECRET);
    });

    it("GIVEN connection errors (wrong password, no such database, nothing listening, a malformed URL) THEN exit 2 with a hint and the password in no output", async () => {
      const wrong = await runCommand({ db: `postgres://analyst:${encodeURIComponent(`${SECRET}x`)}@127.0.0.1:${A.port}/acme_load`, format: "human" });
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toContain('password authentication failed for user "analyst"');
      expect(wrong.stderr).toContain(`postgres://analyst:***@127.0.0.1:${A.port}/acme_load`);

      const nodb = await runCommand({ db: `postgres://analyst:${encodeURIComponent(SECRET)}@127.0.0.1:${A.port}/nosuchdb`, format: "json" });
      expect(nodb.code).toBe(2);
      expect(nodb.stderr).toContain('database "nosuchdb" does not exist');

      // a port that was just free: nothing listens there
      const closed = await closedPort();
      const refused = await runCommand({ db: `postgres://analyst:${encodeURIComponent(SECRET)}@127.0.0.1:${closed}/acme`, format: "human" });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("connection refused");
      expect(refused.stderr).toContain("127.0.0.1:5432:5432");

      const bad = await runCommand({ db: `postgres://analyst:${SECRET}@127.0.0.1:notaport/acme`, format: "human" });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("not a valid connection URL");

      const viaEnv = await runCommand({ db: "nosuchdb", format: "human" }, { PGHOST: "127.0.0.1", PGPORT: String(A.port), PGUSER: "analyst", PGPASSWORD: SECRET });
      expect(viaEnv.code).toBe(2);
      expect(viaEnv.stderr).toContain(`postgres://analyst:***@127.0.0.1:${A.port}/nosuchdb`);

      for (const r of [wrong, nodb, refused, bad, viaEnv]) {
        for (const text of [r.stdout, r.stderr]) {
          expect(text).not.toContain(SECRET);
          expect(text).not.toContain(encodeURIComponent(SECRET));
        }
      }
    });

    it("GIVEN a role that may not read Odoo's tables THEN the analysis still runs and lists what it skipped", async () => {
      const r = await runCommand({ db: `postgres://analyst:${encodeURIComponent(SECRET)}@127.0.0.1:${A.port}/acme_private`, format: "human" });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Skipped\n(.*permission denied for table \w+\n)+/);
      expect(r.stdout).toContain("Cache and activity");
    });

    it("GIVEN the PG* variables only, or a URL without password and PGPASSWORD THEN it connects with them", async () => {
      const r = await runCommand({ format: "json" }, { PGHOST: "127.0.0.1", PGPORT: String(A.port), PGUSER: "analyst", PGPASSWORD: SECRET, PGDATABASE: "acme_clean" });
      expect(r.code).toBe(0);
      expect((JSON.parse(r.stdout) as { target: { url: string; source: string } }).target).toEqual({ url: `postgres://analyst:***@127.0.0.1:${A.port}/acme_clean`, source: "environment" });
      // a URL without its password takes PGPASSWORD (scram checks it: a wrong one would fail)
      const u = await runCommand({ db: `postgres://analyst@127.0.0.1:${A.port}/acme_clean?sslmode=disable`, format: "json" }, { PGPASSWORD: SECRET });
      expect(u.code).toBe(0);
      expect(u.stdout + u.stderr).not.toContain(SECRET);
    });

    it("GIVEN the analysis session THEN it cannot write (read-only by default)", async () => {
      const c = await nodePgConnect({ host: A.host, port: A.port, user: A.user, database: "acme_clean" });
      try {
        await expect(c.query("CREATE TABLE x_should_not_exist (id int)")).rejects.toThrow(/read-only transaction/);
      } finally {
        await c.close();
      }
    });

    it("GIVEN the real CLI (bin/doodba-ops.js, a child process) THEN exit 0 with a report, exit 2 through the error boundary on a wrong password, the password in no output", () => {
      if (!existsSync(join(REPO_ROOT, "dist", "cli", "commands", "tune-analyze.js"))) execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "ignore" });
      const cli = (args: string[]) => {
        const r = spawnSync(process.execPath, [join(REPO_ROOT, "bin", "doodba-ops.js"), ...args], { encoding: "utf8", timeout: 60_000, env: { ...process.env, NO_COLOR: "1", PGPASSWORD: "" } });
        return { code: r.status, stdout: r.stdout, stderr: r.stderr };
      };
      const ok = cli(["tune", "analyze", "--db", `postgres://analyst:${encodeURIComponent(SECRET)}@127.0.0.1:${A.port}/acme_load`, "--memory", "8GiB", "--cpus", "4", "--format", "json"]);
      expect(ok.stderr).not.toContain("error");
      expect(ok.code).toBe(0);
      const doc = JSON.parse(ok.stdout) as { target: { url: string }; findings: { id: string }[]; settings: { basis: { memoryBytes: number } } };
      expect(doc.target.url).toBe(`postgres://analyst:***@127.0.0.1:${A.port}/acme_load`);
      expect(doc.settings.basis.memoryBytes).toBe(8 * 1024 ** 3);
      expect(doc.findings.map((f) => f.id)).toContain("bus-old-messages");
      const bad = cli(["tune", "analyze", "--db", `postgres://analyst:${encodeURIComponent(`${SECRET}x`)}@127.0.0.1:${A.port}/acme_load`]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^doodba-ops: error: cannot connect to postgres:\/\/analyst:\*\*\*@127\.0\.0\.1:\d+\/acme_load: password authentication failed/m);
      expect(bad.stderr).toContain("  hint: ");
      for (const r of [ok, bad]) {
        for (const text of [r.stdout, r.stderr]) {
          expect(text).not.toContain(SECRET);
          expect(text).not.toContain(encodeURIComponent(SECRET));
        }
      }
    });

    it("connectionError never repeats the secret, whatever the driver says", () => {
      const target = { connect: { host: "db", port: 5432, user: "odoo", password: SECRET }, display: "postgres://odoo:***@db:5432/prod", source: "url" as const, secrets: [SECRET] };
      const e = connectionError(Object.assign(new Error(`getaddrinfo ENOTFOUND db (postgres://odoo:${SECRET}@db:5432/prod)`), { code: "ENOTFOUND" }), target, redactor([SECRET]));
      expect(e).toBeInstanceOf(UserError);
      expect(`${e.message} ${e.hint}`).not.toContain(SECRET);
      expect(e.hint).toContain("compose network");
    });
  });
});

/** A loopback port with nothing listening (bound then released). */
async function closedPort(): Promise<number> {
  const { createServer } = await import("node:net");
  return await new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 1;
      s.close(() => resolve(port));
    });
  });
}
