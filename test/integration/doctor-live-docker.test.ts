/**
 * `doodba-ops doctor` live mode against a REAL Docker engine: the one that answers, or Debian's
 * dockerd started by the e2e harness (test/harness/docker.ts); skipped with the reason only when
 * no engine can be had. Images come from the harness (no registry is reachable here): its
 * PostgreSQL 15 image for the database, loaded with the REAL Odoo 17 database
 * (../shared/fixtures/odoo17/backup-mail.zip), and its Debian base (with Node.js) for:
 *
 * - odoo: a TEST DOUBLE of Odoo 17 (a Node script: it writes the REAL log
 *   ../shared/fixtures/odoo17/logs/websocket-not-routed.log to stderr as Odoo would, then answers
 *   /web/health on 8069 like the captured web-health.json, refuses a WebSocket handshake there
 *   with 500 like an HTTP worker, and accepts it with 101 on 8072 like the gevent process);
 * - crasher: exits with code 3; hog: allocates until the kernel OOM-kills it (mem_limit 64m);
 *   sick: a health check that always fails.
 *
 * doctor gets no --db: it finds the database from the project (db_* of the Odoo service, the db
 * container's address) as it would on a server. Everything the probes read comes from the engine
 * and the database themselves.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDoctorLive } from "../../src/doctor/live.js";
import { renderDoctorReport } from "../../src/doctor/report/index.js";
import type { DoctorReport } from "../../src/doctor/types.js";
import { nodePlatform, type Platform } from "../../src/platform/index.js";
import { buildImages, cleanup, docker, ensureDocker, releaseSync, trackImage, trackProject, waitFor } from "../harness/docker.js";
import { ODOO17, cleanupProjects, writeProject } from "../helpers/project.js";

function composeCommand(): string[] | undefined {
  if (spawnSync("docker", ["compose", "version"]).status === 0) return ["docker", "compose"];
  if (spawnSync("docker-compose", ["version"]).status === 0) return ["docker-compose"];
  return undefined;
}

const engine = process.platform === "linux" ? await ensureDocker() : ({ ok: false, reason: "not Linux" } as const);
const COMPOSE = composeCommand();
const HAVE_UNZIP = spawnSync("unzip", ["-v"]).status === 0;
const why = !engine.ok ? engine.reason : !COMPOSE ? "neither `docker compose` nor docker-compose is installed" : !HAVE_UNZIP ? "apt-get install -y unzip" : "";
if (why) process.stderr.write(`doctor live docker tests skipped: ${why}\n`);
const PROJECT = `doodbaopsdoctor${process.pid}`;
const IMAGE = `doodba-ops-test/odoo-double:17.0-${process.pid}`;
const SECRET = "d0ct0r-Pa55w0rd";

const DOUBLE = `
import { createServer } from "node:http";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
process.stderr.write(readFileSync("/srv/odoo.log"));
const health = (q, s) => { s.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" }); s.end('{"status": "pass"}'); };
const worker = createServer(health);
worker.on("upgrade", (_q, sock) => sock.end("HTTP/1.1 500 INTERNAL SERVER ERROR\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n"));
worker.listen(8069);
const gevent = createServer(health);
gevent.on("upgrade", (q, sock) => {
  const accept = createHash("sha1").update(q.headers["sec-websocket-key"] + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  sock.write("HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: " + accept + "\\r\\n\\r\\n");
  sock.on("error", () => {});
});
gevent.listen(8072);
`;

let dir = "";
let work = "";
let report: DoctorReport;
const quiet = (): Platform => ({ ...nodePlatform(), stdout: () => undefined, stderr: () => undefined });

function compose(args: string[]): string {
  const [cmd, ...pre] = COMPOSE ?? ["docker-compose"];
  const r = spawnSync(cmd ?? "docker-compose", [...pre, "-f", "prod.yaml", "-p", PROJECT, ...args], { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`compose ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

function containerOf(service: string): string {
  return compose(["ps", "-q", service]).trim().split("\n")[0] ?? "";
}

describe.skipIf(Boolean(why))(`doctor live mode on a real Docker engine${why ? ` (SKIPPED: ${why})` : ""}`, () => {
  const started = Date.now();

  beforeAll(async () => {
    const images = await buildImages();
    docker(["tag", images.base, IMAGE]);
    trackImage(IMAGE);
    trackProject(PROJECT);
    work = mkdtempSync(join(tmpdir(), "doodba-ops-doctor-e2e-"));
    spawnSync("unzip", ["-o", "-q", join(ODOO17, "backup-mail.zip"), "dump.sql", "-d", work]);

    dir = writeProject({
      "double.mjs": DOUBLE,
      // prefork, as in production: the bus is on the gevent port, and the connection budget is (1 + 2 + 2) × 64
      "odoo/custom/conf.d/20-workers.conf": "[options]\nworkers = 2\n",
      "prod.yaml": [
        "services:",
        "  odoo:",
        `    image: ${IMAGE}`,
        "    command: [/usr/bin/node, /srv/odoo-double.mjs]",
        "    environment:",
        "      PGUSER: odoo",
        `      PGPASSWORD: "${SECRET}"`,
        "      PGDATABASE: prod",
        "    volumes:",
        "      - ./double.mjs:/srv/odoo-double.mjs:ro",
        `      - ${join(ODOO17, "logs", "websocket-not-routed.log")}:/srv/odoo.log:ro`,
        "      - filestore:/var/lib/odoo",
        "    ports:",
        '      - "127.0.0.1::8069"',
        '      - "127.0.0.1::8072"',
        "  db:",
        `    image: ${images.postgres}`,
        "    environment:",
        "      POSTGRES_USER: odoo",
        `      POSTGRES_PASSWORD: "${SECRET}"`,
        "      POSTGRES_DB: prod",
        "    volumes:",
        "      - db:/var/lib/postgresql/data",
        "  crasher:",
        `    image: ${IMAGE}`,
        '    command: [/usr/bin/node, -e, "process.exit(3)"]',
        "  hog:",
        `    image: ${IMAGE}`,
        '    command: [/usr/bin/node, -e, "const a = []; for (;;) a.push(Buffer.alloc(1e6, 1))"]',
        "    mem_limit: 64m",
        "  sick:",
        `    image: ${IMAGE}`,
        '    command: [/usr/bin/node, -e, "setInterval(() => {}, 1e9)"]',
        "    healthcheck:",
        '      test: ["CMD", "/usr/bin/node", "-e", "process.exit(1)"]',
        "      interval: 1s",
        "      retries: 1",
        "volumes:",
        "  filestore:",
        "  db:",
        "",
      ].join("\n"),
    });
    compose(["up", "-d"]);
    const db = containerOf("db");
    await waitFor("PostgreSQL in the db container", () => (spawnSync("docker", ["exec", db, "psql", "-U", "odoo", "-d", "prod", "-tAc", "SELECT 1"], { encoding: "utf8" }).stdout.trim() === "1" ? true : undefined), 90_000);
    // the real Odoo 17 database; no cron runner: its jobs stay where the backup left them
    const load = spawnSync("docker", ["exec", "-i", db, "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", "odoo", "-d", "prod"], { input: readFileSync(join(work, "dump.sql")), encoding: "utf8", maxBuffer: 64 << 20 });
    if (load.status !== 0) throw new Error(`loading dump.sql failed: ${load.stderr}`);
    await waitFor("the crasher and the hog down, the sick one unhealthy", () => {
      const ps = docker(["ps", "-a", "--filter", `label=com.docker.compose.project=${PROJECT}`, "--format", "{{.Names}} {{.Status}}"]);
      return /crasher\S* Exited/.test(ps) && /hog\S* Exited/.test(ps) && /sick\S* Up .*unhealthy/.test(ps) ? true : undefined;
    });
    report = await runDoctorLive(quiet(), { dir, env: "prod", skip: ["proxy"] });
  }, 1_200_000);

  afterAll(() => {
    cleanup();
    releaseSync();
    if (work) rmSync(work, { recursive: true, force: true });
    cleanupProjects();
    process.stderr.write(`doctor live docker tests took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }, 120_000);

  it("finds the environment's containers from their Compose labels and reports their state, exit codes, OOM kill and health", () => {
    const status = Object.fromEntries(report.probes.map((p) => [p.id, p.status]));
    expect(status["docker-engine"]).toBe("ok");
    expect(status.containers).toBe("problem");
    expect(report.target.composeProject).toBe(PROJECT);
    const containers = report.probes.find((p) => p.id === "containers")?.detail ?? "";
    expect(containers).toMatch(/containers created from prod\.yaml in this directory/);
    expect(containers).toMatch(/crasher: exited; db: running; hog: exited, OOM-killed; odoo: running; sick: running, unhealthy$/);
    const byId = (id: string) => report.findings.filter((f) => f.id === id);
    expect(byId("container-not-running").map((f) => f.evidence[0])).toEqual([expect.stringMatching(/\(service crasher\): state exited, exit code 3/)]);
    expect(byId("container-unhealthy")[0]?.title).toMatch(/sick\S* is unhealthy/);
    expect(byId("container-oom-killed")[0]?.evidence[0]).toMatch(/\(service hog\): state exited, exit code 137, State\.OOMKilled = true, memory limit 64 MiB/);
  });

  it("feeds the Odoo container's logs to the scanner: the real log's websocket failure is named", () => {
    const logs = report.probes.find((p) => p.id === "odoo-logs");
    expect(logs?.status).toBe("problem");
    expect(logs?.detail).toMatch(/^125 lines since 1h from \S+odoo\S*: .*websocket-not-routed/);
    const f = report.findings.find((x) => x.id === "websocket-not-routed");
    expect(f?.origin).toBe("logs");
    expect(f?.count).toBe(2);
    expect(report.scan?.files[0]).toMatch(/^docker logs \S+odoo/);
  });

  it("probes Odoo on its published ports: /web/health and a 101 handshake on the gevent port", () => {
    const web = report.probes.find((p) => p.id === "web-health-direct");
    const bus = report.probes.find((p) => p.id === "websocket-direct");
    expect(web?.status).toBe("ok");
    expect(web?.detail).toMatch(/http:\/\/127\.0\.0\.1:\d+\/web\/health\?db_server_status=1: 200 .*published port of/);
    expect(bus?.status).toBe("ok");
    expect(bus?.detail).toMatch(/101 Switching Protocols/);
  });

  it("finds the database from the project and the db container, with the password from the project, never printed", () => {
    expect(report.target.db).toMatch(/^postgres:\/\/odoo:\*\*\*@\d+\.\d+\.\d+\.\d+:5432\/prod$/);
    const status = Object.fromEntries(report.probes.filter((p) => p.id === "postgres" || p.id.startsWith("pg-")).map((p) => [p.id, p.status]));
    expect(status).toEqual({ postgres: "ok", "pg-connections": "problem", "pg-locks": "ok", "pg-sessions": "ok", "pg-size": "ok", "pg-cron": "problem" });
    expect(report.findings.find((f) => f.id === "pg-connection-budget-exceeded")?.title).toBe("Odoo may open 320 connections, the server accepts 97");
    expect(report.findings.find((f) => f.id === "cron-overdue")?.title).toMatch(/^No scheduled action runs in database prod: \d+ of 12 active jobs are overdue/);
    for (const format of ["human", "json", "markdown", "html"] as const) expect(renderDoctorReport(report, format)).not.toContain(SECRET);
  });

  it("measures the file systems of the volumes and links check's rules to what it saw", () => {
    const disk = report.probes.find((p) => p.id === "disk");
    expect(["ok", "problem"]).toContain(disk?.status);
    expect(disk?.detail).toMatch(/\d+% used, [\d.]+ \w+ free/);
    const linked = report.findings.filter((f) => f.origin === "check").map((f) => f.id);
    expect(linked).toEqual(expect.arrayContaining(["connection-budget-exceeded", "no-restart-policy", "no-memory-limit"]));
  });

  it("GIVEN another project name THEN no container: a critical finding, never an ok", async () => {
    const r = await runDoctorLive(quiet(), { dir, env: "prod", projectName: `${PROJECT}-nope`, skip: ["postgres", "proxy", "check"] });
    expect(r.findings.map((f) => [f.id, f.severity])).toContainEqual(["environment-not-running", "critical"]);
    expect(r.probes.find((p) => p.id === "odoo-logs")?.status).toBe("skipped");
  });
});
