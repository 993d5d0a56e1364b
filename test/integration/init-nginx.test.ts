/**
 * The nginx that `doodba-ops init` generates, against the real tools:
 * - `nginx -t` on every generated site (bundled and shared, every TLS mode, Odoo 15 and 17), with
 *   certificate paths and container host names rewritten to a temp dir / loopback;
 * - a real nginx run on free 127.0.0.1 ports in front of two small Node HTTP servers that stand in
 *   for Odoo's HTTP port (8069) and gevent port (8072) (test doubles: no Odoo runs here), with a
 *   certificate made by openssl: websocket upgrade, /web/database refused or allow-listed, the
 *   https redirect, forwarded headers, HSTS and security headers, cookie flags, gzip;
 * - the generated shell scripts: shellcheck, and the certificate/watcher scripts run for real
 *   with sh and openssl (nginx itself replaced by a recording test double for the reload);
 * - end to end: planInit's nginx projects pass the real `check` in prod and test with zero
 *   findings, and the check's proxy analysis sees the routes as they are.
 *
 * Needs the Debian packages nginx, openssl and shellcheck (the nginx parts skip, saying so, when
 * nginx is missing).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeProxy } from "../../src/check/lib/proxy.js";
import { formatPos } from "../../src/errors.js";
import { renderNginx, renderNginxSite, type NginxSiteOptions } from "../../src/generate/proxy/nginx.js";
import type { EnvAnswers, InitAnswers, PlannedFile, ProxyContext } from "../../src/generate/types.js";
import { GiB, sizeOdoo } from "../../src/tune/odoo.js";

const PATH = `${process.env.PATH ?? ""}:/usr/sbin:/sbin`;
const has = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { env: { ...process.env, PATH }, encoding: "utf8" }).status === 0;
const NGINX = has("nginx", ["-v"]);
const OPENSSL = has("openssl", ["version"]);
const SHELLCHECK = has("shellcheck", ["--version"]);
const skipNote = (what: string, pkg: string): string => ` (SKIPPED: ${what} is not installed here; apt-get install -y ${pkg})`;

const temps: string[] = [];
function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(d, 0o755); // nginx workers (nobody) read below it when the tests run as root
  temps.push(d);
  return d;
}
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function run(cmd: string, args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}) {
  const r = spawnSync(cmd, args, { encoding: "utf8", cwd: opts.cwd, env: { ...process.env, PATH, ...opts.env } });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "", out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

// ---------------------------------------------------------------------------------------------
// Answers and contexts

const ENVS: EnvAnswers[] = [
  { name: "devel", kind: "devel", domains: [], tls: "none" },
  { name: "test", kind: "test", domains: ["test.erp.acme.example"], tls: "self-signed" },
  { name: "prod", kind: "prod", domains: ["erp.acme.example", "www.erp.acme.example"], tls: "letsencrypt" },
];

function answers(over: Partial<InitAnswers> = {}): InitAnswers {
  return {
    projectName: "acme",
    odooVersion: "17.0",
    postgresVersion: "16",
    proxy: "nginx",
    proxyBundled: true,
    envs: ENVS,
    letsencryptEmail: "ops@acme.example",
    tlsCertFile: "/etc/ssl/acme/erp.crt",
    tlsKeyFile: "/etc/ssl/acme/erp.key",
    dbManagerAllow: [],
    host: { cpus: 4, ramGiB: 8 },
    users: 50,
    emailFrom: "odoo@acme.example",
    backupDestination: "file:///srv/backups/acme",
    ...over,
  };
}

function ctx(a: InitAnswers, envName: string): ProxyContext {
  const env = a.envs.find((e) => e.name === envName);
  if (!env) throw new Error(`no env ${envName}`);
  return {
    answers: a,
    env,
    sizing: sizeOdoo({ cpus: a.host.cpus, ramBytes: a.host.ramGiB * GiB }, { users: a.users }),
    odooService: "odoo",
    httpPort: 8069,
    geventPort: 8072,
    busPath: Number.parseInt(a.odooVersion, 10) >= 16 ? "/websocket" : "/longpolling",
    frontendNetwork: "frontend",
  };
}

const VARIANTS: Record<string, { a: InitAnswers; env: string }> = {
  "bundled letsencrypt prod, Odoo 17": { a: answers(), env: "prod" },
  "bundled self-signed test, Odoo 17": { a: answers(), env: "test" },
  "bundled letsencrypt prod, Odoo 15, admin CIDRs": { a: answers({ odooVersion: "15.0", postgresVersion: "14", dbManagerAllow: ["192.0.2.0/24", "2001:db8::/32"] }), env: "prod" },
  "bundled files prod, Odoo 18": {
    a: answers({ odooVersion: "18.0", envs: [{ name: "prod", kind: "prod", domains: ["erp.acme.example"], tls: "files" }] }),
    env: "prod",
  },
  "bundled plain-HTTP staging": { a: answers({ envs: [{ name: "staging", kind: "test", domains: ["staging.acme.example"], tls: "none" }] }), env: "staging" },
  "shared letsencrypt prod, Odoo 16": { a: answers({ proxyBundled: false, odooVersion: "16.0" }), env: "prod" },
  "shared self-signed test, Odoo 16": { a: answers({ proxyBundled: false, odooVersion: "16.0" }), env: "test" },
  "shared files prod, Odoo 18": {
    a: answers({ proxyBundled: false, odooVersion: "18.0", envs: [{ name: "prod", kind: "prod", domains: ["erp.acme.example"], tls: "files" }] }),
    env: "prod",
  },
};

function siteFile(files: PlannedFile[]): PlannedFile {
  const f = files.find((x) => x.path.endsWith(".conf"));
  if (!f) throw new Error("no site rendered");
  return f;
}

// ---------------------------------------------------------------------------------------------
// A certificate and nginx harness

function makeCert(dir: string, names: string[]): { cert: string; key: string } {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const r = run("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
    "-subj", `/CN=${names[0] ?? "localhost"}`,
    "-addext", `subjectAltName=${names.map((n) => `DNS:${n}`).join(",")}`,
    "-keyout", key, "-out", cert,
  ]);
  if (r.status !== 0) throw new Error(`openssl failed: ${r.out}`);
  return { cert, key };
}

/** A main nginx.conf that includes the given site files; every path in the temp dir. */
function mainConf(dir: string, sites: string[]): string {
  const p = join(dir, "nginx.conf");
  const temp = (n: string): string => join(dir, "temp", n);
  for (const n of ["body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(temp(n), { recursive: true });
  writeFileSync(
    p,
    [
      "worker_processes 1;",
      "events { worker_connections 128; }",
      "http {",
      `    access_log ${join(dir, "access.log")};`,
      `    client_body_temp_path ${temp("body")};`,
      `    proxy_temp_path ${temp("proxy")};`,
      `    fastcgi_temp_path ${temp("fastcgi")};`,
      `    uwsgi_temp_path ${temp("uwsgi")};`,
      `    scgi_temp_path ${temp("scgi")};`,
      ...sites.map((s) => `    include ${s};`),
      "}",
      "",
    ].join("\n"),
  );
  return p;
}

/** `nginx -t` (test) or a foreground run, with the pid file and error log in `dir`. */
function nginxArgs(dir: string, conf: string, mode: "test" | "run"): string[] {
  const globals = `pid ${join(dir, "nginx.pid")}; error_log ${join(dir, "error.log")};${mode === "run" ? " daemon off;" : ""}`;
  return ["-p", `${dir}/`, "-e", join(dir, "error.log"), "-c", conf, "-g", globals, ...(mode === "test" ? ["-t"] : [])];
}

/** Rewrites a generated site for this machine: certificates and webroot into `dir`, container hosts to loopback. */
function localise(text: string, dir: string, cert: { cert: string; key: string }): string {
  return text
    .replace(/ssl_certificate (\S+);/g, `ssl_certificate ${cert.cert};`)
    .replace(/ssl_certificate_key (\S+);/g, `ssl_certificate_key ${cert.key};`)
    .replace(/root \/var\/www\/certbot;/g, `root ${join(dir, "www")};`)
    .replace(/server odoo:(\d+);/g, "server 127.0.0.1:$1;");
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, proc: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`nginx exited (${proc.exitCode}): ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, "127.0.0.1");
      c.once("connect", () => {
        c.destroy();
        resolve(true);
      });
      c.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${port}: ${log()}`);
}

// ---------------------------------------------------------------------------------------------
// Test doubles standing in for Odoo's two ports

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

/** Test double for Odoo's HTTP port (8069): records every request, answers like a tiny Odoo. */
function odooHttpDouble(): { server: http.Server; seen: Seen[] } {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    req.resume();
    req.on("end", () => {
      if (req.url === "/web/static/big.css") {
        res.writeHead(200, { "Content-Type": "text/css" });
        res.end(".o_main { color: red; }\n".repeat(200));
        return;
      }
      const headers: http.OutgoingHttpHeaders = {
        "Content-Type": "application/json",
        "Set-Cookie": "session_id=abc123; Path=/; HttpOnly",
      };
      if (req.url === "/web/login") headers["X-Frame-Options"] = "DENY";
      if (req.url === "/web/session/lax") headers["Set-Cookie"] = "session_id=abc123; Path=/; HttpOnly; SameSite=Lax";
      res.writeHead(200, headers);
      res.end(JSON.stringify({ odoo: "http-double", url: req.url }));
    });
  });
  return { server, seen };
}

/** Test double for Odoo's gevent port (8072): accepts websocket upgrades with a 101, records them. */
function odooBusDouble(): { server: http.Server; seen: Seen[]; sockets: Set<net.Socket> } {
  const seen: Seen[] = [];
  const sockets = new Set<net.Socket>();
  const server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    res.writeHead(200, { "Content-Type": "text/plain" });
    res.end("bus-double");
  });
  server.on("upgrade", (req: http.IncomingMessage, socket: net.Socket) => {
    seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
    socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Bus-Double: yes\r\n\r\n");
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.on("data", () => undefined);
  });
  return { server, seen, sockets };
}

async function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : 0);
    });
  });
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
}

function request(opts: { tls: boolean; port: number; path: string; host: string; method?: string; headers?: http.OutgoingHttpHeaders; servername?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const common = { host: "127.0.0.1", port: opts.port, path: opts.path, method: opts.method ?? "GET", headers: { Host: opts.host, ...opts.headers }, agent: false as const };
    const onRes = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }));
    };
    const req = opts.tls
      ? https.request({ ...common, servername: opts.servername ?? opts.host, rejectUnauthorized: false }, onRes)
      : http.request(common, onRes);
    req.on("error", reject);
    req.end();
  });
}

/** Sends a websocket handshake; resolves with the status and headers of the 101 (or the plain response). */
function upgrade(port: number, path: string, host: string): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: "127.0.0.1",
      port,
      path,
      servername: host,
      rejectUnauthorized: false,
      agent: false,
      headers: { Host: host, Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", Origin: `https://${host}` },
    });
    req.on("upgrade", (res: http.IncomingMessage, socket: net.Socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on("response", (res: http.IncomingMessage) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers });
    });
    req.on("error", reject);
    req.end();
  });
}

function headerCount(r: Reply, name: string): number {
  return r.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === name.toLowerCase()).length;
}

// ---------------------------------------------------------------------------------------------

describe.skipIf(!NGINX || !OPENSSL)(`nginx -t accepts every generated site${!NGINX ? skipNote("nginx", "nginx") : !OPENSSL ? skipNote("openssl", "openssl") : ""}`, () => {
  it.each(Object.entries(VARIANTS))("%s", (_name, { a, env }) => {
    const dir = tempDir("doodba-ops-nginx-t-");
    const cert = makeCert(dir, ["erp.acme.example"]);
    const site = siteFile(renderNginx(ctx(a, env)).files);
    const local = localise(site.content, dir, cert);
    expect(local, "only the certificate paths and container host names are rewritten").toMatch(/proxy_pass http:\/\/odoo_acme_/);
    const p = join(dir, "site.conf");
    writeFileSync(p, local);
    const r = run("nginx", nginxArgs(dir, mainConf(dir, [p]), "test"));
    expect(r.out).toMatch(/syntax is ok/);
    expect(r.out, "no warnings either").not.toMatch(/\[(warn|emerg|alert)\]/);
    expect(r.status, r.out).toBe(0);
  });

  it("GIVEN the host's nginx includes both shared sites of a project (prod and test) THEN their names do not collide", () => {
    const dir = tempDir("doodba-ops-nginx-t-");
    const cert = makeCert(dir, ["erp.acme.example"]);
    const a = answers({ proxyBundled: false });
    const paths = ["prod", "test"].map((env) => {
      const site = siteFile(renderNginx(ctx(a, env)).files);
      const p = join(dir, site.path.replace(/^nginx\//, ""));
      writeFileSync(p, localise(site.content, dir, cert));
      return p;
    });
    const r = run("nginx", nginxArgs(dir, mainConf(dir, paths), "test"));
    expect(r.status, r.out).toBe(0);
    expect(r.out).not.toMatch(/\[(warn|emerg)\]/);
  });
});

describe.skipIf(!NGINX || !OPENSSL)(`the real nginx in front of Odoo test doubles${!NGINX ? skipNote("nginx", "nginx") : !OPENSSL ? skipNote("openssl", "openssl") : ""}`, () => {
  const HOST = "erp.example.test";
  const blocked = { http: 0, https: 0 };
  const allowed = { http: 0, https: 0 };
  const httpDouble = odooHttpDouble();
  const busDouble = odooBusDouble();
  let nginx: ChildProcess | undefined;
  let dir = "";

  beforeAll(async () => {
    dir = tempDir("doodba-ops-nginx-run-");
    const cert = makeCert(dir, [HOST]);
    mkdirSync(join(dir, "www", ".well-known", "acme-challenge"), { recursive: true });
    writeFileSync(join(dir, "www", ".well-known", "acme-challenge", "token-123"), "token-123.thumbprint");
    const httpPort = await listen(httpDouble.server);
    const busPort = await listen(busDouble.server);
    for (const p of [blocked, allowed]) {
      p.http = await freePort();
      p.https = await freePort();
    }
    const site = (id: string, ports: { http: number; https: number }, allow: string[]): NginxSiteOptions => ({
      id,
      title: [`integration test site ${id}`],
      serverNames: [HOST],
      httpListen: [`127.0.0.1:${ports.http}`],
      tls: { listen: [`127.0.0.1:${ports.https}`], certificate: cert.cert, certificateKey: cert.key, hsts: { maxAge: 31536000, includeSubDomains: true } },
      ownsListeners: true,
      upstreamHttp: `127.0.0.1:${httpPort}`,
      upstreamBus: `127.0.0.1:${busPort}`,
      busPath: "/websocket",
      proxyTimeout: 1260,
      connectTimeout: 10,
      clientMaxBodySize: "128m",
      dbManagerAllow: allow,
      acmeWebroot: join(dir, "www"),
      healthPath: "/nginx-health",
    });
    const files = [
      ["blocked.conf", renderNginxSite(site("t_blocked", blocked, []))],
      ["allowed.conf", renderNginxSite(site("t_allowed", allowed, ["127.0.0.1/32"]))],
    ].map(([name, text]) => {
      const p = join(dir, name ?? "");
      writeFileSync(p, text ?? "");
      return p;
    });
    const conf = mainConf(dir, files);
    const t = run("nginx", nginxArgs(dir, conf, "test"));
    if (t.status !== 0) throw new Error(`nginx -t: ${t.out}`);
    const proc = spawn("nginx", nginxArgs(dir, conf, "run"), {
      env: { ...process.env, PATH },
      stdio: ["ignore", "pipe", "pipe"],
    });
    nginx = proc;
    let log = "";
    proc.stdout?.on("data", (c: Buffer) => (log += c.toString()));
    proc.stderr?.on("data", (c: Buffer) => (log += c.toString()));
    const errLog = (): string => `${log}${existsSync(join(dir, "error.log")) ? readFileSync(join(dir, "error.log"), "utf8") : ""}`;
    for (const p of [blocked.http, blocked.https, allowed.http, allowed.https]) await waitForPort(p, proc, errLog);
  });

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((r) => nginx?.once("exit", r));
      nginx.kill("SIGTERM");
      await exited;
    }
    for (const sock of busDouble.sockets) sock.destroy(); // upgraded sockets are not the server's to close
    await Promise.all([httpDouble.server, busDouble.server].map((s) => new Promise((r) => (s.closeAllConnections(), s.close(r)))));
  });

  it("(1) GIVEN a websocket handshake on /websocket THEN the gevent double gets it with Upgrade: websocket and Connection: upgrade, and its 101 comes back", async () => {
    const r = await upgrade(blocked.https, "/websocket", HOST);
    expect(r.status).toBe(101);
    expect(r.headers["x-bus-double"]).toBe("yes");
    const seen = busDouble.seen.find((s) => s.url === "/websocket");
    expect(seen?.headers.upgrade).toBe("websocket");
    expect(seen?.headers.connection).toBe("upgrade");
    expect(seen?.headers["x-forwarded-host"]).toBe(HOST);
    expect(seen?.headers["x-forwarded-proto"]).toBe("https");
    expect(seen?.headers["x-real-ip"]).toBe("127.0.0.1");
    expect(httpDouble.seen.some((s) => s.url.startsWith("/websocket")), "the HTTP port never sees the bus").toBe(false);
  });

  it("(2) GIVEN /web/database/* (any case, encoded or not) THEN nginx refuses it and Odoo never sees it", async () => {
    for (const path of ["/web/database/manager", "/web/database/selector", "/web/database/backup", "/WEB/Database/manager", "/web/%64atabase/manager", "/web//database/list"]) {
      const r = await request({ tls: true, port: blocked.https, path, host: HOST, method: path.endsWith("backup") ? "POST" : "GET" });
      expect([403, 404], path).toContain(r.status);
    }
    expect(httpDouble.seen.filter((s) => /database/i.test(decodeURIComponent(s.url)))).toEqual([]);
  });

  it("(3) GIVEN plain HTTP THEN a 301 to the same URL on https; ACME challenges and the health check are served on port 80", async () => {
    const r = await request({ tls: false, port: blocked.http, path: "/web/login?redirect=%2Fodoo", host: HOST });
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe(`https://${HOST}/web/login?redirect=%2Fodoo`);
    const acme = await request({ tls: false, port: blocked.http, path: "/.well-known/acme-challenge/token-123", host: HOST });
    expect(acme.status).toBe(200);
    expect(acme.body.toString()).toBe("token-123.thumbprint");
    const health = await request({ tls: false, port: blocked.http, path: "/nginx-health", host: "127.0.0.1" });
    expect(health.status).toBe(200);
    expect(health.body.toString()).toBe("ok\n");
    expect(httpDouble.seen.some((s) => s.url.includes("acme-challenge") || s.url.includes("nginx-health"))).toBe(false);
  });

  it("(4) GIVEN a request (with a client-sent X-Forwarded-For) THEN Odoo's HTTP double gets X-Forwarded-Host/For/Proto and X-Real-IP right", async () => {
    const r = await request({ tls: true, port: blocked.https, path: "/odoo/action-1?x=1", host: HOST, headers: { "X-Forwarded-For": "203.0.113.9" } });
    expect(r.status).toBe(200);
    const seen = httpDouble.seen.find((s) => s.url === "/odoo/action-1?x=1");
    expect(seen?.headers["x-forwarded-host"]).toBe(HOST);
    expect(seen?.headers["x-forwarded-proto"]).toBe("https");
    expect(seen?.headers["x-forwarded-for"]).toBe("203.0.113.9, 127.0.0.1");
    expect(seen?.headers["x-real-ip"]).toBe("127.0.0.1");
    expect(seen?.headers.host).toBe(HOST);
  });

  it("(5) GIVEN HTTPS responses (proxied or refused) THEN HSTS and the security headers are there once; Odoo's own X-Frame-Options wins", async () => {
    for (const path of ["/odoo", "/web/database/manager"]) {
      const r = await request({ tls: true, port: blocked.https, path, host: HOST });
      expect(r.headers["strict-transport-security"], path).toBe("max-age=31536000; includeSubDomains");
      expect(r.headers["x-content-type-options"], path).toBe("nosniff");
      expect(r.headers["x-frame-options"], path).toBe("SAMEORIGIN");
      expect(r.headers["referrer-policy"], path).toBe("strict-origin-when-cross-origin");
      expect(r.headers.server, path).toBe("nginx");
    }
    const login = await request({ tls: true, port: blocked.https, path: "/web/login", host: HOST });
    expect(headerCount(login, "X-Frame-Options")).toBe(1);
    expect(login.headers["x-frame-options"]).toBe("DENY");
  });

  it("(5b) THEN the session cookie gets Secure and SameSite=Lax, and text assets are gzipped", async () => {
    const r = await request({ tls: true, port: blocked.https, path: "/web/session", host: HOST });
    const cookie = (r.headers["set-cookie"] ?? [])[0] ?? "";
    expect(cookie).toMatch(/^session_id=abc123;/);
    expect(cookie).toMatch(/;\s*Secure/i);
    expect(cookie).toMatch(/;\s*SameSite=Lax/i);
    // Odoo 17+ sets SameSite=Lax itself: the flag is not doubled
    const lax = ((await request({ tls: true, port: blocked.https, path: "/web/session/lax", host: HOST })).headers["set-cookie"] ?? [])[0] ?? "";
    expect(lax.match(/SameSite/gi)).toHaveLength(1);
    expect(lax).toMatch(/;\s*Secure/i);
    const css = await request({ tls: true, port: blocked.https, path: "/web/static/big.css", host: HOST, headers: { "Accept-Encoding": "gzip" } });
    expect(css.headers["content-encoding"]).toBe("gzip");
    expect(gunzipSync(css.body).toString()).toContain(".o_main { color: red; }");
  });

  it("(5c) GIVEN another name in SNI THEN no TLS handshake (Odoo never serves a foreign host)", async () => {
    await expect(request({ tls: true, port: blocked.https, path: "/", host: "evil.example", servername: "evil.example" })).rejects.toThrow();
  });

  it("(6) GIVEN dbManagerAllow with 127.0.0.1/32 THEN /web/database/manager IS proxied, with the forwarded headers", async () => {
    const r = await request({ tls: true, port: allowed.https, path: "/web/database/manager", host: HOST });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body.toString())).toEqual({ odoo: "http-double", url: "/web/database/manager" });
    const seen = httpDouble.seen.find((s) => s.url === "/web/database/manager");
    expect(seen?.headers["x-forwarded-host"]).toBe(HOST);
    expect(seen?.headers["x-real-ip"]).toBe("127.0.0.1");
  });
});

// ---------------------------------------------------------------------------------------------
// Scripts

function allScripts(): PlannedFile[] {
  const byPath = new Map<string, PlannedFile>();
  for (const { a, env } of Object.values(VARIANTS)) for (const f of renderNginx(ctx(a, env)).files) if (f.path.endsWith(".sh")) byPath.set(f.path, f);
  return [...byPath.values()];
}

function writeFiles(dir: string, files: PlannedFile[]): void {
  for (const f of files) {
    const p = join(dir, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
    chmodSync(p, f.mode ?? 0o644);
  }
}

describe.skipIf(!SHELLCHECK)(`generated shell scripts${SHELLCHECK ? "" : skipNote("shellcheck", "shellcheck")}`, () => {
  it("every generated *.sh passes shellcheck", () => {
    const scripts = allScripts();
    expect(scripts.map((s) => s.path).sort()).toEqual([
      "nginx/certbot/doodba-certbot.sh",
      "nginx/docker-entrypoint.d/40-doodba-tls.sh",
      "nginx/docker-entrypoint.d/50-doodba-watch.sh",
    ]);
    const dir = tempDir("doodba-ops-shellcheck-");
    writeFiles(dir, scripts);
    const r = run("shellcheck", ["--severity=style", ...scripts.map((s) => join(dir, s.path))]);
    expect(r.out).toBe("");
    expect(r.status).toBe(0);
  });
});

describe.skipIf(!OPENSSL)(`the certificate script, run for real${OPENSSL ? "" : skipNote("openssl", "openssl")}`, () => {
  const scripts = allScripts();
  const dir = tempDir("doodba-ops-tls-script-");
  writeFiles(dir, scripts);
  const script = join(dir, "nginx/docker-entrypoint.d/40-doodba-tls.sh");
  const tlsDir = join(dir, "tls");
  const live = join(dir, "letsencrypt", "live", "erp.acme.example");
  const env = { DOODBA_TLS_DIR: tlsDir, DOODBA_TLS_NAMES: "erp.acme.example www.erp.acme.example", DOODBA_TLS_LIVE_DIR: live };

  it("GIVEN no certificate THEN it makes a self-signed one for the names, with a private key only root can read", () => {
    const r = run("sh", [script], { env });
    expect(r.status, r.out).toBe(0);
    const text = run("openssl", ["x509", "-in", join(tlsDir, "fullchain.pem"), "-noout", "-subject", "-ext", "subjectAltName"]).out;
    expect(text).toMatch(/CN\s*=\s*erp\.acme\.example/);
    expect(text).toMatch(/DNS:erp\.acme\.example, DNS:www\.erp\.acme\.example/);
    expect(run("stat", ["-c", "%a", join(tlsDir, "privkey.pem")]).stdout.trim()).toBe("600");
    expect(run("openssl", ["pkey", "-in", join(tlsDir, "privkey.pem"), "-noout"]).status).toBe(0);
  });

  it("GIVEN a valid certificate THEN a second run keeps it as it is", () => {
    const before = readFileSync(join(tlsDir, "fullchain.pem"), "utf8");
    expect(run("sh", [script], { env }).status).toBe(0);
    expect(readFileSync(join(tlsDir, "fullchain.pem"), "utf8")).toBe(before);
  });

  it("GIVEN certbot's certificate appears in the live folder THEN nginx's files point to it", () => {
    mkdirSync(live, { recursive: true });
    const real = makeCert(dirname(live), ["erp.acme.example"]);
    writeFileSync(join(live, "fullchain.pem"), readFileSync(real.cert));
    writeFileSync(join(live, "privkey.pem"), readFileSync(real.key));
    const r = run("sh", [script], { env });
    expect(r.status, r.out).toBe(0);
    expect(r.stdout).toMatch(/using the certificate in/);
    expect(realpathSync(join(tlsDir, "fullchain.pem"))).toBe(realpathSync(join(live, "fullchain.pem")));
    expect(realpathSync(join(tlsDir, "privkey.pem"))).toBe(realpathSync(join(live, "privkey.pem")));
  });

  it("GIVEN the live certificate disappears THEN it falls back to a fresh self-signed one (no dangling link)", () => {
    rmSync(join(dir, "letsencrypt"), { recursive: true, force: true });
    const r = run("sh", [script], { env });
    expect(r.status, r.out).toBe(0);
    expect(r.stdout).toMatch(/self-signed/);
    expect(run("openssl", ["x509", "-in", join(tlsDir, "fullchain.pem"), "-noout"]).status).toBe(0);
  });
});

describe.skipIf(!OPENSSL)(`the reload watcher, run for real with a recording nginx test double${OPENSSL ? "" : skipNote("openssl", "openssl")}`, () => {
  it("GIVEN nothing changes THEN no reload; GIVEN the certificate changes THEN it runs nginx -t and nginx -s reload", async () => {
    const dir = tempDir("doodba-ops-watch-");
    writeFiles(dir, allScripts());
    const bin = join(dir, "bin");
    mkdirSync(bin);
    const calls = join(dir, "nginx-calls.log");
    // Test double for the nginx binary: records its arguments.
    writeFileSync(join(bin, "nginx"), `#!/bin/sh\necho "$*" >> '${calls}'\n`, { mode: 0o755 });
    const tlsDir = join(dir, "tls");
    const live = join(dir, "live");
    const env = {
      ...process.env,
      PATH: `${bin}:${PATH}`,
      DOODBA_WATCH_INTERVAL: "1",
      DOODBA_TLS_DIR: tlsDir,
      DOODBA_TLS_NAMES: "erp.acme.example",
      DOODBA_TLS_LIVE_DIR: live,
      DOODBA_TLS_SCRIPT: join(dir, "nginx/docker-entrypoint.d/40-doodba-tls.sh"),
      DOODBA_UPSTREAM_HOSTS: "localhost",
    };
    expect(run("sh", [env.DOODBA_TLS_SCRIPT], { env }).status).toBe(0);
    // The watcher backgrounds itself and exits; its loop stays in the process group of `sh`.
    const starter = spawn("sh", [join(dir, "nginx/docker-entrypoint.d/50-doodba-watch.sh")], { env, detached: true, stdio: "ignore" });
    const pgid = starter.pid ?? 0;
    const reloads = (): number => (existsSync(calls) ? readFileSync(calls, "utf8").split("\n").filter((l) => l === "-s reload").length : 0);
    try {
      await new Promise((r) => setTimeout(r, 2500));
      expect(reloads(), "nothing changed: no reload").toBe(0);
      mkdirSync(live, { recursive: true });
      const real = makeCert(dir, ["erp.acme.example"]);
      writeFileSync(join(live, "fullchain.pem"), readFileSync(real.cert));
      writeFileSync(join(live, "privkey.pem"), readFileSync(real.key));
      for (let i = 0; i < 100 && reloads() === 0; i++) await new Promise((r) => setTimeout(r, 100));
      expect(reloads()).toBe(1);
      expect(readFileSync(calls, "utf8").split("\n").filter(Boolean)).toEqual(["-t -q", "-s reload"]);
      expect(realpathSync(join(tlsDir, "fullchain.pem"))).toBe(realpathSync(join(live, "fullchain.pem")));
    } finally {
      try {
        process.kill(-pgid, "SIGTERM");
      } catch {
        // already gone
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------
// End to end with the scaffold and the real check

const NOW = new Date("2026-11-27T00:00:00Z");

const E2E: Record<string, { a: InitAnswers; eol?: boolean }> = {
  "bundled Let's Encrypt, Odoo 17": { a: answers() },
  "bundled own certificate files, Odoo 18": {
    a: answers({
      odooVersion: "18.0",
      envs: [ENVS[0] as EnvAnswers, ENVS[1] as EnvAnswers, { name: "prod", kind: "prod", domains: ["erp.acme.example"], tls: "files" }],
    }),
  },
  "bundled, admin CIDR for the database manager, Odoo 16": { a: answers({ odooVersion: "16.0", postgresVersion: "15", dbManagerAllow: ["192.0.2.0/24"] }), eol: true },
  "bundled, Odoo 15 (longpolling)": { a: answers({ odooVersion: "15.0", postgresVersion: "14" }), eol: true },
  "shared host nginx, Odoo 17": { a: answers({ proxyBundled: false }) },
  "shared host nginx, Odoo 16": { a: answers({ proxyBundled: false, odooVersion: "16.0", postgresVersion: "15" }), eol: true },
};

describe("generated nginx projects pass the real check", () => {
  it.each(Object.entries(E2E))("%s: zero findings in prod and test, and the proxy analysis sees the routes", async (_name, { a, eol }) => {
    const { planInit, generateSecrets } = await import("../../src/generate/scaffold.js");
    const { runCheck } = await import("../../src/check/index.js");
    const { loadProject } = await import("../../src/project/index.js");
    const { nodePlatform } = await import("../../src/platform/index.js");
    let n = 0;
    const plan = planInit(a, generateSecrets((k) => Buffer.alloc(k, ++n)));
    const dir = tempDir("doodba-ops-init-nginx-");
    writeFiles(dir, plan.files);
    for (const d of plan.dirs ?? []) mkdirSync(join(dir, d), { recursive: true });

    // Odoo 15/16 are past Odoo S.A. support (and PostgreSQL 14 past its end of life) on NOW: true
    // findings about the chosen versions, not about the proxy.
    const skip = eol ? ["odoo-version-end-of-life", "postgres-end-of-life"] : [];
    const report = runCheck({ ...nodePlatform(), environ: {} }, { dir, envs: ["prod", "test"], now: NOW, noConfig: true, skip });
    expect(report.ruleErrors).toEqual([]);
    expect(report.findings.map((f) => `${f.ruleId} ${formatPos(f.pos)} ${f.message}`)).toEqual([]);

    const project = loadProject(dir, { environ: {} });
    const bus = Number.parseInt(a.odooVersion, 10) >= 16 ? "/websocket" : "/longpolling";
    for (const envName of ["prod", "test"]) {
      const env = project.envs[envName];
      expect(env, envName).toBeDefined();
      if (!env) continue;
      const p = analyzeProxy(env, project);
      expect(p.present, envName).toBe(true);
      expect(p.dbManagerBlocked, `${envName}: /web/database blocked or allow-listed`).toBe(true);
      const odoo = p.routes.filter((r) => r.service === "odoo" && r.kind === "nginx");
      expect(odoo.some((r) => r.pathPrefix === bus && r.port === 8072 && r.tls === true), `${envName}: ${bus} -> 8072 over TLS`).toBe(true);
      expect(odoo.some((r) => r.pathPrefix === undefined && r.port === 8069 && r.tls === true), `${envName}: / -> 8069 over TLS`).toBe(true);
      expect(odoo.every((r) => r.tls === true), `${envName}: no plain-HTTP route to Odoo`).toBe(true);
      if (envName === "prod") expect(p.hsts.some((h) => h.present && (h.maxAge ?? 0) >= 15768000)).toBe(true);
    }
  });
});
