/**
 * PostgreSQL probe decisions on recorded rows, for what the real Odoo 17 database of the
 * integration test cannot show: Odoo 18's ir_cron.failure_count, translated (JSON) cron names,
 * a cron runner that stopped, connection pressure, a non-Odoo database. The client is a TEST
 * DOUBLE of PgClient that answers each statement of the probe with fixed rows.
 */
import { describe, expect, it } from "vitest";
import { probePostgres } from "../../../src/doctor/probes/postgres.js";
import type { PgClient, PgRow } from "../../../src/platform/pg.js";

interface Db {
  maxConnections?: number;
  sessions?: PgRow[];
  hasCron?: boolean;
  cronColumns?: string[];
  crons?: PgRow[];
}

/** TEST DOUBLE: answers the probe's statements from `db`, records the SQL it was asked. */
function fakeClient(db: Db): PgClient & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async query(sql: string) {
      asked.push(sql);
      if (sql.includes("current_setting('server_version')")) return [{ version: "16.4", max_connections: db.maxConnections ?? 100, reserved: 3, db: "prod", usr: "odoo", superuser: false, standby: false }];
      if (sql.includes("FROM pg_stat_activity")) return db.sessions ?? [];
      if (sql.includes("FROM pg_database")) return [{ datname: "prod", bytes: 5 * 1024 ** 3 }, { datname: "other", bytes: null }];
      if (sql.includes("to_regclass('public.ir_cron')")) return [{ has: db.hasCron ?? true }];
      if (sql.includes("information_schema.columns")) return (db.cronColumns ?? []).map((c) => ({ column_name: c }));
      if (sql.includes("FROM ir_cron")) return db.crons ?? [];
      throw new Error(`unexpected SQL: ${sql}`);
    },
    async close() {},
  };
}

const session = (pid: number, state: string, extra: Partial<Record<string, unknown>> = {}): PgRow =>
  ({ pid, usename: "odoo", datname: "prod", application_name: "odoo-worker", client_addr: "172.18.0.3/32", state, query_seconds: 1, xact_seconds: 1, state_seconds: 1, wait_event_type: null, wait_event: null, query: "SELECT 1", blocked_by: [], ...extra }) as PgRow;

const cron = (id: number, name: string, overdue: number, extra: Partial<Record<string, unknown>> = {}): PgRow =>
  ({ id, name, interval_number: 1, interval_type: "hours", nextcall: "2026-11-25 01:00:00", lastcall: null, last_seconds: null, overdue_seconds: overdue, failure_count: null, first_failure_date: null, ...extra }) as PgRow;

describe("PostgreSQL probe decisions", () => {
  it("GIVEN 90 of 97 slots used THEN a warning with the breakdown; the Odoo budget above the server's limit is an error naming the unapplied setting", async () => {
    const sessions = Array.from({ length: 89 }, (_, i) => session(100 + i, i < 60 ? "idle" : "active"));
    const out = await probePostgres({ client: fakeClient({ sessions }), target: "t", budget: { total: 448, formula: "odoo: (1 gevent + 4 workers + 2 cron) × db_maxconn 64 = 448", composeMaxConnections: 500 } });
    const ids = out.findings.map((f) => [f.id, f.severity]);
    expect(ids).toContainEqual(["pg-connections-near-limit", "warning"]);
    expect(ids).toContainEqual(["pg-connection-budget-exceeded", "error"]);
    const near = out.findings.find((f) => f.id === "pg-connections-near-limit");
    expect(near?.title).toBe("PostgreSQL is at 93% of its connection slots (90/97)");
    expect(near?.evidence[1]).toBe("by database/user/state: prod/odoo/idle: 60, prod/odoo/active: 29");
    const budget = out.findings.find((f) => f.id === "pg-connection-budget-exceeded");
    expect(budget?.evidence).toContain("the compose file sets max_connections 500, the running server has 100: the setting is not applied");
  });

  it("GIVEN a query running for 20 minutes THEN an error with the query text, passwords in SQL hidden", async () => {
    const out = await probePostgres({ client: fakeClient({ sessions: [session(7, "active", { query_seconds: 1200, query: "ALTER ROLE x PASSWORD 'hunter2'; SELECT * FROM account_move_line" })] }), target: "t" });
    const f = out.findings.find((x) => x.id === "pg-long-running-query");
    expect(f?.severity).toBe("error");
    expect(f?.evidence[0]).toBe("pid 7 (odoo@prod, odoo-worker, from 172.18.0.3/32) active for 20 min: ALTER ROLE x PASSWORD '***'; SELECT * FROM account_move_line");
  });

  it("GIVEN Odoo 18 columns THEN failing jobs are reported with their failure count; JSON names are read in English", async () => {
    const out = await probePostgres({
      client: fakeClient({
        cronColumns: ["id", "cron_name", "interval_number", "interval_type", "nextcall", "lastcall", "failure_count", "first_failure_date", "active"],
        crons: [cron(1, '{"en_US": "Mail: Email Queue Manager", "fr_FR": "Mail: file"}', -60, { failure_count: 4, first_failure_date: "2026-11-26 08:00:00", lastcall: "2026-11-27 02:50:00", last_seconds: 600 }), cron(2, "Base: Auto-vacuum", -300, { last_seconds: 100 })],
      }),
      target: "t",
    });
    const failing = out.findings.find((f) => f.id === "cron-failing");
    expect(failing?.evidence).toEqual(["#1 Mail: Email Queue Manager: 4 consecutive failure(s) since 2026-11-26 08:00:00"]);
    expect(out.findings.some((f) => f.id === "cron-overdue")).toBe(false);
  });

  it("GIVEN most jobs late and none run lately THEN the runner is named, with max_cron_threads = 0 as the cause when the project says so", async () => {
    const crons = [cron(1, "A", 7200), cron(2, "B", 7200), cron(3, "C (weekly)", -86400)];
    const out = await probePostgres({ client: fakeClient({ cronColumns: ["cron_name", "lastcall"], crons }), target: "t", cronThreads: [0, 0] });
    const f = out.findings.find((x) => x.id === "cron-overdue");
    expect(f?.severity).toBe("error");
    expect(f?.title).toBe("No scheduled action runs in database prod: 2 of 3 active jobs are overdue and none ran in the last 1 h");
    expect(f?.cause).toMatch(/max_cron_threads = 0/);
    // a job late while others run: that job fails or starves
    const one = await probePostgres({ client: fakeClient({ cronColumns: ["cron_name", "lastcall"], crons: [cron(1, "A", 7200), cron(2, "B", -60, { last_seconds: 30 })] }), target: "t" });
    expect(one.findings.find((x) => x.id === "cron-overdue")).toMatchObject({ severity: "warning", title: "1 scheduled action is overdue in database prod" });
  });

  it("GIVEN a database without ir_cron THEN the cron probe is skipped with the reason, never ok", async () => {
    const out = await probePostgres({ client: fakeClient({ hasCron: false }), target: "t" });
    expect(out.probes.find((p) => p.id === "pg-cron")).toMatchObject({ status: "skipped", detail: expect.stringMatching(/has no ir_cron table/) });
    expect(out.probes.find((p) => p.id === "pg-size")?.detail).toBe("prod (probed): 5.0 GiB, other: no access");
  });
});
