import { afterAll, describe, expect, it } from "vitest";
import {
  analyzeProxy,
  busPath,
  findDirectives,
  flattenToml,
  flattenYaml,
  parseNginx,
  parseTraefik1Rule,
  parseTraefik2Rule,
  routeTarget,
  traefikPathMatcher,
} from "../../../src/check/lib/proxy.js";
import type { ProjectModel } from "../../../src/project/model.js";
import { cleanupProjects, loadFiles } from "../../helpers/project.js";

afterAll(() => cleanupProjects());

const DOCKERFILE = { "odoo/Dockerfile": "FROM ghcr.io/tecnativa/doodba:17.0-onbuild\n" };

function analyze(files: Record<string, string>, env = "prod"): { a: ReturnType<typeof analyzeProxy>; p: ProjectModel } {
  const p = loadFiles({ ...DOCKERFILE, ...files });
  const e = p.envs[env];
  if (!e) throw new Error(`no env ${env}: ${p.envNames.join(", ")}`);
  return { a: analyzeProxy(e, p), p };
}

/** prod.yaml with the Traefik 2 labels the doodba-copier-template writes (trimmed to one domain). */
const TEMPLATE_PROD = `services:
  odoo:
    build:
      context: ./odoo
      args:
        ODOO_VERSION: "17.0"
    environment:
      PROXY_MODE: "true"
    labels:
      traefik.enable: "true"
      traefik.http.middlewares.erp-addSTS.headers.forceSTSHeader: "true"
      traefik.http.middlewares.erp-forceSecure.redirectScheme.scheme: https
      traefik.http.services.erp-main.loadbalancer.server.port: 8069
      traefik.http.services.erp-longpolling.loadbalancer.server.port: 8072
      traefik.http.routers.erp-main-0.rule: Host(\`erp.example.com\`)
      traefik.http.routers.erp-main-0.service: erp-main
      traefik.http.routers.erp-main-0.middlewares: erp-addSTS, erp-forceSecure
      traefik.http.routers.erp-main-secure-0.rule: Host(\`erp.example.com\`)
      traefik.http.routers.erp-main-secure-0.service: erp-main
      traefik.http.routers.erp-main-secure-0.middlewares: erp-addSTS, erp-forceSecure
      traefik.http.routers.erp-main-secure-0.tls: "true"
      traefik.http.routers.erp-main-secure-0.tls.certResolver: letsencrypt
      traefik.http.routers.erp-longpolling-secure-0.rule: Host(\`erp.example.com\`) && Path(\`/websocket\`)
      traefik.http.routers.erp-longpolling-secure-0.service: erp-longpolling
      traefik.http.routers.erp-longpolling-secure-0.tls: "true"
      traefik.http.routers.erp-forbiddenCrawlers-secure-0.rule: Host(\`erp.example.com\`) && (PathPrefix(\`/web/\`, \`/website/info/\`) || Path(\`/web\`, \`/website/info\`))
      traefik.http.routers.erp-forbiddenCrawlers-secure-0.service: erp-main
      traefik.http.routers.erp-forbiddenCrawlers-secure-0.tls: "true"
  db:
    image: ghcr.io/tecnativa/postgres-autoconf:16-alpine
`;

describe("Traefik rules", () => {
  it("GIVEN a v2 rule with several hosts and path alternatives WHEN parsed THEN hosts and every path are read", () => {
    const r = parseTraefik2Rule("Host(`a.example.com`, `b.example.com`) && (PathPrefix(`/web/`, `/website/info/`) || Path(`/web`))");
    expect(r.hosts).toEqual(["a.example.com", "b.example.com"]);
    expect(r.paths.map((m) => [m.kind, m.value])).toEqual([
      ["prefix", "/web/"],
      ["prefix", "/website/info/"],
      ["exact", "/web"],
    ]);
  });

  it("GIVEN a v3 rule with || between hosts, lowercase matchers and a negation WHEN parsed THEN the negated path is an exclusion", () => {
    const r = parseTraefik2Rule("(host(`a.example.com`) || Host(`b.example.com`)) && pathprefix(`/`) && !PathPrefix(`/web/database`)");
    expect(r.hosts).toEqual(["a.example.com", "b.example.com"]);
    expect(r.paths.map((m) => m.value)).toEqual(["/"]);
    expect(r.excludes.map((m) => m.value)).toEqual(["/web/database"]);
  });

  it("GIVEN HostRegexp with a v2 template WHEN parsed THEN it matches any host", () => {
    const r = parseTraefik2Rule("HostRegexp(`{any:.+}`)");
    expect(r.hostRegexps[0]?.test("erp.example.com")).toBe(true);
  });

  it("GIVEN a Traefik 1 rule with spaces after commas and a path template WHEN parsed THEN hosts are trimmed and the template matches sub-paths", () => {
    const r = parseTraefik1Rule("Host:gestion.example.com, test.example.com;Path:/web,/web/{anything:.*}");
    expect(r.hosts).toEqual(["gestion.example.com", "test.example.com"]);
    const tpl = r.paths[1];
    expect(tpl?.kind).toBe("regex");
    expect(tpl?.re?.test("/web/database/manager")).toBe(true);
    expect(r.paths[0]?.kind).toBe("exact");
  });

  it("GIVEN a path template WHEN matched THEN the literal prefix is kept and the regex anchored", () => {
    const m = traefikPathMatcher("/longpolling/{anything:.*}", true);
    expect(m.value).toBe("/longpolling/");
    expect(m.re?.test("/longpolling/poll")).toBe(true);
    expect(m.re?.test("/web/longpolling/poll")).toBe(false);
  });
});

describe("config readers", () => {
  it("GIVEN nginx text with comments, quotes, a ${var} and a directive over two lines WHEN parsed THEN the tree and positions are right", () => {
    const text = [
      "# comment { not a block }",
      "upstream odoo { server odoo:8069; }",
      "server {",
      '  add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;',
      "  proxy_next_upstream error timeout",
      "    http_503;",
      "  location ~* ^/web/database { deny all; }",
      "  location / { proxy_pass http://${backend}; }",
      "}",
    ].join("\n");
    const dirs = parseNginx(text, "nginx/odoo.conf");
    expect(dirs.map((d) => d.name)).toEqual(["upstream", "server"]);
    const server = dirs[1];
    expect(server?.pos).toEqual({ file: "nginx/odoo.conf", line: 3, col: 1 });
    const hdr = server?.block?.[0];
    expect(hdr?.args).toEqual(["Strict-Transport-Security", "max-age=31536000; includeSubDomains", "always"]);
    expect(server?.block?.[1]?.args).toEqual(["error", "timeout", "http_503"]);
    expect(findDirectives(dirs, "proxy_pass")[0]?.args).toEqual(["http://${backend}"]);
    expect(findDirectives(dirs, "location")[0]?.pos.line).toBe(7);
  });

  it("GIVEN unbalanced nginx text WHEN parsed THEN it does not throw", () => {
    expect(() => parseNginx("server { location / { proxy_pass http://odoo:8069;", "x.conf")).not.toThrow();
    expect(() => parseNginx("}}} ;;; {", "x.conf")).not.toThrow();
  });

  it("GIVEN a Traefik static TOML WHEN flattened THEN tables, empty tables, arrays and quoted strings become dotted keys with lines", () => {
    const toml = [
      'defaultEntryPoints = ["http", "https"]',
      "[entryPoints]",
      "  [entryPoints.http]",
      '  address = ":80"',
      "    [entryPoints.http.redirect]",
      '    entryPoint = "https" # comment',
      "  [entryPoints.https.tls]",
      "[[http.services.odoo.loadBalancer.servers]]",
      '  url = "http://odoo:8069"',
      "[http.middlewares.r.redirectRegex]",
      '  regex = "^https?://(?:www\\\\.)?(.+)"',
      "allowed = [",
      '  "a",',
      '  "b" ]',
    ].join("\n");
    const c = flattenToml(toml, "traefik.toml");
    expect(c.value("defaultEntryPoints")).toBe("http,https");
    expect(c.value("entrypoints.http.address")).toBe(":80");
    expect(c.value("entryPoints.http.redirect.entryPoint")).toBe("https");
    expect(c.get("entrypoints.https.tls")?.pos?.line).toBe(7);
    expect(c.value("http.services.odoo.loadbalancer.servers.0.url")).toBe("http://odoo:8069");
    expect(c.value("http.middlewares.r.redirectregex.regex")).toBe("^https?://(?:www\\.)?(.+)");
    expect(c.value("http.middlewares.r.redirectregex.allowed")).toBe("a,b");
  });

  it("GIVEN a Traefik dynamic YAML WHEN flattened THEN scalar lists are joined and positions point at keys", () => {
    const c = flattenYaml("http:\n  middlewares:\n    secure:\n      headers:\n        stsSeconds: 31536000\n    chain1:\n      chain:\n        middlewares:\n          - a\n          - b\n", "config.yml");
    expect(c?.value("http.middlewares.secure.headers.stsseconds")).toBe("31536000");
    expect(c?.get("http.middlewares.secure.headers.stsSeconds")?.pos?.line).toBe(5);
    expect(c?.value("http.middlewares.chain1.chain.middlewares")).toBe("a,b");
    expect(flattenYaml("a: [unclosed", "bad.yml")).toBeUndefined();
  });
});

describe("analyzeProxy with Traefik 2 labels", () => {
  it("GIVEN the copier template's routers WHEN analysed THEN routes, ports, TLS and the /web/database exposure are found", () => {
    const { a, p } = analyze({ "prod.yaml": TEMPLATE_PROD });
    expect(a.present).toBe(true);
    const main = a.routes.find((r) => r.router === "erp-main-secure-0");
    expect(main).toMatchObject({ kind: "traefik2", service: "odoo", hosts: ["erp.example.com"], port: 8069, tls: true });
    expect(main?.pos).toMatchObject({ file: "prod.yaml", line: 18 });
    const ws = a.routes.find((r) => r.router === "erp-longpolling-secure-0");
    expect(ws && busPath(ws)).toBe("websocket");
    const cfg = p.envs.prod?.odoo[0];
    expect(ws && cfg && routeTarget(ws, cfg)).toBe("gevent");
    // The plain router only redirects to https.
    expect(a.routes.find((r) => r.router === "erp-main-0")?.httpsRedirect).toBe(true);
    // forbiddenCrawlers has the longest rule, so it answers /web/database/*.
    expect(a.dbManagerBlocked).toBe(false);
    expect(new Set(a.dbManagerRoutes.map((r) => r.router))).toEqual(new Set(["erp-forbiddenCrawlers-secure-0"]));
    expect(a.hsts).toEqual([expect.objectContaining({ kind: "traefik2", name: "erp-addSTS", present: false, maxAge: undefined })]);
  });

  it("GIVEN a /web/database router to noop@internal WHEN analysed THEN the manager is blocked", () => {
    const prod = TEMPLATE_PROD.replace(
      "  db:\n",
      "      traefik.http.routers.erp-dbm.rule: Host(`erp.example.com`) && PathPrefix(`/web/database`)\n      traefik.http.routers.erp-dbm.service: noop@internal\n      traefik.http.routers.erp-dbm.priority: 1000\n      traefik.http.routers.erp-dbm.tls: \"true\"\n  db:\n",
    );
    const { a } = analyze({ "prod.yaml": prod });
    expect(a.dbManagerBlocked).toBe(true);
    expect(a.dbManagerRoutes).toEqual([]);
  });

  it("GIVEN a /web/database router through an ipAllowList middleware WHEN analysed THEN the manager is blocked", () => {
    const prod = TEMPLATE_PROD.replace(
      "  db:\n",
      "      traefik.http.middlewares.erp-admins.ipallowlist.sourcerange: 10.0.0.0/8\n      traefik.http.routers.erp-dbm.rule: Host(`erp.example.com`) && PathPrefix(`/web/database`)\n      traefik.http.routers.erp-dbm.service: erp-main\n      traefik.http.routers.erp-dbm.middlewares: erp-admins\n      traefik.http.routers.erp-dbm.priority: 1000\n      traefik.http.routers.erp-dbm.tls: \"true\"\n  db:\n",
    );
    expect(analyze({ "prod.yaml": prod }).a.dbManagerBlocked).toBe(true);
  });

  it("GIVEN traefik.enable false WHEN analysed THEN no route is read", () => {
    const { a } = analyze({ "prod.yaml": TEMPLATE_PROD.replace('traefik.enable: "true"', 'traefik.enable: "false"') });
    expect(a.routes).toEqual([]);
    expect(a.present).toBe(false);
    expect(a.dbManagerBlocked).toBeUndefined();
  });

  it("GIVEN a file-provider middleware referenced with @file WHEN analysed THEN its HSTS max-age is read", () => {
    const prod = TEMPLATE_PROD.replace("erp-addSTS, erp-forceSecure\n      traefik.http.routers.erp-main-secure-0.tls", "secure@file\n      traefik.http.routers.erp-main-secure-0.tls");
    const { a } = analyze({
      "prod.yaml": prod,
      "inverseproxy/dynamic.yml": "http:\n  middlewares:\n    secure:\n      headers:\n        stsSeconds: 31536000\n        forceSTSHeader: true\n",
    });
    expect(a.hsts).toContainEqual(expect.objectContaining({ name: "secure", present: true, maxAge: 31536000, pos: expect.objectContaining({ file: "inverseproxy/dynamic.yml", line: 5 }) }));
  });
});

describe("analyzeProxy with Traefik static configuration", () => {
  const inverseproxyV2 = (redirect: boolean): string =>
    `services:\n  proxy:\n    image: traefik:2.11\n    command:\n      - --entrypoints.web.address=:80\n${redirect ? "      - --entrypoints.web.http.redirections.entrypoint.to=websecure\n" : ""}      - --entrypoints.websecure.address=:443\n      - --entrypoints.websecure.http.tls.certresolver=letsencrypt\n`;
  const prodOn = (ep: string): string =>
    `services:\n  odoo:\n    build: ./odoo\n    labels:\n      traefik.http.routers.main.rule: Host(\`erp.example.com\`)\n      traefik.http.routers.main.entrypoints: ${ep}\n`;

  it("GIVEN a router on a plain entry point of the project's Traefik WHEN analysed THEN it is not TLS", () => {
    const { a } = analyze({ "inverseproxy.yaml": inverseproxyV2(false), "prod.yaml": prodOn("web") });
    expect(a.routes[0]).toMatchObject({ tls: false, httpsRedirect: false });
  });

  it("GIVEN the plain entry point redirects to the TLS one WHEN analysed THEN the router counts as TLS with a redirect", () => {
    const { a } = analyze({ "inverseproxy.yaml": inverseproxyV2(true), "prod.yaml": prodOn("web") });
    expect(a.routes[0]).toMatchObject({ tls: true, httpsRedirect: true });
  });

  it("GIVEN a router on an entry point with entry-point-level TLS WHEN analysed THEN it is TLS", () => {
    const { a } = analyze({ "inverseproxy.yaml": inverseproxyV2(false), "prod.yaml": prodOn("websecure") });
    expect(a.routes[0]?.tls).toBe(true);
  });

  it("GIVEN no static configuration in the project WHEN analysed THEN TLS is unknown", () => {
    const { a } = analyze({ "prod.yaml": prodOn("web") });
    expect(a.routes[0]?.tls).toBeUndefined();
  });

  it("GIVEN a Traefik 1.6 proxy (scaffolding inverseproxy.yaml) WHEN analysed THEN only Traefik 1 labels are live and its http entry point redirects", () => {
    const inverse = `services:\n  proxy:\n    image: traefik:1.6-alpine\n    command:\n      - --DefaultEntryPoints=http,https\n      - --EntryPoints=Name:http Address::80 Redirect.EntryPoint:https\n      - --EntryPoints=Name:https Address::443 TLS\n`;
    const prod = `services:\n  odoo:\n    build: ./odoo\n    labels:\n      traefik.enable: "true"\n      traefik.port: "8069"\n      traefik.longpolling.port: "8072"\n      traefik.www.frontend.rule: "Host:erp.example.com"\n      traefik.longpolling.frontend.rule: "Host:erp.example.com;PathPrefix:/longpolling/"\n      traefik.http.routers.x.rule: Host(\`erp.example.com\`)\n`;
    const { a } = analyze({ "inverseproxy.yaml": inverse, "prod.yaml": prod });
    expect(a.routes.map((r) => r.kind)).toEqual(["traefik1", "traefik1"]);
    expect(a.routes.find((r) => r.router === "longpolling")).toMatchObject({ port: 8072, pathPrefix: "/longpolling/", tls: true });
    expect(a.routes.find((r) => r.router === "www")).toMatchObject({ port: 8069, tls: true, httpsRedirect: true });
  });

  it("GIVEN a Traefik service in a compose file in a sub-folder with a mounted traefik.toml WHEN analysed THEN its entry points are read", () => {
    const { a } = analyze({
      "inverseproxy/traefik.yaml": "services:\n  proxy:\n    image: traefik:2.9\n    command: [--configfile=/etc/traefik/traefik.toml]\n    volumes:\n      - ./traefik.toml:/etc/traefik/traefik.toml:ro\n",
      "inverseproxy/traefik.toml": '[entryPoints]\n  [entryPoints.web]\n    address = ":80"\n',
      "prod.yaml": prodOn("web"),
    });
    expect(a.routes[0]?.tls).toBe(false);
  });
});

describe("analyzeProxy with nginx", () => {
  const prod = `services:\n  odoo:\n    build: ./odoo\n    container_name: erp-odoo\n  nginx:\n    image: nginx:1.24.0\n    volumes:\n      - ./nginx_config:/etc/nginx/conf.d\n`;

  it("GIVEN an upstream to the container name and a deny location WHEN analysed THEN routes resolve and the manager is blocked", () => {
    const conf = `upstream backend { server erp-odoo:8069; }\nupstream chat { server erp-odoo:8072; }\nserver {\n  listen 443 ssl;\n  server_name erp.example.com;\n  location = /web/database/selector { return 404; }\n  location ~* ^/web/database { deny all; }\n  location /websocket { proxy_pass http://chat; }\n  location / { proxy_pass http://backend; }\n}\n`;
    const { a } = analyze({ "prod.yaml": prod, "nginx_config/odoo.conf": conf });
    expect(a.present).toBe(true);
    expect(a.routes.map((r) => [r.pathPrefix, r.port, r.tls])).toEqual([
      ["/websocket", 8072, true],
      [undefined, 8069, true],
    ]);
    expect(a.routes[1]?.pos).toEqual({ file: "nginx_config/odoo.conf", line: 9, col: 3 });
    expect(a.dbManagerBlocked).toBe(true);
  });

  it("GIVEN a ^~ prefix location that wins over the deny regex WHEN analysed THEN the manager is exposed", () => {
    const conf = `server {\n  listen 80;\n  location ~* ^/web/database { deny all; }\n  location ^~ /web/ { proxy_pass http://odoo:8069; }\n  location / { proxy_pass http://odoo:8069; }\n}\n`;
    const { a } = analyze({ "prod.yaml": prod, "nginx_config/odoo.conf": conf });
    expect(a.dbManagerBlocked).toBe(false);
    expect(a.dbManagerRoutes.map((r) => r.pathPrefix)).toEqual(["/web/"]);
    expect(a.routes.every((r) => r.tls === false)).toBe(true);
  });

  it("GIVEN a port-80 server that redirects and HSTS without max-age WHEN analysed THEN the redirect server has no route and the header is reported absent", () => {
    const conf = `server {\n  listen 80;\n  return 301 https://$host$request_uri;\n}\nserver {\n  listen 443 ssl;\n  add_header Strict-Transport-Security "includeSubDomains";\n  location / { proxy_pass http://odoo:8069; }\n}\n`;
    const { a } = analyze({ "prod.yaml": prod, "nginx_config/odoo.conf": conf });
    expect(a.routes).toHaveLength(1);
    expect(a.hsts).toEqual([expect.objectContaining({ kind: "nginx", present: false, maxAge: undefined, pos: expect.objectContaining({ line: 7 }) })]);
  });

  it("GIVEN a host-level nginx config (not mounted) proxying to 127.0.0.1 WHEN analysed THEN the published port maps to the Odoo service", () => {
    const { a } = analyze({
      "prod.yaml": `services:\n  odoo:\n    build: ./odoo\n    ports:\n      - "127.0.0.1:18069:8069"\n`,
      "nginx/sites/erp.conf": "server {\n  listen 443 ssl;\n  location / { proxy_pass http://127.0.0.1:18069; }\n}\n",
    });
    expect(a.routes).toEqual([expect.objectContaining({ kind: "nginx", service: "odoo", port: 8069 })]);
  });
});

describe("analyzeProxy robustness", () => {
  it("GIVEN an env without Odoo and odd labels WHEN analysed THEN nothing is present and nothing throws", () => {
    const { a } = analyze(
      {
        "inverseproxy.yaml": `services:\n  proxy:\n    image: traefik\n    labels:\n      - traefik.http.routers.x.rule=\n      - traefik.http.routers.y.rule=Host(\`\n      - traefik..frontend.rule=Host:\n      - traefik.http.middlewares.m.chain.middlewares=m\n      - traefik.http.routers.z.rule=Host(\`a\`)\n      - traefik.http.routers.z.middlewares=m,unknown@kubernetescrd\n`,
      },
      "inverseproxy",
    );
    expect(a.present).toBe(false);
    expect(a.dbManagerBlocked).toBeUndefined();
  });

  it("GIVEN the same env twice WHEN analysed THEN the cached result is returned", () => {
    const p = loadFiles({ ...DOCKERFILE, "prod.yaml": TEMPLATE_PROD });
    const env = p.envs.prod;
    if (!env) throw new Error("no prod");
    expect(analyzeProxy(env, p)).toBe(analyzeProxy(env, p));
  });
});
