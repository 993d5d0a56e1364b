/**
 * `doodba-ops doctor` live mode against a REAL Docker engine, when one answers (DOCKER_HOST or
 * the default socket); otherwise skipped with the reason. No image can be pulled here, so the
 * test imports a minimal image made of this machine's Node binary and its libraries, and runs a
 * Compose project (docker-compose v1 or the docker compose plugin) with:
 *
 * - odoo: a TEST DOUBLE of Odoo 17 (a Node script: it writes the REAL log
 *   ../shared/fixtures/odoo17/logs/websocket-not-routed.log to stderr as Odoo would, then answers
 *   /web/health on 8069 like the captured web-health.json and the WebSocket handshake on 8072
 *   with 101, like the gevent process);
 * - crasher: exits with code 3; hog: allocates until the kernel OOM-kills it (mem_limit 64m);
 *   sick: a health check that always fails.
 *
 * Everything the probes read (labels, states, exit codes, OOMKilled, health, published ports,
 * mounts, `docker logs`) comes from the engine itself.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDoctorLive } from "../../src/doctor/live.js";
import type { DoctorReport } from "../../src/doctor/types.js";
import { nodePlatform } from "../../src/platform/index.js";
import { ODOO17, cleanupProjects, writeProject } from "../helpers/project.js";

function engine(): { ok: true; compose: string[] } | { ok: false; why: string } {
  const info = spawnSync("docker", ["info", "--format", "{{.ServerVersion}}"], { encoding: "utf8" });
  if (info.error) return { ok: false, why: "the docker CLI is not installed" };
  if (info.status !== 0) return { ok: false, why: `no Docker engine answers (${(info.stderr || info.stdout).trim().split("\n").pop() ?? ""})` };
  const host = process.env.DOCKER_HOST ?? "unix://";
  if (!host.startsWith("unix://")) return { ok: false, why: `the engine is remote (${host}); this test bind-mounts files and probes published ports on 127.0.0.1` };
  if (spawnSync("docker", ["compose", "version"]).status === 0) return { ok: true, compose: ["docker", "compose"] };
  if (spawnSync("docker-compose", ["version"]).status === 0) return { ok: true, compose: ["docker-compose"] };
  return { ok: false, why: "neither `docker compose` nor docker-compose is installed" };
}

const ENGINE = process.platform === "linux" ? engine() : ({ ok: false, why: "not Linux" } as const);
const note = ENGINE.ok ? "" : ` (SKIPPED: ${ENGINE.why}; start dockerd or set DOCKER_HOST to run it)`;
const PROJECT = `doodbaopsdoctor${process.pid}`;
const IMAGE = `doodba-ops-test/odoo-double:17.0-${process.pid}`;

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
let build = "";
let report: DoctorReport;

function compose(args: string[]): void {
  if (!ENGINE.ok) return;
  const [cmd, ...pre] = ENGINE.compose;
  execFileSync(cmd ?? "docker", [...pre, "-f", "prod.yaml", "-p", PROJECT, ...args], { cwd: dir, stdio: "pipe" });
}

describe.skipIf(!ENGINE.ok)(`doctor live mode on a real Docker engine${note}`, () => {
  beforeAll(async () => {
    // an image from this machine's node binary and the libraries it links
    build = mkdtempSync(join(tmpdir(), "doodba-ops-image-"));
    const node = process.execPath;
    const libs = execFileSync("ldd", [node], { encoding: "utf8" }).match(/\/\S+/g) ?? [];
    for (const f of [node, ...libs]) {
      const to = join(build, "rootfs", f === node ? "usr/bin/node" : f);
      mkdirSync(dirname(to), { recursive: true });
      copyFileSync(f, to);
    }
    mkdirSync(join(build, "rootfs", "tmp"), { recursive: true });
    execFileSync("sh", ["-c", `tar -C '${join(build, "rootfs")}' -cf - . | docker import - '${IMAGE}'`], { stdio: "pipe" });

    dir = writeProject({
      "double.mjs": DOUBLE,
      // prefork, as in production: the bus is then on the gevent port
      "odoo/custom/conf.d/20-workers.conf": "[options]\nworkers = 2\n",
      "prod.yaml": [
        "services:",
        "  odoo:",
        `    image: ${IMAGE}`,
        "    command: [/usr/bin/node, /srv/odoo-double.mjs]",
        "    volumes:",
        "      - ./double.mjs:/srv/odoo-double.mjs:ro",
        `      - ${join(ODOO17, "logs", "websocket-not-routed.log")}:/srv/odoo.log:ro`,
        "      - filestore:/var/lib/odoo",
        "    ports:",
        '      - "127.0.0.1::8069"',
        '      - "127.0.0.1::8072"',
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
        "",
      ].join("\n"),
    });
    writeFileSync(join(dir, ".env"), "");
    compose(["up", "-d"]);
    // wait until the crasher and the hog are down, the sick one is unhealthy and Odoo answers
    for (let i = 0; i < 60; i++) {
      const ps = spawnSync("docker", ["ps", "-a", "--filter", `label=com.docker.compose.project=${PROJECT}`, "--format", "{{.Names}} {{.Status}}"], { encoding: "utf8" }).stdout;
      if (/crasher\S* Exited/.test(ps) && /hog\S* Exited/.test(ps) && /sick\S* Up .*unhealthy/.test(ps)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 500));
    report = await runDoctorLive({ ...nodePlatform(), stdout: () => undefined, stderr: () => undefined }, { dir, env: "prod", skip: ["postgres", "proxy"] });
  }, 180_000);

  afterAll(() => {
    try {
      if (dir) compose(["down", "-v", "--remove-orphans"]);
    } finally {
      spawnSync("docker", ["rmi", "-f", IMAGE]);
      if (build) rmSync(build, { recursive: true, force: true });
      cleanupProjects();
    }
  }, 120_000);

  it("finds the environment's containers from their Compose labels and reports their state, exit codes, OOM kill and health", () => {
    const status = Object.fromEntries(report.probes.map((p) => [p.id, p.status]));
    expect(status["docker-engine"]).toBe("ok");
    expect(status.containers).toBe("problem");
    expect(report.target.composeProject).toBe(PROJECT);
    const containers = report.probes.find((p) => p.id === "containers")?.detail ?? "";
    expect(containers).toMatch(/containers created from prod\.yaml in this directory/);
    expect(containers).toMatch(/crasher: exited/);
    expect(containers).toMatch(/odoo: running/);
    expect(containers).toMatch(/sick: running, unhealthy/);
    const byId = (id: string) => report.findings.filter((f) => f.id === id);
    expect(byId("container-not-running").map((f) => f.evidence[0])).toEqual([expect.stringMatching(/\(service crasher\): state exited, exit code 3/)]);
    expect(byId("container-unhealthy")[0]?.title).toMatch(/sick\S* is unhealthy/);
    const oom = byId("container-oom-killed")[0];
    expect(oom?.evidence[0]).toMatch(/\(service hog\): state exited, exit code 137, State\.OOMKilled = true, memory limit 64 MiB/);
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

  it("measures the file systems of the volumes and links check's rules to what it saw", () => {
    const disk = report.probes.find((p) => p.id === "disk");
    expect(["ok", "problem"]).toContain(disk?.status);
    expect(disk?.detail).toMatch(/\d+% used, [\d.]+ \w+ free/);
    const linked = report.findings.filter((f) => f.origin === "check").map((f) => f.id);
    expect(linked).toContain("no-restart-policy");
    expect(linked).toContain("no-memory-limit");
  });

  it("GIVEN another project name THEN no container: a critical finding, never an ok", async () => {
    const r = await runDoctorLive({ ...nodePlatform(), stdout: () => undefined, stderr: () => undefined }, { dir, env: "prod", projectName: `${PROJECT}-nope`, skip: ["postgres", "proxy", "check"] });
    expect(r.findings.map((f) => [f.id, f.severity])).toContainEqual(["environment-not-running", "critical"]);
    expect(r.probes.find((p) => p.id === "odoo-logs")?.status).toBe("skipped");
  });
});
