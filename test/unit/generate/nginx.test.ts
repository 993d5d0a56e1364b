/**
 * Structure of the nginx proxy renderer's output (src/generate/proxy/nginx.ts): the site read back
 * with the check's own nginx parser, the compose services, the files and the notes. The real
 * nginx, openssl and shellcheck runs are in test/integration/init-nginx.test.ts.
 */
import { describe, expect, it } from "vitest";
import { findDirectives, parseNginx, type NginxDirective } from "../../../src/check/lib/proxy.js";
import { UserError } from "../../../src/errors.js";
import {
  CERTBOT_IMAGE,
  NGINX_IMAGE,
  renderNginx,
  renderNginxSite,
  sharedHostPorts,
  siteId,
  type NginxSiteOptions,
} from "../../../src/generate/proxy/nginx.js";
import type { EnvAnswers, InitAnswers, ProxyContext, ProxyRender } from "../../../src/generate/types.js";
import { GiB, sizeOdoo } from "../../../src/tune/odoo.js";

const ENVS: EnvAnswers[] = [
  { name: "devel", kind: "devel", domains: [], tls: "none" },
  { name: "test", kind: "test", domains: ["test.erp.acme.example"], tls: "self-signed" },
  { name: "prod", kind: "prod", domains: ["erp.acme.example", "www.erp.acme.example"], tls: "letsencrypt" },
];

function answers(over: Partial<InitAnswers> = {}): InitAnswers {
  return {
    projectName: "acme-erp",
    odooVersion: "17.0",
    postgresVersion: "16",
    proxy: "nginx",
    proxyBundled: true,
    envs: ENVS,
    letsencryptEmail: "ops@acme.example",
    dbManagerAllow: [],
    host: { cpus: 4, ramGiB: 8 },
    users: 50,
    emailFrom: "odoo@acme.example",
    ...over,
  };
}

const sizing = sizeOdoo({ cpus: 4, ramBytes: 8 * GiB }, { users: 50 });

function ctx(a: InitAnswers, envName = "prod"): ProxyContext {
  const env = a.envs.find((e) => e.name === envName);
  if (!env) throw new Error(`no env ${envName}`);
  const major = Number.parseInt(a.odooVersion, 10);
  return {
    answers: a,
    env,
    sizing,
    odooService: "odoo",
    httpPort: 8069,
    geventPort: 8072,
    busPath: major >= 16 ? "/websocket" : "/longpolling",
    frontendNetwork: "frontend",
  };
}

function siteOf(r: ProxyRender): { path: string; dirs: NginxDirective[]; text: string } {
  const f = r.files.find((x) => x.path.endsWith(".conf"));
  if (!f) throw new Error("no .conf file rendered");
  return { path: f.path, dirs: parseNginx(f.content, f.path), text: f.content };
}

const arg = (d: NginxDirective | undefined, i = 0): string | undefined => d?.args[i];
const child = (block: NginxDirective[] | undefined, name: string): NginxDirective[] => (block ?? []).filter((d) => d.name === name);

function servers(dirs: NginxDirective[]): NginxDirective[] {
  return findDirectives(dirs, "server").filter((s) => s.block !== undefined);
}
function tlsServer(dirs: NginxDirective[]): NginxDirective {
  const s = servers(dirs).find((x) => child(x.block, "listen").some((l) => l.args.includes("ssl")) && child(x.block, "location").length > 0);
  if (!s) throw new Error("no TLS server with locations");
  return s;
}
function location(server: NginxDirective, ...args: string[]): NginxDirective {
  const l = child(server.block, "location").find((x) => x.args.join(" ") === args.join(" "));
  if (!l) throw new Error(`no location ${args.join(" ")}`);
  return l;
}
function upstreamServers(dirs: NginxDirective[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const u of findDirectives(dirs, "upstream")) m.set(arg(u) ?? "", arg(child(u.block, "server")[0]) ?? "");
  return m;
}
function proxiedTo(dirs: NginxDirective[], loc: NginxDirective): string | undefined {
  const pass = arg(child(loc.block, "proxy_pass")[0]);
  const name = pass?.replace(/^http:\/\//, "");
  return name === undefined ? undefined : upstreamServers(dirs).get(name);
}
function headersSet(loc: NginxDirective): Map<string, string> {
  return new Map(child(loc.block, "proxy_set_header").map((d) => [d.args[0] ?? "", d.args.slice(1).join(" ")]));
}

const FORWARDED = {
  "X-Forwarded-Host": "$host",
  "X-Forwarded-For": "$proxy_add_x_forwarded_for",
  "X-Forwarded-Proto": "$scheme",
  "X-Real-IP": "$remote_addr",
};

describe("renderNginx, bundled, Let's Encrypt (Odoo 17 prod)", () => {
  const r = renderNginx(ctx(answers()));
  const site = siteOf(r);
  const tls = tlsServer(site.dirs);

  it("GIVEN the bus path WHEN a websocket arrives THEN it goes to Odoo's gevent port with the upgrade headers", () => {
    const bus = location(tls, "/websocket");
    expect(proxiedTo(site.dirs, bus)).toBe("odoo:8072");
    const h = headersSet(bus);
    expect(h.get("Upgrade")).toBe("$http_upgrade");
    const connVar = h.get("Connection") ?? "";
    const map = findDirectives(site.dirs, "map").find((m) => m.args[1] === connVar);
    expect(arg(map), "Connection comes from a map over $http_upgrade").toBe("$http_upgrade");
    expect(child(map?.block, "default")[0]?.args).toEqual(["upgrade"]);
  });

  it("GIVEN everything else THEN `/` goes to Odoo's HTTP port", () => {
    expect(proxiedTo(site.dirs, location(tls, "/"))).toBe("odoo:8069");
  });

  it("THEN every proxying location sets X-Forwarded-Host/For/Proto and X-Real-IP itself (a location's proxy_set_header cancels the server's)", () => {
    const proxying = findDirectives(site.dirs, "location").filter((l) => child(l.block, "proxy_pass").length > 0);
    expect(proxying.length).toBeGreaterThanOrEqual(2);
    for (const l of proxying) {
      const h = headersSet(l);
      for (const [k, v] of Object.entries(FORWARDED)) expect(h.get(k), `${l.args.join(" ")} ${k}`).toBe(v);
    }
  });

  it("THEN /web/database is refused without reaching Odoo when no admin CIDR is given", () => {
    const db = location(tls, "~*", "^/web/database");
    expect(child(db.block, "return")[0]?.args).toEqual(["403"]);
    expect(child(db.block, "proxy_pass")).toEqual([]);
  });

  it("THEN TLS is modern only, HSTS has a year, and the security headers are always sent", () => {
    const b = tls.block ?? [];
    expect(child(b, "ssl_protocols")[0]?.args).toEqual(["TLSv1.2", "TLSv1.3"]);
    const ciphers = arg(child(b, "ssl_ciphers")[0]) ?? "";
    expect(ciphers).not.toMatch(/RC4|3DES|DES-CBC|MD5|NULL|EXPORT|CBC/i);
    expect(child(b, "ssl_session_cache")[0]?.args[0]).toMatch(/^shared:/);
    const headers = new Map(child(b, "add_header").map((d) => [d.args[0] ?? "", d.args.slice(1)]));
    const hsts = headers.get("Strict-Transport-Security") ?? [];
    expect(Number(/max-age=(\d+)/.exec(hsts[0] ?? "")?.[1])).toBeGreaterThanOrEqual(31536000);
    for (const name of ["Strict-Transport-Security", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy"]) {
      expect(headers.get(name)?.at(-1), `${name} always`).toBe("always");
    }
    // the values come from maps over Odoo's own header: ours only when Odoo sends none
    expect(site.text).toMatch(/map \$upstream_http_x_frame_options \$\w+ \{\n(?:\s*#.*\n)*\s*"" +SAMEORIGIN;/);
    expect(site.text).toMatch(/map \$upstream_http_x_content_type_options \$\w+ \{\n\s*"" +nosniff;/);
    expect(site.text).toMatch(/map \$upstream_http_referrer_policy \$\w+ \{\n\s*"" +strict-origin-when-cross-origin;/);
  });

  it("THEN timeouts follow the sizing, bodies may be 128m, the session cookie is secure + lax, text is gzipped", () => {
    const b = tls.block ?? [];
    expect(arg(child(b, "proxy_read_timeout")[0])).toBe(`${sizing.proxyTimeout}s`);
    expect(arg(child(b, "proxy_send_timeout")[0])).toBe(`${sizing.proxyTimeout}s`);
    expect(sizing.proxyTimeout).toBeGreaterThan(sizing.limitTimeReal);
    expect(Number.parseInt(arg(child(b, "proxy_connect_timeout")[0]) ?? "", 10)).toBeLessThanOrEqual(sizing.proxyTimeout);
    expect(arg(child(b, "client_max_body_size")[0])).toBe("128m");
    expect(child(b, "proxy_cookie_flags")[0]?.args).toEqual(["session_id", "samesite=lax", "secure"]);
    expect(arg(child(b, "gzip")[0])).toBe("on");
    const types = child(b, "gzip_types")[0]?.args ?? [];
    for (const t of ["text/css", "application/javascript", "application/json", "text/xml", "image/svg+xml"]) expect(types).toContain(t);
    expect(types, "text/html is implicit; listing it makes nginx warn").not.toContain("text/html");
  });

  it("THEN port 80 serves ACME challenges from certbot's webroot, a local health check, and redirects the rest to https", () => {
    const plain = servers(site.dirs).find((s) => child(s.block, "listen").some((l) => l.args[0] === "80"));
    expect(plain).toBeDefined();
    if (!plain) return;
    const acme = location(plain, "^~", "/.well-known/acme-challenge/");
    const webroot = arg(child(acme.block, "root")[0]);
    const certbotVolumes = (r.services.certbot?.volumes ?? []) as string[];
    const nginxVolumes = (r.services.nginx?.volumes ?? []) as string[];
    const shared = certbotVolumes.find((v) => v.endsWith(`:${webroot}`));
    expect(shared, "certbot writes the webroot nginx serves").toBeDefined();
    expect(nginxVolumes).toContain(`${shared?.split(":")[0]}:${webroot}:ro`);
    const health = location(plain, "=", "/nginx-health");
    expect(child(health.block, "allow")[0]?.args).toEqual(["127.0.0.1"]);
    expect(child(health.block, "deny")[0]?.args).toEqual(["all"]);
    expect(child(location(plain, "/").block, "return")[0]?.args).toEqual(["301", "https://$host$request_uri"]);
    expect(child(plain.block, "location").filter((l) => child(l.block, "proxy_pass").length > 0)).toEqual([]);
  });

  it("THEN TLS handshakes for other names are refused by a default server", () => {
    const reject = servers(site.dirs).find((s) => child(s.block, "ssl_reject_handshake").length > 0);
    expect(child(reject?.block, "listen")[0]?.args).toContain("default_server");
    expect(child(tls.block, "server_name")[0]?.args).toEqual(["erp.acme.example", "www.erp.acme.example"]);
  });

  it("THEN the nginx service is pinned, restarts, is limited, health-checked, on the frontend network, and publishes only 80/443", () => {
    const n = r.services.nginx ?? {};
    expect(n.image).toBe(NGINX_IMAGE);
    expect(NGINX_IMAGE).toMatch(/^nginx:\d+\.\d+/);
    expect(n.restart).toBe("unless-stopped");
    expect(n.mem_limit).toMatch(/^\d+m$/);
    expect((n.healthcheck as { test: string[] }).test).toEqual(["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1/nginx-health"]);
    expect(n.networks).toEqual(["frontend"]);
    expect(n.ports).toEqual(["80:80", "443:443"]);
    expect(n.depends_on).toEqual(["odoo"]);
    expect(n.privileged).toBeUndefined();
    expect(JSON.stringify(r.services)).not.toMatch(/docker\.sock/);
    expect(r.odooPorts).toEqual([]);
    expect(r.odooLabels).toEqual({});
  });

  it("THEN the site is mounted read-only as the image's default.conf and every bind-mounted file is in the plan", () => {
    const vols = (r.services.nginx?.volumes ?? []) as string[];
    expect(vols).toContain(`./${site.path}:/etc/nginx/conf.d/default.conf:ro`);
    const all = Object.values(r.services).flatMap((s) => (s.volumes ?? []) as string[]);
    for (const v of all.filter((x) => x.startsWith("./"))) {
      const [src, , mode] = v.split(":");
      expect(mode, v).toBe("ro");
      expect(r.files.map((f) => f.path)).toContain(src?.slice(2));
    }
    for (const v of all.filter((x) => !x.startsWith("./") && !x.startsWith("/"))) {
      expect(Object.keys(r.volumes), v).toContain(v.split(":")[0]);
    }
  });

  it("THEN the entrypoint scripts are executable, in /docker-entrypoint.d, and the placeholder script runs before the watcher", () => {
    const scripts = r.files.filter((f) => f.path.endsWith(".sh"));
    expect(scripts.map((f) => f.path).sort()).toEqual([
      "nginx/certbot/doodba-certbot.sh",
      "nginx/docker-entrypoint.d/40-doodba-tls.sh",
      "nginx/docker-entrypoint.d/50-doodba-watch.sh",
    ]);
    for (const s of scripts) {
      expect(s.mode, s.path).toBe(0o755);
      expect(s.content.startsWith("#!/bin/sh\n"), s.path).toBe(true);
    }
    const targets = ((r.services.nginx?.volumes ?? []) as string[]).map((v) => v.split(":")[1] ?? "").filter((t) => t.startsWith("/docker-entrypoint.d/"));
    expect(targets).toEqual(["/docker-entrypoint.d/40-doodba-tls.sh", "/docker-entrypoint.d/50-doodba-watch.sh"]);
  });

  it("THEN certbot is pinned, restarts, is limited and health-checked, holds no socket, waits for nginx, and shares the certificates read-only with nginx", () => {
    const c = r.services.certbot ?? {};
    expect(c.image).toBe(CERTBOT_IMAGE);
    expect(CERTBOT_IMAGE).not.toMatch(/:(latest|nightly)$/);
    expect(c.restart).toBe("unless-stopped");
    expect(c.mem_limit).toMatch(/^\d+m$/);
    expect(c.healthcheck).toBeDefined();
    expect(c.depends_on).toEqual({ nginx: { condition: "service_healthy" } });
    expect((c.environment as Record<string, string>).LETSENCRYPT_EMAIL).toBe("ops@acme.example");
    expect((c.environment as Record<string, string>).DOODBA_TLS_NAMES).toBe("erp.acme.example www.erp.acme.example");
    expect(c.volumes).toContain("letsencrypt:/etc/letsencrypt");
    expect(r.services.nginx?.volumes).toContain("letsencrypt:/etc/letsencrypt:ro");
    expect((r.services.nginx?.environment as Record<string, string>).DOODBA_TLS_LIVE_DIR).toBe("/etc/letsencrypt/live/erp.acme.example");
    expect(c.networks).toEqual(["egress"]);
    expect(r.networks).toEqual({ egress: {} });
  });

  it("THEN HSTS leaves out includeSubDomains, and says why, because test lives on a self-signed sub-domain", () => {
    expect(site.text).toMatch(/Strict-Transport-Security "max-age=31536000" always;/);
    expect(r.notes.join("\n")).toMatch(/without includeSubDomains because test \(test\.erp\.acme\.example\)/);
  });

  it("THEN the same answers render the same bytes (golden-file friendly)", () => {
    expect(renderNginx(ctx(answers()))).toEqual(r);
    expect(JSON.stringify(r)).not.toMatch(/20\d\d-\d\d-\d\d/);
  });
});

describe("renderNginx variants", () => {
  it("GIVEN Odoo 15 THEN the bus is /longpolling on the gevent port", () => {
    const r = renderNginx(ctx(answers({ odooVersion: "15.0" })));
    const site = siteOf(r);
    const bus = location(tlsServer(site.dirs), "/longpolling");
    expect(proxiedTo(site.dirs, bus)).toBe("odoo:8072");
    expect(site.text).not.toMatch(/location \/websocket/);
  });

  it("GIVEN admin CIDRs THEN /web/database is allowed from them only and proxied with the forwarded headers", () => {
    const r = renderNginx(ctx(answers({ dbManagerAllow: ["192.0.2.0/24", "2001:db8::/32"] })));
    const site = siteOf(r);
    const db = location(tlsServer(site.dirs), "~*", "^/web/database");
    expect(child(db.block, "allow").map((d) => d.args[0])).toEqual(["192.0.2.0/24", "2001:db8::/32"]);
    expect(child(db.block, "deny")[0]?.args).toEqual(["all"]);
    const names = (db.block ?? []).map((d) => d.name);
    expect(names.indexOf("deny")).toBeGreaterThan(names.lastIndexOf("allow"));
    expect(proxiedTo(site.dirs, db)).toBe("odoo:8069");
    for (const [k, v] of Object.entries(FORWARDED)) expect(headersSet(db).get(k)).toBe(v);
    expect(r.notes.join("\n")).toMatch(/only 192\.0\.2\.0\/24, 2001:db8::\/32 reach \/web\/database/);
  });

  it("GIVEN no sibling environment on a self-signed sub-domain THEN HSTS includes sub-domains", () => {
    const envs: EnvAnswers[] = [
      { name: "test", kind: "test", domains: ["erp-test.acme.example"], tls: "self-signed" },
      { name: "prod", kind: "prod", domains: ["erp.acme.example"], tls: "letsencrypt" },
    ];
    const r = renderNginx(ctx(answers({ envs })));
    expect(siteOf(r).text).toMatch(/Strict-Transport-Security "max-age=31536000; includeSubDomains" always;/);
    expect(r.notes.join("\n")).not.toMatch(/includeSubDomains/);
  });

  it("GIVEN own certificate files THEN they are mounted read-only where the site reads them, without certbot or placeholder", () => {
    const envs: EnvAnswers[] = [{ name: "prod", kind: "prod", domains: ["erp.acme.example"], tls: "files" }];
    const r = renderNginx(ctx(answers({ envs, tlsCertFile: "/etc/ssl/acme/erp.crt", tlsKeyFile: "/etc/ssl/acme/erp.key" })));
    const tls = tlsServer(siteOf(r).dirs);
    const cert = arg(child(tls.block, "ssl_certificate")[0]);
    const key = arg(child(tls.block, "ssl_certificate_key")[0]);
    expect(r.services.nginx?.volumes).toContain(`/etc/ssl/acme/erp.crt:${cert}:ro`);
    expect(r.services.nginx?.volumes).toContain(`/etc/ssl/acme/erp.key:${key}:ro`);
    expect(r.services.certbot).toBeUndefined();
    expect(r.files.map((f) => f.path)).not.toContain("nginx/docker-entrypoint.d/40-doodba-tls.sh");
    expect(r.files.map((f) => f.path)).toContain("nginx/docker-entrypoint.d/50-doodba-watch.sh");
    expect(r.volumes).toEqual({});
  });

  it("GIVEN a self-signed test environment THEN the placeholder script makes the certificate and keeps it in a volume", () => {
    const r = renderNginx(ctx(answers(), "test"));
    expect(r.services.certbot).toBeUndefined();
    expect(r.services.nginx?.volumes).toContain("nginx-tls:/etc/nginx/tls");
    expect(r.volumes).toEqual({ "nginx-tls": {} });
    expect((r.services.nginx?.environment as Record<string, string>).DOODBA_TLS_NAMES).toBe("test.erp.acme.example");
    expect((r.services.nginx?.environment as Record<string, string>).DOODBA_TLS_LIVE_DIR).toBeUndefined();
    const site = siteOf(r);
    expect(site.path).toBe("nginx/test.conf");
    expect(location(tlsServer(site.dirs), "~*", "^/web/database")).toBeDefined();
  });

  it("GIVEN a non-production environment without TLS THEN port 80 proxies to Odoo and no cookie is marked secure", () => {
    const envs: EnvAnswers[] = [{ name: "staging", kind: "test", domains: ["staging.acme.example"], tls: "none" }];
    const r = renderNginx(ctx(answers({ envs }), "staging"));
    const site = siteOf(r);
    const all = servers(site.dirs);
    expect(all).toHaveLength(1);
    const plain = all[0] as NginxDirective;
    expect(proxiedTo(site.dirs, location(plain, "/websocket"))).toBe("odoo:8072");
    expect(child(location(plain, "~*", "^/web/database").block, "return")[0]?.args).toEqual(["403"]);
    expect(child(plain.block, "proxy_cookie_flags")[0]?.args).toEqual(["session_id", "samesite=lax"]);
    expect(site.text).not.toMatch(/Strict-Transport-Security/);
    expect(r.services.nginx?.ports).toEqual(["80:80"]);
  });

  it("GIVEN the same project WHEN prod and test render their scripts THEN the shared files are byte-identical (the scaffold keeps one)", () => {
    const a = answers();
    const prod = renderNginx(ctx(a, "prod"));
    const test = renderNginx(ctx(a, "test"));
    for (const f of test.files.filter((x) => x.path.endsWith(".sh"))) {
      expect(prod.files.find((x) => x.path === f.path)?.content, f.path).toBe(f.content);
    }
    expect(siteOf(prod).path).not.toBe(siteOf(test).path);
  });
});

describe("renderNginx for a shared host nginx", () => {
  const a = answers({ proxyBundled: false });
  const r = renderNginx(ctx(a));
  const site = siteOf(r);

  it("GIVEN prod THEN Odoo publishes its two ports on loopback only and the site's upstreams use them", () => {
    expect(r.odooPorts).toEqual(["127.0.0.1:18069:8069", "127.0.0.1:18072:8072"]);
    const ups = [...upstreamServers(site.dirs).values()].sort();
    expect(ups).toEqual(["127.0.0.1:18069", "127.0.0.1:18072"]);
    expect(proxiedTo(site.dirs, location(tlsServer(site.dirs), "/websocket"))).toBe("127.0.0.1:18072");
  });

  it("THEN no service, volume or network is added, the file is named after project and env, and names are unique to it", () => {
    expect(r.services).toEqual({});
    expect(r.volumes).toEqual({});
    expect(r.networks).toEqual({});
    expect(site.path).toBe("nginx/acme-erp-prod.conf");
    for (const u of findDirectives(site.dirs, "upstream")) expect(arg(u)).toMatch(/^odoo_acme_erp_prod_/);
    expect(site.text).not.toMatch(/default_server/);
    expect(site.text).not.toMatch(/ssl_reject_handshake/);
  });

  it("THEN the certificate is certbot's on the host, and the notes say how to get it and where to include the file", () => {
    const tls = tlsServer(site.dirs);
    expect(arg(child(tls.block, "ssl_certificate")[0])).toBe("/etc/letsencrypt/live/erp.acme.example/fullchain.pem");
    const notes = r.notes.join("\n");
    expect(notes).toMatch(/certbot certonly --nginx --cert-name erp\.acme\.example -d erp\.acme\.example -d www\.erp\.acme\.example/);
    expect(notes).toMatch(/nginx\/acme-erp-prod\.conf/);
    expect(notes).toMatch(/127\.0\.0\.1:18069/);
  });

  it("GIVEN several environments THEN each gets its own stable loopback ports", () => {
    const envs: EnvAnswers[] = [
      ...ENVS,
      { name: "staging", kind: "test", domains: ["staging.acme.example"], tls: "self-signed" },
      { name: "preprod", kind: "prod", domains: ["pre.acme.example"], tls: "letsencrypt" },
    ];
    const b = answers({ proxyBundled: false, envs });
    const port = (n: string): number => sharedHostPorts(b, envs.find((e) => e.name === n) as EnvAnswers).http;
    expect([port("prod"), port("test"), port("staging"), port("preprod")]).toEqual([18069, 28069, 38069, 48069]);
    expect(sharedHostPorts(b, envs[2] as EnvAnswers).gevent).toBe(18072);
  });

  it("GIVEN more served environments than loopback slots THEN a UserError says what to do", () => {
    const envs: EnvAnswers[] = Array.from({ length: 6 }, (_, i) => ({ name: `e${i}`, kind: "test" as const, domains: [`e${i}.acme.example`], tls: "self-signed" as const }));
    const b = answers({ proxyBundled: false, envs });
    expect(() => renderNginx(ctx(b, "e5"))).toThrow(UserError);
  });
});

describe("renderNginx refuses answers it cannot serve safely", () => {
  it.each<[string, Partial<InitAnswers>, string]>([
    ["production without TLS", { envs: [{ name: "prod", kind: "prod", domains: ["erp.acme.example"], tls: "none" }] }, "prod"],
    ["Let's Encrypt without an e-mail", { letsencryptEmail: undefined }, "prod"],
    ["Let's Encrypt without a domain", { envs: [{ name: "prod", kind: "prod", domains: [], tls: "letsencrypt" }] }, "prod"],
    ["certificate files without paths", { envs: [{ name: "prod", kind: "prod", domains: ["erp.acme.example"], tls: "files" }] }, "prod"],
    ["a shared proxy without a domain", { proxyBundled: false, envs: [{ name: "test", kind: "test", domains: [], tls: "self-signed" }] }, "test"],
    ["a domain that would inject config", { envs: [{ name: "prod", kind: "prod", domains: ["erp.acme.example; return 200"], tls: "letsencrypt" }] }, "prod"],
    ["an allow-list entry that would inject config", { dbManagerAllow: ["10.0.0.0/8; allow all"] }, "prod"],
    ["a certificate path with a space", { tlsCertFile: "/etc/ssl/my cert.pem", tlsKeyFile: "/k", envs: [{ name: "prod", kind: "prod", domains: ["erp.acme.example"], tls: "files" }] }, "prod"],
  ])("GIVEN %s THEN a UserError", (_name, over, env) => {
    expect(() => renderNginx(ctx(answers(over), env))).toThrow(UserError);
  });
});

describe("renderNginxSite with explicit values", () => {
  const base: NginxSiteOptions = {
    id: "t1",
    title: ["test site"],
    serverNames: ["erp.test"],
    httpListen: ["127.0.0.1:8080"],
    tls: { listen: ["127.0.0.1:8443"], certificate: "/tmp/c.pem", certificateKey: "/tmp/k.pem", hsts: { maxAge: 31536000, includeSubDomains: true } },
    ownsListeners: false,
    upstreamHttp: "127.0.0.1:9069",
    upstreamBus: "127.0.0.1:9072",
    busPath: "/websocket",
    proxyTimeout: 130,
    connectTimeout: 5,
    clientMaxBodySize: "64m",
    dbManagerAllow: [],
  };

  it("GIVEN loopback listeners and upstreams THEN they are used as given", () => {
    const dirs = parseNginx(renderNginxSite(base), "x.conf");
    expect(findDirectives(dirs, "listen").map((l) => l.args.join(" "))).toEqual(["127.0.0.1:8080", "127.0.0.1:8443 ssl http2"]);
    expect([...upstreamServers(dirs).values()]).toEqual(["127.0.0.1:9069", "127.0.0.1:9072"]);
    expect(arg(findDirectives(dirs, "proxy_read_timeout")[0])).toBe("130s");
    expect(arg(findDirectives(dirs, "proxy_connect_timeout")[0])).toBe("5s");
    expect(arg(findDirectives(dirs, "client_max_body_size")[0])).toBe("64m");
  });

  it("GIVEN no health path or webroot THEN the HTTP server only redirects", () => {
    const text = renderNginxSite(base);
    expect(text).not.toMatch(/acme-challenge|nginx-health/);
  });

  it("GIVEN an id that is not a safe nginx name THEN it refuses", () => {
    expect(() => renderNginxSite({ ...base, id: "bad-id" })).toThrow();
  });

  it("siteId makes safe, readable names", () => {
    expect(siteId("acme-erp", "prod")).toBe("odoo_acme_erp_prod");
    expect(siteId("x", "Pre-Prod 2")).toBe("odoo_x_pre_prod_2");
  });
});
