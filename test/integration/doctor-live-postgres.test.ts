/**
 * `doodba-ops doctor` live mode against a REAL PostgreSQL (test/harness/postgres.ts: initdb +
 * pg_ctl on a free 127.0.0.1 port) loaded with the REAL Odoo 17 database (dump.sql of
 * ../shared/fixtures/odoo17/backup-mail.zip, created as Odoo restores it), where the test makes
 * trouble with real sessions: a transaction left idle holding a row lock, a second session
 * blocked behind it, and an overdue active cron job.
 *
 * The HTTP endpoints are TEST DOUBLES of Odoo's (small Node servers on 127.0.0.1 answering like
 * the captures in ../shared/fixtures/odoo17); the Docker engine is pointed at a socket that does
 * not exist, so its probes must come out "skipped" with the reason.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDoctorLive } from "../../src/doctor/live.js";
import { probePostgres } from "../../src/doctor/probes/postgres.js";
import { renderDoctorReport } from "../../src/doctor/report/index.js";
import type { DoctorReport } from "../../src/doctor/types.js";
import { nodePlatform, type Platform } from "../../src/platform/index.js";
import { nodePgConnect, type PgClient } from "../../src/platform/pg.js";
import { havePostgres, startPostgres, type PgCluster } from "../harness/postgres.js";
import { ODOO17, cleanupProjects, writeProject } from "../helpers/project.js";

const HAVE_PG = havePostgres();
const HAVE_UNZIP = spawnSync("unzip", ["-v"]).status === 0;
const skipNote = !HAVE_PG ? " (SKIPPED: PostgreSQL server binaries not installed; apt-get install -y postgresql-15)" : !HAVE_UNZIP ? " (SKIPPED: apt-get install -y unzip)" : "";
const SECRET = "s3cr3t-Pa55w0rd";
const NO_ENGINE = "unix:///nonexistent/doodba-ops-test/docker.sock";

let cluster: PgCluster;
let work: string;
const servers: Server[] = [];
const sockets = new Set<Duplex>();

async function listen(server: Server): Promise<number> {
  server.on("connection", (s: Duplex) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return (server.address() as AddressInfo).port;
}

const HEALTH = readFileSync(join(ODOO17, "web-health.json"), "utf8").trim();

/** TEST DOUBLE of Odoo 17's HTTP worker: /web/health as captured; a WebSocket handshake gets 500. */
function odooWorkerDouble(): Server {
  const s = createServer((req, res) => {
    res.writeHead(req.url?.startsWith("/web/health") || req.url?.startsWith("/websocket/health") ? 200 : 404, { "Content-Type": "application/json", "Cache-Control": "no-store" });
    res.end(HEALTH);
  });
  s.on("upgrade", (_req, socket: Duplex) => socket.end("HTTP/1.1 500 INTERNAL SERVER ERROR\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
  return s;
}

/** TEST DOUBLE of Odoo's gevent process: /websocket/health and a 101 handshake. */
function odooGeventDouble(): Server {
  const s = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" });
    res.end(HEALTH);
  });
  s.on("upgrade", (req, socket: Duplex) => {
    const accept = createHash("sha1").update(`${String(req.headers["sec-websocket-key"])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.on("error", () => undefined);
  });
  return s;
}

function platformFor(): Platform {
  return { ...nodePlatform(), environ: { ...process.env, DOCKER_HOST: NO_ENGINE }, stdout: () => undefined, stderr: () => undefined };
}

/** Two real sessions: A updates a partner and stays idle in its transaction, B waits for A's row lock. */
async function makeLockChain(db: string): Promise<{ a: pg.Client; b: pg.Client; aPid: number; bPid: number; bDone: Promise<unknown>; release(): Promise<void> }> {
  const a = new pg.Client({ connectionString: cluster.url(db), application_name: "test-holder" });
  const b = new pg.Client({ connectionString: cluster.url(db), application_name: "test-waiter" });
  await a.connect();
  await b.connect();
  const aPid = Number((await a.query("SELECT pg_backend_pid() AS p")).rows[0].p);
  const bPid = Number((await b.query("SELECT pg_backend_pid() AS p")).rows[0].p);
  await a.query("BEGIN");
  await a.query("UPDATE res_partner SET name = name WHERE id = 1");
  const bDone = b.query("UPDATE res_partner SET comment = 'waiting' WHERE id = 1").catch((e: unknown) => e);
  // a third session watches until B is really queued behind A (A's last statement must stay the UPDATE)
  const watcher = new pg.Client({ connectionString: cluster.url(db) });
  await watcher.connect();
  for (let i = 0; i < 100; i++) {
    const r = await watcher.query("SELECT cardinality(pg_blocking_pids($1)) AS n", [bPid]);
    if (Number(r.rows[0]?.n) > 0) break;
    await new Promise((res) => setTimeout(res, 20));
  }
  await watcher.end();
  return {
    a,
    b,
    aPid,
    bPid,
    bDone,
    release: async () => {
      await a.query("ROLLBACK").catch(() => undefined);
      await bDone;
      await a.end();
      await b.end();
    },
  };
}

describe.skipIf(!HAVE_PG || !HAVE_UNZIP)(`doctor live probes on a real PostgreSQL with the real Odoo 17 database${skipNote}`, () => {
  beforeAll(async () => {
    cluster = await startPostgres();
    work = mkdtempSync(join(tmpdir(), "doodba-ops-doctor-"));
    spawnSync("unzip", ["-o", "-q", join(ODOO17, "backup-mail.zip"), "dump.sql", "-d", work]);
    // as odoo/service/db.py restore_db creates it
    cluster.psql("postgres", "CREATE DATABASE acme ENCODING 'unicode' TEMPLATE template0 LC_COLLATE 'C';");
    const r = spawnSync(cluster.bin("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "acme", "-f", join(work, "dump.sql")], { env: cluster.env("acme"), encoding: "utf8" });
    if (r.status !== 0) throw new Error(`loading dump.sql failed: ${r.stderr}`);
    // a running cron runner keeps nextcall in the future; one job is two days late
    cluster.psql("acme", "UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') + interval '1 hour'; UPDATE ir_cron SET nextcall = (now() AT TIME ZONE 'UTC') - interval '2 days' WHERE cron_name = 'Mail: Email Queue Manager';");
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    await cluster?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
    cleanupProjects();
  });

  it("GIVEN a transaction idle holding a row lock and a session waiting on it, and an overdue cron THEN lock chain, idle session and cron findings with the real pids and queries", async () => {
    const chain = await makeLockChain("acme");
    let client: PgClient | undefined;
    try {
      await new Promise((r) => setTimeout(r, 1200));
      client = await nodePgConnect({ connectionString: cluster.url("acme"), applicationName: "doodba-ops doctor" });
      const out = await probePostgres({ client, target: "postgres://postgres@127.0.0.1/acme", thresholds: { idleInTransactionSeconds: 1, lockWaitSeconds: 1 } });
      const status = Object.fromEntries(out.probes.map((p) => [p.id, p.status]));
      expect(status).toEqual({ postgres: "ok", "pg-connections": "ok", "pg-locks": "problem", "pg-sessions": "problem", "pg-size": "ok", "pg-cron": "problem" });
      expect(out.probes[0]?.detail).toMatch(/PostgreSQL 1\d\.\d+.*read-only session as postgres \(superuser\)/);

      const lock = out.findings.find((f) => f.id === "pg-lock-chain");
      expect(lock?.title).toBe(`Session ${chain.aPid} blocks 1 other session while idle in a transaction`);
      expect(lock?.severity).toBe("error");
      expect(lock?.evidence[0]).toContain(`blocker: pid ${chain.aPid} (postgres@acme, test-holder`);
      expect(lock?.evidence[0]).toContain("UPDATE res_partner SET name = name WHERE id = 1");
      expect(lock?.evidence[1]).toContain(`waits: pid ${chain.bPid}`);
      expect(lock?.evidence[1]).toMatch(/waiting on Lock\/transactionid, blocked by \d+/);
      expect(lock?.fix).toContain(`pg_terminate_backend(${chain.aPid})`);

      const idle = out.findings.find((f) => f.id === "pg-idle-in-transaction");
      expect(idle?.evidence.join("\n")).toContain(`pid ${chain.aPid}`);
      expect(idle?.count).toBe(1);

      const cron = out.findings.find((f) => f.id === "cron-overdue");
      expect(cron?.title).toBe("1 scheduled action is overdue in database acme");
      expect(cron?.evidence[0]).toMatch(/^#3 Mail: Email Queue Manager \(every 1 hours\): nextcall .* UTC, 2 d overdue, never ran$/);

      expect(out.probes.find((p) => p.id === "pg-size")?.detail).toMatch(/acme \(probed\): \d+\.\d MiB/);
      // the session is read-only whatever is asked of it
      await expect(client.query("CREATE TABLE doctor_was_here (id int)")).rejects.toThrow(/read-only transaction/);
    } finally {
      await client?.close();
      await chain.release();
    }
    // the waiter got its lock once the holder rolled back
    expect(await chain.bDone).toBeDefined();
  });

  it("GIVEN a project whose db and Odoo ports are published on 127.0.0.1 and no Docker engine THEN the full live run: docker skipped with the reason, HTTP and PostgreSQL probed, the budget finding linked to check's rule, the password never printed", async () => {
    const worker = await listen(odooWorkerDouble());
    const gevent = await listen(odooGeventDouble());
    const dir = writeProject({
      "odoo/Dockerfile": "FROM ghcr.io/tecnativa/doodba:17.0-onbuild\n",
      "prod.yaml": [
        "services:",
        "  odoo:",
        "    build: ./odoo",
        "    command: [odoo, --workers=4]",
        "    environment:",
        "      PGUSER: postgres",
        `      PGPASSWORD: "${SECRET}"`,
        "      PGDATABASE: acme",
        "    ports:",
        `      - "127.0.0.1:${worker}:8069"`,
        `      - "127.0.0.1:${gevent}:8072"`,
        "  db:",
        "    image: postgres:15",
        "    ports:",
        `      - "127.0.0.1:${cluster.port}:5432"`,
        "",
      ].join("\n"),
    });
    const report = await runDoctorLive(platformFor(), { dir, env: "prod", url: `http://127.0.0.1:${worker}` });
    const status = Object.fromEntries(report.probes.map((p) => [p.id, p.status]));
    expect(status).toMatchObject({
      "docker-engine": "skipped",
      containers: "skipped",
      "odoo-logs": "skipped",
      "web-health-direct": "ok",
      "websocket-direct": "ok",
      "web-health-proxy": "ok",
      "websocket-proxy": "problem",
      postgres: "ok",
      "pg-connections": "problem",
      "pg-cron": "problem",
      disk: "skipped",
      check: "problem",
    });
    expect(report.probes.find((p) => p.id === "docker-engine")?.detail).toMatch(/no Docker engine answers: Cannot connect to the Docker daemon at unix:\/\/\/nonexistent|the docker CLI is not installed/);
    expect(report.target.db).toBe(`postgres://postgres:***@127.0.0.1:${cluster.port}/acme`);

    const ids = report.findings.map((f) => `${f.origin}:${f.id}`);
    expect(ids).toContain("probe:pg-connection-budget-exceeded");
    expect(ids).toContain("probe:websocket-route-broken");
    expect(ids).toContain("probe:cron-overdue");
    // check's rule explains the symptom: Odoo's budget (1 gevent + 4 workers + 2 cron) × 64 = 448 > 97 usable slots
    const budget = report.findings.find((f) => f.id === "pg-connection-budget-exceeded");
    expect(budget?.title).toBe("Odoo may open 448 connections, the server accepts 97");
    const linked = report.findings.find((f) => f.origin === "check" && f.id === "connection-budget-exceeded");
    expect(linked?.evidence.join("\n")).toMatch(/explains connections refused or exhausted: Odoo may open 448 connections/);

    for (const format of ["human", "json", "markdown", "html"] as const) {
      const text = renderDoctorReport(report, format);
      expect(text).not.toContain(SECRET);
      const masked = `postgres://postgres:***@127.0.0.1:${cluster.port}/acme`;
      expect(text).toContain(format === "markdown" ? masked.replace(/\*/g, "\\*") : masked);
    }
  });

  it("GIVEN --db with a password THEN it is masked in the report and in connection errors", async () => {
    const dir = writeProject({ "prod.yaml": "services:\n  odoo:\n    image: ghcr.io/tecnativa/doodba:17.0\n" });
    const ok = await runDoctorLive(platformFor(), { dir, env: "prod", db: `postgres://postgres:${SECRET}@127.0.0.1:${cluster.port}/acme`, skip: ["http", "check"] });
    expect(ok.target.db).toBe(`postgres://postgres:***@127.0.0.1:${cluster.port}/acme`);
    expect(ok.probes.find((p) => p.id === "postgres")?.status).toBe("ok");
    const refused = await runDoctorLive(platformFor(), { dir, env: "prod", db: `postgres://postgres:${SECRET}@127.0.0.1:1/acme?password=${SECRET}`, skip: ["http", "check"] });
    const pgProbes = refused.probes.filter((p) => p.id === "postgres" || p.id.startsWith("pg-"));
    expect(pgProbes.map((p) => p.status)).toEqual(["skipped", "skipped", "skipped", "skipped", "skipped", "skipped"]);
    expect(pgProbes[0]?.detail).toMatch(/^cannot connect to postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/acme\?password=\*\*\*: connect ECONNREFUSED/);
    const all = JSON.stringify([ok, refused] satisfies DoctorReport[]);
    expect(all).not.toContain(SECRET);
  });
});
