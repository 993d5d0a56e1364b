/**
 * The Traefik renderer of `doodba-ops init`: labels, the bundled Traefik and its socket proxy,
 * TLS modes, validation; and what check's own proxy analysis (src/check/lib/proxy.ts) reads
 * back from the rendered labels and flags.
 */
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { analyzeProxy } from "../../../src/check/lib/proxy.js";
import { UserError } from "../../../src/errors.js";
import { ACME_VOLUME, isCidr, renderTraefik, routerPrefix, SOCKET_PROXY_IMAGE, TLS_DYNAMIC_FILE, TRAEFIK_IMAGE } from "../../../src/generate/proxy/traefik.js";
import type { EnvAnswers, InitAnswers, ProxyContext, ProxyRender } from "../../../src/generate/types.js";
import { GiB, sizeOdoo } from "../../../src/tune/odoo.js";
import { cleanupProjects, loadFiles } from "../../helpers/project.js";

afterAll(() => cleanupProjects());

const PROD: EnvAnswers = { name: "prod", kind: "prod", domains: ["erp.acme.example", "www.erp.acme.example"], tls: "letsencrypt" };
const TEST: EnvAnswers = { name: "test", kind: "test", domains: ["test.erp.acme.example"], tls: "self-signed" };

function answers(over: Partial<InitAnswers> = {}): InitAnswers {
  return {
    projectName: "acme",
    odooVersion: "17.0",
    postgresVersion: "16",
    proxy: "traefik",
    proxyBundled: true,
    envs: [{ name: "devel", kind: "devel", domains: [], tls: "none" }, TEST, PROD],
    letsencryptEmail: "ops@acme.example",
    dbManagerAllow: [],
    host: { cpus: 4, ramGiB: 8 },
    users: 50,
    emailFrom: "odoo@acme.example",
    ...over,
  };
}

function ctx(over: Partial<InitAnswers> = {}, env: EnvAnswers = PROD): ProxyContext {
  const a = answers(over);
  const major = Number.parseFloat(a.odooVersion);
  return {
    answers: a,
    env,
    sizing: sizeOdoo({ cpus: a.host.cpus, ramBytes: a.host.ramGiB * GiB }, { users: a.users }),
    odooService: "odoo",
    httpPort: 8069,
    geventPort: 8072,
    busPath: major >= 16 ? "/websocket" : "/longpolling",
    frontendNetwork: a.proxyBundled ? "frontend" : "inverseproxy_shared",
  };
}

/** Labels of one router, keyed by the property after the router name. */
function router(r: ProxyRender, name: string): Record<string, string> {
  const prefix = `traefik.http.routers.${name}.`;
  return Object.fromEntries(Object.entries(r.odooLabels).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

function middleware(r: ProxyRender, name: string): Record<string, string> {
  const prefix = `traefik.http.middlewares.${name}.`;
  return Object.fromEntries(Object.entries(r.odooLabels).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}

function svc(r: ProxyRender, name: string): Record<string, unknown> {
  const s = r.services[name];
  if (!s) throw new Error(`no service ${name} in ${Object.keys(r.services).join(", ")}`);
  return s;
}

function command(r: ProxyRender): string[] {
  return svc(r, "traefik").command as string[];
}

/**
 * A minimal project around one rendered environment, shaped like the scaffold's output (Odoo
 * built from ./odoo, proxy mode on, on backend + frontend), loaded with the real loader.
 */
function projectWith(c: ProxyContext, r: ProxyRender): ReturnType<typeof loadFiles> {
  const env = c.env.name;
  const networks: Record<string, unknown> = { backend: { internal: true } };
  networks[c.frontendNetwork] = c.answers.proxyBundled ? { name: c.frontendNetwork } : { external: true };
  Object.assign(networks, r.networks);
  const compose = {
    services: {
      odoo: {
        build: { context: "./odoo", args: { ODOO_VERSION: c.answers.odooVersion } },
        environment: { PROXY_MODE: "true" },
        labels: r.odooLabels,
        networks: ["backend", c.frontendNetwork],
      },
      ...r.services,
    },
    networks,
    volumes: r.volumes,
  };
  const files: Record<string, string> = {
    "odoo/Dockerfile": `ARG ODOO_VERSION=${c.answers.odooVersion}\nFROM ghcr.io/tecnativa/doodba:\${ODOO_VERSION}-onbuild\n`,
    [`${env}.yaml`]: stringify(compose),
  };
  for (const f of r.files) files[f.path] = f.content;
  return loadFiles(files);
}

function analysis(c: ProxyContext, r: ProxyRender = renderTraefik(c)): ReturnType<typeof analyzeProxy> {
  const p = projectWith(c, r);
  const e = p.envs[c.env.name];
  if (!e) throw new Error(`env ${c.env.name} not loaded: ${p.envNames.join(", ")}`);
  return analyzeProxy(e, p);
}

describe("renderTraefik: routers on the Odoo service", () => {
  it("GIVEN two prod domains WHEN rendered THEN the main router matches both hosts and goes to the HTTP port", () => {
    const r = renderTraefik(ctx());
    const main = router(r, "acme-prod-main");
    expect(main.rule).toBe("Host(`erp.acme.example`) || Host(`www.erp.acme.example`)");
    expect(main.service).toBe("acme-prod-main");
    expect(r.odooLabels["traefik.http.services.acme-prod-main.loadbalancer.server.port"]).toBe("8069");
    expect(r.odooLabels["traefik.enable"]).toBe("true");
    expect(r.odooLabels["traefik.docker.network"]).toBe("frontend");
    expect(r.odooPorts).toEqual([]);
  });

  it.each([
    ["15.0", "/longpolling"],
    ["16.0", "/websocket"],
    ["17.0", "/websocket"],
    ["18.0", "/websocket"],
  ])("GIVEN Odoo %s WHEN rendered THEN the bus router sends %s to the gevent port without compression", (version, path) => {
    const r = renderTraefik(ctx({ odooVersion: version }));
    const bus = router(r, "acme-prod-bus");
    expect(bus.rule).toBe(`(Host(\`erp.acme.example\`) || Host(\`www.erp.acme.example\`)) && PathPrefix(\`${path}\`)`);
    expect(bus.service).toBe("acme-prod-bus");
    expect(r.odooLabels["traefik.http.services.acme-prod-bus.loadbalancer.server.port"]).toBe("8072");
    expect(bus.middlewares).not.toMatch(/compress/);
  });

  it("GIVEN one domain WHEN rendered THEN path rules need no parentheses", () => {
    const r = renderTraefik(ctx({}, TEST));
    expect(router(r, "acme-test-bus").rule).toBe("Host(`test.erp.acme.example`) && PathPrefix(`/websocket`)");
  });

  it("GIVEN no admin CIDR WHEN rendered THEN /web/database has a router that outranks the main one and allows nobody", () => {
    const r = renderTraefik(ctx());
    const db = router(r, "acme-prod-dbmanager");
    const main = router(r, "acme-prod-main");
    expect(db.rule).toContain("PathPrefix(`/web/database`)");
    // Traefik's default priority is the rule's length: the db-manager rule is the main rule plus a path.
    expect(db.rule?.length ?? 0).toBeGreaterThan(main.rule?.length ?? 0);
    expect(db.priority).toBeUndefined();
    expect(db.middlewares?.split(", ")[0]).toBe("acme-prod-dbmanager-allow");
    expect(middleware(r, "acme-prod-dbmanager-allow")).toEqual({ "ipAllowList.sourceRange": "127.0.0.1/32" });
  });

  it("GIVEN admin CIDRs WHEN rendered THEN only they may reach /web/database", () => {
    const r = renderTraefik(ctx({ dbManagerAllow: ["10.8.0.0/24", "2001:db8::/48"] }));
    expect(middleware(r, "acme-prod-dbmanager-allow")).toEqual({ "ipAllowList.sourceRange": "10.8.0.0/24,2001:db8::/48" });
    expect(r.notes.join("\n")).toContain("answers only to 10.8.0.0/24, 2001:db8::/48");
  });

  it("GIVEN TLS WHEN rendered THEN plain HTTP is redirected to https permanently by its own router, which sends the main router's headers too", () => {
    const r = renderTraefik(ctx());
    const http = router(r, "acme-prod-http");
    expect(http.rule).toBe(router(r, "acme-prod-main").rule);
    expect(http.middlewares).toBe("acme-prod-https-redirect, acme-prod-hsts, acme-prod-security, acme-prod-compress");
    expect(http.tls).toBeUndefined();
    expect(middleware(r, "acme-prod-https-redirect")).toEqual({ "redirectScheme.scheme": "https", "redirectScheme.permanent": "true" });
  });

  it("GIVEN any TLS mode WHEN rendered THEN the main router sends HSTS for a year, nosniff, SAMEORIGIN, a referrer policy and compresses", () => {
    const r = renderTraefik(ctx());
    expect(router(r, "acme-prod-main").middlewares).toBe("acme-prod-hsts, acme-prod-security, acme-prod-compress");
    expect(middleware(r, "acme-prod-hsts")).toEqual({
      "headers.stsSeconds": "31536000",
      "headers.stsIncludeSubdomains": "true",
      "headers.stsPreload": "false",
      "headers.forceSTSHeader": "true",
    });
    expect(middleware(r, "acme-prod-security")).toEqual({
      "headers.contentTypeNosniff": "true",
      "headers.customFrameOptionsValue": "SAMEORIGIN",
      "headers.referrerPolicy": "strict-origin-when-cross-origin",
    });
    expect(middleware(r, "acme-prod-compress")).toEqual({ compress: "true" });
    expect(r.notes.join("\n")).toContain("HSTS (max-age one year, includeSubDomains)");
  });

  it("GIVEN a project name with odd characters and a staging env WHEN prefixed THEN names are lowercase with single dashes", () => {
    expect(routerPrefix("Acme_ERP", "staging.2")).toBe("acme-erp-staging-2");
    const r = renderTraefik(ctx({ projectName: "acme_erp" }, { ...TEST, name: "staging" }));
    expect(Object.keys(r.odooLabels).some((k) => k.startsWith("traefik.http.routers.acme-erp-staging-main."))).toBe(true);
  });

  it("GIVEN the same context twice WHEN rendered THEN the output is identical and label keys are sorted", () => {
    const a = renderTraefik(ctx());
    const b = renderTraefik(ctx());
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    const keys = Object.keys(a.odooLabels);
    expect(keys).toEqual([...keys].sort());
  });
});

describe("renderTraefik: TLS modes", () => {
  it("GIVEN letsencrypt WHEN rendered THEN every TLS router uses the letsencrypt resolver and the bundled Traefik defines it with a volume", () => {
    const r = renderTraefik(ctx());
    for (const name of ["main", "bus", "dbmanager"]) {
      expect(router(r, `acme-prod-${name}`)).toMatchObject({ tls: "true", "tls.certresolver": "letsencrypt", entrypoints: "websecure" });
    }
    expect(command(r)).toEqual(
      expect.arrayContaining([
        "--certificatesresolvers.letsencrypt.acme.email=ops@acme.example",
        "--certificatesresolvers.letsencrypt.acme.storage=/letsencrypt/acme.json",
        "--certificatesresolvers.letsencrypt.acme.httpChallenge.entryPoint=web",
      ]),
    );
    expect(svc(r, "traefik").volumes).toEqual([`${ACME_VOLUME}:/letsencrypt`]);
    expect(r.volumes).toEqual({ [ACME_VOLUME]: {} });
  });

  it("GIVEN self-signed WHEN rendered THEN routers use TLS without a resolver and no ACME is configured", () => {
    const r = renderTraefik(ctx({}, TEST));
    expect(router(r, "acme-test-main").tls).toBe("true");
    expect(router(r, "acme-test-main")["tls.certresolver"]).toBeUndefined();
    expect(command(r).some((f) => f.includes("certificatesresolvers"))).toBe(false);
    expect(r.volumes).toEqual({});
    expect(r.notes.join("\n")).toMatch(/self-signed/);
  });

  it("GIVEN certificate files WHEN rendered THEN a file provider config names them and they are mounted read-only", () => {
    const c = ctx({ tlsCertFile: "/etc/ssl/acme/fullchain.pem", tlsKeyFile: "/etc/ssl/acme/privkey.pem" }, { ...PROD, tls: "files" });
    const r = renderTraefik(c);
    expect(router(r, "acme-prod-main")).toMatchObject({ tls: "true" });
    expect(router(r, "acme-prod-main")["tls.certresolver"]).toBeUndefined();
    expect(command(r)).toContain("--providers.file.filename=/etc/traefik/dynamic/tls.yaml");
    const file = r.files.find((f) => f.path === TLS_DYNAMIC_FILE);
    expect(file?.content).toContain("certFile: /etc/traefik/certs/tls.crt");
    expect(file?.content).toContain("defaultCertificate:");
    expect(svc(r, "traefik").volumes).toEqual([
      { type: "bind", source: `./${TLS_DYNAMIC_FILE}`, target: "/etc/traefik/dynamic/tls.yaml", read_only: true },
      { type: "bind", source: "/etc/ssl/acme/fullchain.pem", target: "/etc/traefik/certs/tls.crt", read_only: true },
      { type: "bind", source: "/etc/ssl/acme/privkey.pem", target: "/etc/traefik/certs/tls.key", read_only: true },
    ]);
  });

  it("GIVEN a test env without TLS WHEN rendered THEN routers serve plain HTTP on web, with no redirect and no HSTS", () => {
    const r = renderTraefik(ctx({}, { ...TEST, tls: "none" }));
    expect(router(r, "acme-test-main")).toMatchObject({ entrypoints: "web", middlewares: "acme-test-security, acme-test-compress" });
    expect(router(r, "acme-test-http")).toEqual({});
    expect(middleware(r, "acme-test-hsts")).toEqual({});
    expect(svc(r, "traefik").ports).toEqual(["80:80"]);
    expect(command(r).some((f) => f.includes("websecure"))).toBe(false);
  });
});

describe("renderTraefik: the bundled Traefik", () => {
  it("GIVEN a bundled proxy WHEN rendered THEN Traefik is pinned, healthy-checked, restarted, memory-limited and publishes only 80/443", () => {
    const t = svc(renderTraefik(ctx()), "traefik");
    expect(TRAEFIK_IMAGE).toMatch(/^traefik:v3\.\d+$/);
    expect(t.image).toBe(TRAEFIK_IMAGE);
    expect(t.ports).toEqual(["80:80", "443:443"]);
    expect(t.healthcheck).toMatchObject({ test: ["CMD", "traefik", "healthcheck", "--ping"] });
    expect(t.restart).toBe("unless-stopped");
    expect(t.mem_limit).toBe("256m");
    expect(t.networks).toEqual(["frontend", "dockersocket"]);
    expect(t.depends_on).toEqual(["dockersocket"]);
    expect(t.privileged).toBeUndefined();
    expect(JSON.stringify(t)).not.toContain("docker.sock");
  });

  it("GIVEN a bundled proxy WHEN rendered THEN its static flags redirect web to websecure, watch Docker through the socket proxy and expose nothing by default", () => {
    const cmd = command(renderTraefik(ctx()));
    expect(cmd).toEqual(
      expect.arrayContaining([
        "--entrypoints.web.address=:80",
        "--entrypoints.web.http.redirections.entryPoint.to=websecure",
        "--entrypoints.web.http.redirections.entryPoint.scheme=https",
        "--entrypoints.websecure.address=:443",
        "--providers.docker.endpoint=tcp://dockersocket:2375",
        "--providers.docker.exposedByDefault=false",
        "--providers.docker.network=frontend",
        "--ping=true",
      ]),
    );
  });

  it("GIVEN a frontend network with its own Docker name WHEN rendered THEN the label, the provider default and Traefik's networks all use that name", () => {
    // Traefik compares traefik.docker.network with Docker's network names, not compose keys.
    const c = { ...ctx(), frontendNetwork: "acme-prod-frontend" };
    const r = renderTraefik(c);
    expect(r.odooLabels["traefik.docker.network"]).toBe("acme-prod-frontend");
    expect(command(r)).toContain("--providers.docker.network=acme-prod-frontend");
    expect(svc(r, "traefik").networks).toEqual(["acme-prod-frontend", "dockersocket"]);
  });

  it("GIVEN the sizing's proxy timeout WHEN rendered THEN read, write and upstream timeouts equal it", () => {
    const c = ctx();
    const t = `${c.sizing.proxyTimeout}s`;
    expect(c.sizing.proxyTimeout).toBeGreaterThan(c.sizing.limitTimeReal);
    expect(command(renderTraefik(c))).toEqual(
      expect.arrayContaining([
        `--entrypoints.websecure.transport.respondingTimeouts.readTimeout=${t}`,
        `--entrypoints.websecure.transport.respondingTimeouts.writeTimeout=${t}`,
        `--serversTransport.forwardingTimeouts.responseHeaderTimeout=${t}`,
      ]),
    );
  });

  it("GIVEN a bundled proxy WHEN rendered THEN the socket proxy alone mounts docker.sock, read-only API, on an internal network", () => {
    const r = renderTraefik(ctx());
    const s = svc(r, "dockersocket");
    expect(s.image).toBe(SOCKET_PROXY_IMAGE);
    expect(SOCKET_PROXY_IMAGE).toMatch(/:\d+\.\d+\.\d+$/);
    expect(s.volumes).toEqual(["/var/run/docker.sock:/var/run/docker.sock:ro"]);
    expect(s.environment).toMatchObject({ CONTAINERS: "1", NETWORKS: "1", POST: "0", SERVICES: "0", TASKS: "0" });
    expect(s.networks).toEqual(["dockersocket"]);
    expect(s.ports).toBeUndefined();
    expect(s).toMatchObject({ restart: "unless-stopped", mem_limit: "128m" });
    expect(r.networks).toEqual({ dockersocket: { internal: true } });
  });
});

describe("renderTraefik: a shared Traefik", () => {
  const shared = (over: Partial<InitAnswers> = {}, env: EnvAnswers = PROD): ProxyRender => renderTraefik(ctx({ proxyBundled: false, ...over }, env));

  it("GIVEN a shared Traefik WHEN rendered THEN only labels are produced, on the inverseproxy_shared network", () => {
    const r = shared();
    expect(r.services).toEqual({});
    expect(r.networks).toEqual({});
    expect(r.volumes).toEqual({});
    expect(r.files).toEqual([]);
    expect(r.odooLabels["traefik.docker.network"]).toBe("inverseproxy_shared");
  });

  it("GIVEN a shared Traefik of unknown version WHEN rendered THEN routers name no entry point and the allow-list is ipWhiteList (Traefik 2 and 3)", () => {
    const r = shared();
    expect(Object.keys(r.odooLabels).some((k) => k.endsWith(".entrypoints"))).toBe(false);
    expect(middleware(r, "acme-prod-dbmanager-allow")).toEqual({ "ipWhiteList.sourceRange": "127.0.0.1/32" });
    expect(router(r, "acme-prod-main")["tls.certresolver"]).toBe("letsencrypt");
  });

  it("GIVEN a shared Traefik WHEN rendered THEN the notes say what it must provide", () => {
    const notes = shared().notes.join("\n");
    expect(notes).toContain("docker network create inverseproxy_shared");
    expect(notes).toContain("certificate resolver named letsencrypt");
    expect(notes).toMatch(/readTimeout and writeTimeout of at least \d+s/);
    expect(notes).toContain("forwardedHeaders");
    const files = shared({ tlsCertFile: "/srv/cert.pem", tlsKeyFile: "/srv/key.pem" }, { ...PROD, tls: "files" }).notes.join("\n");
    expect(files).toContain("/srv/cert.pem");
  });
});

describe("renderTraefik: invalid answers", () => {
  it.each<[string, Partial<InitAnswers>, EnvAnswers, RegExp]>([
    ["no domain", {}, { ...PROD, domains: [] }, /has no domain/],
    ["a URL instead of a host name", {}, { ...PROD, domains: ["https://erp.acme.example"] }, /not a host name/],
    ["a backtick in a domain", {}, { ...PROD, domains: ["erp`.acme.example"] }, /not a host name/],
    ["a bad CIDR", { dbManagerAllow: ["10.0.0.0/33"] }, PROD, /not an IP address or CIDR/],
    ["prod without TLS", {}, { ...PROD, tls: "none" }, /production but its TLS mode is "none"/],
    ["letsencrypt without e-mail", { letsencryptEmail: undefined }, PROD, /no e-mail/],
    ["files without a key", { tlsCertFile: "/c.pem" }, { ...PROD, tls: "files" }, /tlsKeyFile is missing/],
  ])("GIVEN %s WHEN rendered THEN a UserError explains it", (_what, over, env, msg) => {
    let err: unknown;
    try {
      renderTraefik(ctx(over, env));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(msg);
    expect((err as UserError).hint).toBeTruthy();
  });

  it("GIVEN addresses WHEN validated as CIDRs THEN IPv4/IPv6 with or without a prefix pass and garbage fails", () => {
    expect(["203.0.113.7", "10.0.0.0/8", "2001:db8::/32", "::1"].every(isCidr)).toBe(true);
    expect(["10.0.0.0/33", "10.0.0/8", "example.com", "10.0.0.0/8,1.2.3.4", "1.2.3.4/8/1", ""].some(isCidr)).toBe(false);
  });
});

describe("check's proxy analysis reads the rendered Traefik back", () => {
  it.each([
    ["bundled, letsencrypt", {}, PROD],
    ["bundled, self-signed", {}, TEST],
    ["bundled, files", { tlsCertFile: "/etc/ssl/c.pem", tlsKeyFile: "/etc/ssl/k.pem" }, { ...PROD, tls: "files" as const }],
    ["shared, letsencrypt", { proxyBundled: false }, PROD],
    ["shared, admin CIDR", { proxyBundled: false, dbManagerAllow: ["10.8.0.0/24"] }, PROD],
  ])("GIVEN %s WHEN analysed THEN Odoo is routed over TLS, the bus goes to 8072 and /web/database is blocked", (_what, over, env) => {
    const c = ctx(over, env);
    const a = analysis(c);
    expect(a.present).toBe(true);
    expect(a.dbManagerBlocked).toBe(true);
    expect(a.dbManagerRoutes).toEqual([]);
    const odoo = a.routes.filter((r) => r.service === "odoo");
    expect(odoo.some((r) => r.pathPrefix === "/websocket" && r.port === 8072 && r.tls === true)).toBe(true);
    expect(odoo.some((r) => r.pathPrefix === undefined && r.port === 8069 && r.tls === true)).toBe(true);
    expect(odoo.filter((r) => r.tls === false && r.httpsRedirect !== true)).toEqual([]);
    expect(a.hsts.every((h) => h.present && (h.maxAge ?? 0) >= 15768000)).toBe(true);
    expect(a.hsts.length).toBeGreaterThan(0);
  });

  it("GIVEN the db-manager router removed (a control) WHEN analysed THEN the analysis finds /web/database exposed", () => {
    const c = ctx();
    const r = renderTraefik(c);
    const labels = Object.fromEntries(Object.entries(r.odooLabels).filter(([k]) => !k.includes(".acme-prod-dbmanager.")));
    const a = analysis(c, { ...r, odooLabels: labels });
    expect(a.dbManagerBlocked).toBe(false);
  });
});
