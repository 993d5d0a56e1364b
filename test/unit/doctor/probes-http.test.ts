/**
 * HTTP probes of Odoo against small Node HTTP servers on 127.0.0.1. These are TEST DOUBLES of
 * Odoo's endpoints (no Odoo runs here): they answer like the real captures in
 * ../shared/fixtures/odoo17 (`web-health.json`, `websocket-health.txt`): the HTTP worker answers
 * /web/health and refuses a WebSocket handshake with 500 (as Odoo 17 does: "Couldn't bind the
 * websocket"), the gevent process switches protocols (101). Failing variants: the database down
 * (db_server_status false), a proxy answering 502, a refused port, a TLS certificate that does
 * not verify and expires soon.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Duplex } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HttpProbeError, nodeHttpClient, type HttpClient } from "../../../src/doctor/probes/http-client.js";
import { probeOdooHttp, type OdooEndpoint } from "../../../src/doctor/probes/http.js";
import { ODOO17 } from "../../helpers/project.js";

const HEALTH_BODY = readFileSync(join(ODOO17, "web-health.json"), "utf8").trim(); // {"status": "pass"}
const WS_HEALTH = readFileSync(join(ODOO17, "websocket-health.txt"), "utf8");
const NOW = new Date("2026-11-27T03:00:00Z");
const HAVE_OPENSSL = spawnSync("openssl", ["version"]).status === 0;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
type UpgradeHandler = (req: IncomingMessage, socket: Duplex) => void;

const servers: Server[] = [];
const sockets = new Set<Duplex>();
async function listen(handler: Handler, upgrade?: UpgradeHandler, server: Server = createServer()): Promise<string> {
  server.on("connection", (s: Duplex) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("request", handler);
  if (upgrade) server.on("upgrade", upgrade);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as AddressInfo).port;
  return `${"setSecureContext" in server ? "https" : "http"}://127.0.0.1:${port}`;
}

function healthJson(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" });
  res.end(body);
}

/** Test double of Odoo 17's HTTP worker (port 8069). dbStatus: undefined = the captured build, which does not report it. */
function odooHttpWorker(dbStatus?: boolean): Handler {
  return (req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    if (u.pathname === "/web/health") {
      if (dbStatus === undefined || !u.searchParams.has("db_server_status")) return healthJson(res, 200, HEALTH_BODY);
      return dbStatus ? healthJson(res, 200, '{"status": "pass", "db_server_status": true}') : healthJson(res, 500, '{"status": "fail", "db_server_status": false}');
    }
    if (u.pathname === "/websocket/health") return healthJson(res, 200, HEALTH_BODY);
    if (u.pathname === "/web/login") {
      res.writeHead(200, { "Content-Type": "text/html" });
      return void res.end("<html>login</html>");
    }
    res.writeHead(404);
    res.end("Not Found");
  };
}

/** An HTTP worker receiving a WebSocket handshake: 500 (RuntimeError: Couldn't bind the websocket). */
const workerRefusesUpgrade: UpgradeHandler = (_req, socket) => {
  socket.end("HTTP/1.1 500 INTERNAL SERVER ERROR\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 21\r\nConnection: close\r\n\r\nInternal Server Error");
};

/** Test double of Odoo's gevent process (port 8072): /websocket/health as captured, handshake -> 101. */
const geventHandler: Handler = (req, res) => {
  if ((req.url ?? "").startsWith("/websocket/health")) {
    const body = WS_HEALTH.split(/\r?\n\r?\n/)[1]?.trim() ?? HEALTH_BODY;
    return healthJson(res, 200, body);
  }
  res.writeHead(404);
  res.end();
};
const geventUpgrade: UpgradeHandler = (req, socket) => {
  const key = String(req.headers["sec-websocket-key"] ?? "");
  const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  socket.on("error", () => undefined);
};

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

const opts = (client: HttpClient = nodeHttpClient, odooMajor = 17) => ({ client, odooMajor, timeoutMs: 2000, now: NOW });

describe("HTTP probes against Odoo test doubles on 127.0.0.1", () => {
  let worker: string;
  let gevent: string;
  beforeAll(async () => {
    worker = await listen(odooHttpWorker(), workerRefusesUpgrade);
    gevent = await listen(geventHandler, geventUpgrade);
  });

  it("GIVEN a healthy prefork Odoo 17 THEN /web/health passes and the bus handshake switches protocols on the gevent port", async () => {
    const ep: OdooEndpoint = { base: worker, busBase: gevent, how: "test" };
    const r = await probeOdooHttp("direct", ep, opts());
    expect(r.probes.map((p) => [p.id, p.status])).toEqual([
      ["web-health-direct", "ok"],
      ["websocket-direct", "ok"],
    ]);
    expect(r.probes[0]?.detail).toContain('200 {"status": "pass"}; this Odoo build does not report db_server_status');
    expect(r.probes[1]?.detail).toMatch(/101 Switching Protocols.*\/websocket\/health 200/);
    expect(r.findings).toEqual([]);
  });

  it("GIVEN the bus routed to an HTTP worker THEN the handshake gets 500 and the finding names the gevent port", async () => {
    const r = await probeOdooHttp("proxy", { base: worker, busBase: worker, how: "--url" }, opts());
    expect(r.probes.find((p) => p.id === "websocket-proxy")?.status).toBe("problem");
    const f = r.findings.find((x) => x.id === "websocket-route-broken");
    expect(f?.severity).toBe("error");
    expect(f?.evidence[0]).toMatch(/HTTP 500/);
    expect(f?.fix).toMatch(/8072/);
  });

  it("GIVEN a build that reports db_server_status and a database that is down THEN a critical finding, not ok", async () => {
    const down = await listen(odooHttpWorker(false), workerRefusesUpgrade);
    const r = await probeOdooHttp("direct", { base: down, busBase: gevent, how: "test" }, opts());
    expect(r.probes[0]).toMatchObject({ id: "web-health-direct", status: "problem" });
    expect(r.findings.map((f) => [f.id, f.severity])).toContainEqual(["odoo-database-unreachable", "critical"]);
    const up = await listen(odooHttpWorker(true));
    const ok = await probeOdooHttp("direct", { base: up, busBase: gevent, how: "test" }, opts());
    expect(ok.probes[0]?.detail).toContain("database reachable (db_server_status)");
  });

  it("GIVEN a proxy answering 502 THEN a critical bad-gateway finding, and the bus is not tried behind it", async () => {
    const proxy = await listen((_req, res) => {
      res.writeHead(502, { "Content-Type": "text/plain" });
      res.end("Bad Gateway");
    });
    const r = await probeOdooHttp("proxy", { base: proxy, busBase: proxy, how: "--url" }, opts());
    expect(r.probes.map((p) => [p.id, p.status])).toEqual([
      ["web-health-proxy", "problem"],
      ["websocket-proxy", "skipped"],
    ]);
    expect(r.findings.map((f) => [f.id, f.severity])).toEqual([["proxy-bad-gateway", "critical"]]);
  });

  it("GIVEN nothing listens THEN skipped when the address was only a guess from the compose file, a critical problem when it should answer", async () => {
    const closed = await listen(() => undefined);
    const s = servers.pop();
    await new Promise<void>((r) => s?.close(() => r()));
    const guess = await probeOdooHttp("direct", { base: closed, busBase: closed, how: "compose", refusedMeansAbsent: true }, opts());
    expect(guess.probes.map((p) => p.status)).toEqual(["skipped", "skipped"]);
    expect(guess.probes[0]?.detail).toMatch(/nothing listens on .*may be on another host/);
    expect(guess.findings).toEqual([]);
    const known = await probeOdooHttp("direct", { base: closed, busBase: closed, how: "container" }, opts());
    expect(known.probes.map((p) => p.status)).toEqual(["problem", "problem"]);
    expect(known.findings.map((f) => f.id)).toEqual(["odoo-not-answering", "gevent-not-answering"]);
  });

  it("GIVEN a host name that does not resolve here THEN skipped with the reason (TEST DOUBLE of the HTTP client: no DNS query leaves this machine)", async () => {
    const noDns: HttpClient = {
      get: () => Promise.reject(new HttpProbeError("getaddrinfo ENOTFOUND erp.acme.example", "ENOTFOUND")),
      websocket: () => Promise.reject(new HttpProbeError("getaddrinfo ENOTFOUND erp.acme.example", "ENOTFOUND")),
    };
    const r = await probeOdooHttp("proxy", { base: "https://erp.acme.example", busBase: "https://erp.acme.example", how: "traefik2 router" }, opts(noDns));
    expect(r.probes.map((p) => p.status)).toEqual(["skipped", "skipped"]);
    expect(r.probes[0]?.detail).toMatch(/cannot resolve .*ENOTFOUND/);
  });

  it("GIVEN a server that never answers THEN the deadline turns it into a problem, not a hang", async () => {
    const silent = await listen(() => undefined, () => undefined);
    const started = Date.now();
    const r = await probeOdooHttp("direct", { base: silent, busBase: silent, how: "container" }, { ...opts(), timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.probes[0]?.status).toBe("problem");
    expect(r.probes[0]?.detail).toMatch(/no answer within 0\.3 s/);
  });

  it("GIVEN Odoo 15 THEN the bus (longpolling) is skipped with the reason; Odoo 14 THEN /web/login stands in for /web/health", async () => {
    const r15 = await probeOdooHttp("direct", { base: worker, busBase: gevent, how: "test" }, opts(nodeHttpClient, 15));
    expect(r15.probes[1]).toMatchObject({ id: "websocket-direct", status: "skipped" });
    expect(r15.probes[1]?.detail).toMatch(/longpolling/);
    const r14 = await probeOdooHttp("direct", { base: worker, busBase: gevent, how: "test" }, opts(nodeHttpClient, 14));
    expect(r14.probes[0]?.detail).toMatch(/\/web\/login: 200/);
  });

  it.skipIf(!HAVE_OPENSSL)("GIVEN a proxy with a self-signed certificate that expires in 5 days THEN both TLS findings, and Odoo is still probed behind it (needs openssl)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "doodba-ops-tls-"));
    try {
      execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem"), "-days", "5", "-subj", "/CN=127.0.0.1"], { stdio: "ignore" });
      const https = createHttpsServer({ key: readFileSync(join(dir, "k.pem")), cert: readFileSync(join(dir, "c.pem")) });
      const base = await listen(odooHttpWorker(), geventUpgrade, https);
      const r = await probeOdooHttp("proxy", { base, busBase: base, how: "--url" }, { ...opts(), now: new Date() });
      expect(r.probes.map((p) => [p.id, p.status])).toEqual([
        ["web-health-proxy", "ok"],
        ["websocket-proxy", "ok"],
      ]);
      const ids = r.findings.map((f) => [f.id, f.severity]);
      expect(ids).toContainEqual(["tls-certificate-invalid", "error"]);
      expect(ids).toContainEqual(["tls-certificate-expiring", "warning"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
