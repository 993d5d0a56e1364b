/**
 * nginx in front of Odoo, for `doodba-ops init`. Pure: a ProxyContext in, a ProxyRender out.
 *
 * Two shapes:
 * - bundled (`answers.proxyBundled`): an `nginx` service (nginx:1.27, Debian based, so openssl
 *   and curl are in the image) publishing 80/443, with the site mounted as
 *   /etc/nginx/conf.d/default.conf and two scripts in /docker-entrypoint.d/ (the official image
 *   runs the executable `*.sh` there before nginx starts): one gives nginx a certificate to start
 *   with (self-signed, or a placeholder until certbot has the Let's Encrypt one), one watches the
 *   certificate files and the upstream container's address and reloads nginx when they change.
 *   Let's Encrypt adds a `certbot` service that answers the HTTP-01 challenge through a webroot
 *   volume that nginx serves and renews twice a day.
 * - shared (`proxyBundled: false`): `nginx/<project>-<env>.conf` for the host's own nginx, with
 *   upstreams on 127.0.0.1 and Odoo publishing its two ports on loopback only.
 *
 * The site follows Odoo's deployment docs (nginx sample) and hardens it: /web/database blocked,
 * modern TLS only, HSTS, security headers (Odoo's own value wins when it sends one), forwarded
 * headers repeated in every location (a `proxy_set_header` in a location cancels the server's).
 *
 * The check's proxy analysis (src/check/lib/proxy.ts) reads these files: keep proxy_pass targets
 * literal (upstream names, no variables) so `check` sees where each route goes.
 */
import { UserError } from "../../errors.js";
import type { EnvAnswers, InitAnswers, PlannedFile, ProxyContext, ProxyRender } from "../types.js";

/** nginx image of the bundled proxy: the 1.27 line, Debian based (openssl, curl, getent inside). */
export const NGINX_IMAGE = "nginx:1.27";
/** Let's Encrypt client of the bundled proxy. */
export const CERTBOT_IMAGE = "certbot/certbot:v2.11.0";

/** Odoo's own limit on request bodies (odoo/http.py DEFAULT_MAX_CONTENT_LENGTH, 16+) is 128 MiB. */
export const CLIENT_MAX_BODY_SIZE = "128m";
/** One year: what HSTS preload lists ask for (the check wants at least six months). */
export const HSTS_MAX_AGE = 31536000;
/** Upstreams are containers on the same host: a connection that takes longer will not come. */
const CONNECT_TIMEOUT = 10;
/** Seconds between two looks of the watcher at the certificate and the upstream addresses. */
const WATCH_INTERVAL = 10;

// Paths inside the bundled nginx container.
const TLS_DIR = "/etc/nginx/tls";
const SITE_TARGET = "/etc/nginx/conf.d/default.conf";
const ENTRYPOINT_DIR = "/docker-entrypoint.d";
const LETSENCRYPT_DIR = "/etc/letsencrypt";
const ACME_WEBROOT = "/var/www/certbot";
const HEALTH_PATH = "/nginx-health";

// Files of the project (shared by every environment, so byte-identical whichever env renders them).
export const TLS_SCRIPT_PATH = "nginx/docker-entrypoint.d/40-doodba-tls.sh";
export const WATCH_SCRIPT_PATH = "nginx/docker-entrypoint.d/50-doodba-watch.sh";
export const CERTBOT_SCRIPT_PATH = "nginx/certbot/doodba-certbot.sh";

/** Mozilla "intermediate" TLS 1.2 suites (AEAD + forward secrecy only); TLS 1.3 suites are not configurable here and all good. */
const TLS12_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

/** Text types worth compressing (text/html is always compressed and must not be listed). */
const GZIP_TYPES = [
  "text/css",
  "text/scss",
  "text/plain",
  "text/xml",
  "text/javascript",
  "application/javascript",
  "application/json",
  "application/xml",
  "image/svg+xml",
];

export interface NginxHsts {
  /** Seconds. */
  maxAge: number;
  includeSubDomains: boolean;
}

export interface NginxTlsOptions {
  /** `listen` arguments of the TLS server without the flags: "443", "[::]:443", "127.0.0.1:8443". */
  listen: string[];
  certificate: string;
  certificateKey: string;
  /** undefined = no Strict-Transport-Security header. */
  hsts?: NginxHsts;
}

/** Everything {@link renderNginxSite} needs, explicit: no defaults hidden in the template. */
export interface NginxSiteOptions {
  /** Prefix of upstream, variable and TLS-session-cache names; unique within the nginx that loads the file ([a-z0-9_]). */
  id: string;
  /** First comment lines. */
  title: string[];
  /** Host names; empty = any (`server_name _`). */
  serverNames: string[];
  /** `listen` arguments of the plain-HTTP server: "80", "[::]:80", "127.0.0.1:8080". */
  httpListen: string[];
  /** HTTPS; undefined = plain HTTP only (the HTTP server then proxies to Odoo instead of redirecting). */
  tls?: NginxTlsOptions;
  /**
   * This nginx serves only this site: listeners are `default_server`, and TLS handshakes for
   * other names are refused (`ssl_reject_handshake`), so Odoo never sees a foreign Host.
   */
  ownsListeners: boolean;
  /** Odoo HTTP port(s): "odoo:8069", "127.0.0.1:18069". */
  upstreamHttp: string;
  /** Odoo gevent port (websocket / longpolling). */
  upstreamBus: string;
  /** "/websocket" (16+) or "/longpolling" (< 16). */
  busPath: string;
  /** proxy_read_timeout / proxy_send_timeout, seconds. */
  proxyTimeout: number;
  /** proxy_connect_timeout, seconds. */
  connectTimeout: number;
  /** client_max_body_size, e.g. "128m". */
  clientMaxBodySize: string;
  /** CIDRs that may reach /web/database/*; empty = refused for everyone (403). */
  dbManagerAllow: string[];
  /** Serve /.well-known/acme-challenge/ from this folder on the HTTP server (certbot --webroot). */
  acmeWebroot?: string;
  /** A local-only `location = <path>` on the HTTP server answering 200, for container health checks. */
  healthPath?: string;
}

/** The nginx configuration text (http context: maps, upstreams, servers) of one Odoo site. */
export function renderNginxSite(o: NginxSiteOptions): string {
  if (!/^[a-z][a-z0-9_]*$/.test(o.id)) throw new Error(`nginx site id must be [a-z][a-z0-9_]*: ${o.id}`);
  const v = (name: string): string => `$${o.id}_${name}`;
  const up = { http: `${o.id}_http`, bus: `${o.id}_bus` };
  const names = o.serverNames.length > 0 ? o.serverNames.join(" ") : "_";
  const tls = o.tls;
  const out: string[] = [];
  const push = (indent: number, ...lines: string[]): void => {
    for (const l of lines) out.push(l === "" ? "" : `${"    ".repeat(indent)}${l}`);
  };

  for (const t of o.title) push(0, `# ${t}`.trimEnd());
  push(
    0,
    "",
    "# Websocket upgrades pass through; everything else closes the upstream connection.",
    `map $http_upgrade ${v("connection")} {`,
    "    default upgrade;",
    "    \"\"      close;",
    "}",
    "# Security headers Odoo does not send itself (an empty value adds no header, so Odoo's own value wins).",
    `map $upstream_http_x_content_type_options ${v("nosniff")} {`,
    "    \"\"      nosniff;",
    "    default \"\";",
    "}",
    `map $upstream_http_x_frame_options ${v("frame_options")} {`,
    "    # SAMEORIGIN, not DENY: Odoo's website editor shows the site in a same-origin iframe.",
    "    \"\"      SAMEORIGIN;",
    "    default \"\";",
    "}",
    `map $upstream_http_referrer_policy ${v("referrer_policy")} {`,
    "    \"\"      strict-origin-when-cross-origin;",
    "    default \"\";",
    "}",
    "",
    `upstream ${up.http} {`,
    `    server ${o.upstreamHttp};`,
    "}",
    "# Odoo's gevent port: the bus (websocket / longpolling) only works there in prefork mode.",
    `upstream ${up.bus} {`,
    `    server ${o.upstreamBus};`,
    "}",
  );

  const securityHeaders = (indent: number): void => {
    if (tls?.hsts) {
      const value = `max-age=${tls.hsts.maxAge}${tls.hsts.includeSubDomains ? "; includeSubDomains" : ""}`;
      push(indent, `add_header Strict-Transport-Security "${value}" always;`);
    }
    push(
      indent,
      `add_header X-Content-Type-Options ${v("nosniff")} always;`,
      `add_header X-Frame-Options ${v("frame_options")} always;`,
      `add_header Referrer-Policy ${v("referrer_policy")} always;`,
    );
  };
  const forwarded = (indent: number): void => {
    // Repeated in every location: a proxy_set_header there cancels every inherited one.
    // Odoo (proxy_mode) trusts these only when X-Forwarded-Host is present.
    push(
      indent,
      "proxy_set_header Host $host;",
      "proxy_set_header X-Forwarded-Host $host;",
      "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
      "proxy_set_header X-Forwarded-Proto $scheme;",
      "proxy_set_header X-Real-IP $remote_addr;",
    );
  };
  const odooServer = (indent: number): void => {
    push(
      indent,
      `client_max_body_size ${o.clientMaxBodySize};`,
      "proxy_http_version 1.1;",
      "proxy_redirect off;",
      `proxy_connect_timeout ${o.connectTimeout}s;`,
      `# A little above Odoo's limit_time_real: Odoo, not the proxy, ends long requests.`,
      `proxy_read_timeout ${o.proxyTimeout}s;`,
      `proxy_send_timeout ${o.proxyTimeout}s;`,
      tls ? "proxy_cookie_flags session_id samesite=lax secure;" : "proxy_cookie_flags session_id samesite=lax;",
      "",
      "gzip on;",
      "gzip_vary on;",
      "gzip_proxied any;",
      "gzip_comp_level 5;",
      "gzip_min_length 1024;",
      `gzip_types ${GZIP_TYPES.join(" ")};`,
      "",
    );
    securityHeaders(indent);
    push(indent, "", `# Odoo's bus (${o.busPath === "/websocket" ? "websocket, Odoo 16+" : "longpolling, Odoo < 16"}) on the gevent port.`);
    push(indent, `location ${o.busPath} {`);
    push(indent + 1, `proxy_pass http://${up.bus};`, "proxy_set_header Upgrade $http_upgrade;", `proxy_set_header Connection ${v("connection")};`);
    forwarded(indent + 1);
    push(indent, "}", "");
    if (o.dbManagerAllow.length === 0) {
      push(
        indent,
        "# The database manager (create, duplicate, back up, restore, drop, list...) is not for the internet.",
        "location ~* ^/web/database {",
        "    return 403;",
        "}",
        "",
      );
    } else {
      push(indent, "# The database manager (create, duplicate, back up, restore, drop, list...) only from the admin networks.");
      push(indent, "location ~* ^/web/database {");
      for (const cidr of o.dbManagerAllow) push(indent + 1, `allow ${cidr};`);
      push(indent + 1, "deny all;", `proxy_pass http://${up.http};`);
      forwarded(indent + 1);
      push(indent, "}", "");
    }
    push(indent, "location / {", `    proxy_pass http://${up.http};`);
    forwarded(indent + 1);
    push(indent, "}");
  };

  // Plain HTTP server.
  push(0, "", "server {");
  for (const l of o.httpListen) push(1, `listen ${l}${o.ownsListeners ? " default_server" : ""};`);
  push(1, `server_name ${names};`, "server_tokens off;", "");
  if (o.healthPath) {
    push(
      1,
      "# Container health check (from inside the container only).",
      `location = ${o.healthPath} {`,
      "    access_log off;",
      "    allow 127.0.0.1;",
      "    deny all;",
      "    default_type text/plain;",
      '    return 200 "ok\\n";',
      "}",
      "",
    );
  }
  if (o.acmeWebroot) {
    push(
      1,
      "# Let's Encrypt HTTP-01 challenges, written there by certbot --webroot.",
      "location ^~ /.well-known/acme-challenge/ {",
      `    root ${o.acmeWebroot};`,
      "    default_type text/plain;",
      "}",
      "",
    );
  }
  if (tls) {
    push(1, "location / {", "    return 301 https://$host$request_uri;", "}");
  } else {
    odooServer(1);
  }
  push(0, "}");

  if (tls) {
    if (o.ownsListeners && o.serverNames.length > 0) {
      push(0, "", "# Other host names (and bare IPs) get no TLS handshake, so Odoo never serves a foreign Host.", "server {");
      for (const l of tls.listen) push(1, `listen ${l} ssl http2 default_server;`);
      push(1, "ssl_reject_handshake on;");
      push(0, "}");
    }
    push(0, "", "server {");
    const dflt = o.ownsListeners && o.serverNames.length === 0 ? " default_server" : "";
    for (const l of tls.listen) push(1, `listen ${l} ssl http2${dflt};`);
    push(
      1,
      `server_name ${names};`,
      "server_tokens off;",
      "",
      `ssl_certificate ${tls.certificate};`,
      `ssl_certificate_key ${tls.certificateKey};`,
      "ssl_protocols TLSv1.2 TLSv1.3;",
      `ssl_ciphers ${TLS12_CIPHERS};`,
      "ssl_prefer_server_ciphers off;",
      `ssl_session_cache shared:${o.id}_tls:10m;`,
      "ssl_session_timeout 1d;",
      "ssl_session_tickets off;",
      "",
    );
    odooServer(1);
    push(0, "}");
  }
  return `${out.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------
// From the answers

/** `acme-erp` + `prod` -> `odoo_acme_erp_prod`. */
export function siteId(projectName: string, envName: string): string {
  const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
  return ["odoo", slug(projectName), slug(envName)].filter((s) => s !== "").join("_");
}

/**
 * Loopback ports Odoo publishes for a shared host nginx: HTTP `<n>8069` and gevent `<n>8072`,
 * n = 1 for the (first) prod environment, 2 for the (first) test one, 3..5 for the others in the
 * order of the answers, so adding an environment never moves the existing ones.
 */
export function sharedHostPorts(answers: InitAnswers, env: EnvAnswers): { http: number; gevent: number } {
  const served = answers.envs.filter((e) => e.kind !== "devel");
  const slots = new Map<string, number>();
  const firstProd = served.find((e) => e.kind === "prod");
  const firstTest = served.find((e) => e.kind === "test");
  if (firstProd) slots.set(firstProd.name, 1);
  if (firstTest) slots.set(firstTest.name, 2);
  let next = 3;
  for (const e of served) {
    if (slots.has(e.name)) continue;
    slots.set(e.name, next++);
  }
  const n = slots.get(env.name);
  if (n === undefined || n > 5) {
    throw new UserError(`No loopback port left for environment ${env.name}: a shared nginx setup supports up to 5 served environments`, {
      hint: "Bundle the proxy (proxyBundled: true) or run the extra environments on another host.",
    });
  }
  return { http: n * 10000 + 8069, gevent: n * 10000 + 8072 };
}

/**
 * `includeSubDomains` would force HTTPS with a valid certificate on every sub-domain: not when
 * another environment of the project lives on a sub-domain with a self-signed certificate or
 * none (test.erp.example.com under erp.example.com), which browsers would then refuse outright.
 */
function hstsFor(answers: InitAnswers, env: EnvAnswers): { hsts: NginxHsts; blockedBy?: EnvAnswers } {
  const blockedBy = answers.envs.find(
    (e) =>
      e.name !== env.name &&
      (e.tls === "self-signed" || e.tls === "none") &&
      e.domains.some((d) => env.domains.some((p) => d.toLowerCase().endsWith(`.${p.toLowerCase()}`))),
  );
  return { hsts: { maxAge: HSTS_MAX_AGE, includeSubDomains: blockedBy === undefined }, blockedBy };
}

/**
 * Values written into nginx config, compose files and shell arguments must be plain tokens: the
 * answers loader validates them, this keeps a renderer called with other input from writing
 * config injection (`;`, `{`, quotes, `$`, spaces).
 */
const SAFE = {
  domain: /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/i,
  cidr: /^[0-9a-f:.]+(?:\/\d{1,3})?$/i,
  email: /^[^\s;{}'"`$\\<>]+@[^\s;{}'"`$\\<>]+$/,
  path: /^[^\s;{}'"`$\\#]+$/,
};

function checkToken(kind: keyof typeof SAFE, value: string, what: string): void {
  if (!SAFE[kind].test(value)) throw new UserError(`${what} is not a valid ${kind}: ${JSON.stringify(value)}`);
}

function validate(ctx: ProxyContext): void {
  const { answers: a, env } = ctx;
  for (const d of env.domains) checkToken("domain", d, `Domain of ${env.name}`);
  for (const c of a.dbManagerAllow) checkToken("cidr", c, "Database manager allow-list entry");
  if (a.letsencryptEmail !== undefined) checkToken("email", a.letsencryptEmail, "Let's Encrypt e-mail");
  if (env.tls === "files") {
    for (const p of [a.tlsCertFile, a.tlsKeyFile]) if (p !== undefined) checkToken("path", p, "Certificate path");
  }
  if (!/^[a-z0-9][a-z0-9_.-]*$/i.test(ctx.odooService)) throw new UserError(`Odoo service name is not valid: ${JSON.stringify(ctx.odooService)}`);
  if (!/^\/[a-z]+$/.test(ctx.busPath)) throw new UserError(`Bus path is not valid: ${JSON.stringify(ctx.busPath)}`);
  if (env.tls === "none" && env.kind === "prod") {
    throw new UserError(`Environment ${env.name} is production: it needs TLS (letsencrypt or files), not "none"`);
  }
  if (env.tls === "letsencrypt") {
    if (!a.letsencryptEmail) throw new UserError(`Environment ${env.name} uses Let's Encrypt: give the account e-mail (letsencryptEmail)`);
    if (env.domains.length === 0) throw new UserError(`Environment ${env.name} uses Let's Encrypt: it needs at least one public domain`);
  }
  if (env.tls === "files" && (!a.tlsCertFile || !a.tlsKeyFile)) {
    throw new UserError(`Environment ${env.name} uses its own certificate: give tlsCertFile and tlsKeyFile (host paths)`);
  }
  if (!a.proxyBundled && env.domains.length === 0) {
    throw new UserError(`Environment ${env.name} behind the host's shared nginx needs a domain: the shared nginx routes by host name`);
  }
}

function commonOptions(ctx: ProxyContext): Pick<NginxSiteOptions, "busPath" | "proxyTimeout" | "connectTimeout" | "clientMaxBodySize" | "dbManagerAllow" | "serverNames"> {
  return {
    serverNames: ctx.env.domains,
    busPath: ctx.busPath,
    proxyTimeout: ctx.sizing.proxyTimeout,
    connectTimeout: Math.min(CONNECT_TIMEOUT, ctx.sizing.proxyTimeout),
    clientMaxBodySize: CLIENT_MAX_BODY_SIZE,
    dbManagerAllow: ctx.answers.dbManagerAllow,
  };
}

function title(ctx: ProxyContext, where: string): string[] {
  const { answers: a, env } = ctx;
  return [
    `nginx site of ${a.projectName} (${env.name}, Odoo ${a.odooVersion}), ${where}.`,
    "Generated by doodba-ops init: re-run it after editing .doodba-ops/answers.yaml rather than editing this file.",
  ];
}

function dbManagerNote(ctx: ProxyContext): string {
  const allow = ctx.answers.dbManagerAllow;
  return allow.length === 0
    ? `${ctx.env.name}: nginx refuses /web/database/* (database manager) with 403; manage databases from the host (doodba-ops, click-odoo) instead.`
    : `${ctx.env.name}: nginx lets only ${allow.join(", ")} reach /web/database/* (database manager); everyone else gets 403.`;
}

/** nginx for one environment (test, prod, staging...). */
export function renderNginx(ctx: ProxyContext): ProxyRender {
  validate(ctx);
  return ctx.answers.proxyBundled ? renderBundled(ctx) : renderShared(ctx);
}

function renderShared(ctx: ProxyContext): ProxyRender {
  const { answers: a, env } = ctx;
  const ports = sharedHostPorts(a, env);
  const id = siteId(a.projectName, env.name);
  const file = `nginx/${a.projectName}-${env.name}.conf`;
  const main = env.domains[0] ?? "";
  let tls: NginxTlsOptions | undefined;
  const notes: string[] = [
    `${env.name}: Odoo publishes 127.0.0.1:${ports.http} (HTTP) and 127.0.0.1:${ports.gevent} (bus) for the host's nginx only ` +
      "(loopback ports: prod 18069/18072, test 28069/28072, other environments 38069.. in answer order).",
    `${env.name}: install ${file} in the host's nginx (Debian/Ubuntu: copy it to /etc/nginx/conf.d/, or to sites-available/ with a link in sites-enabled/), ` +
      "then `nginx -t && systemctl reload nginx`. Point the DNS of " +
      `${env.domains.join(", ")} to this host and open ports 80 and 443.`,
  ];
  const { hsts, blockedBy } = hstsFor(a, env);
  if (env.tls === "letsencrypt") {
    tls = { listen: ["443", "[::]:443"], certificate: `/etc/letsencrypt/live/${main}/fullchain.pem`, certificateKey: `/etc/letsencrypt/live/${main}/privkey.pem`, hsts };
    notes.push(
      `${env.name}: before installing ${file}, get its certificate on the host: \`apt-get install certbot python3-certbot-nginx\` then ` +
        `\`certbot certonly --nginx --cert-name ${main} ${env.domains.map((d) => `-d ${d}`).join(" ")} -m ${a.letsencryptEmail ?? "<e-mail>"} --agree-tos ` +
        `--deploy-hook "systemctl reload nginx"\`; certbot's timer renews it and reloads nginx.`,
    );
  } else if (env.tls === "files") {
    tls = { listen: ["443", "[::]:443"], certificate: a.tlsCertFile ?? "", certificateKey: a.tlsKeyFile ?? "", hsts };
    notes.push(`${env.name}: ${file} reads the certificate ${a.tlsCertFile} and key ${a.tlsKeyFile} on the host; reload nginx after replacing them.`);
  } else if (env.tls === "self-signed") {
    const dir = `/etc/nginx/tls/${a.projectName}-${env.name}`;
    tls = { listen: ["443", "[::]:443"], certificate: `${dir}/fullchain.pem`, certificateKey: `${dir}/privkey.pem`, hsts };
    notes.push(
      `${env.name}: create the self-signed certificate ${file} expects: \`mkdir -p ${dir} && openssl req -x509 -newkey rsa:2048 -nodes -days 365 ` +
        `-subj "/CN=${main}" -addext "subjectAltName=${env.domains.map((d) => `DNS:${d}`).join(",")}" -keyout ${dir}/privkey.pem -out ${dir}/fullchain.pem\`.`,
    );
  }
  if (tls && blockedBy) notes.push(hstsNote(env, blockedBy));
  notes.push(dbManagerNote(ctx));
  const content = renderNginxSite({
    ...commonOptions(ctx),
    id,
    title: [
      ...title(ctx, "for the host's own nginx (include it in its http block)"),
      `Odoo is reached on loopback: 127.0.0.1:${ports.http} (HTTP) and 127.0.0.1:${ports.gevent} (bus).`,
    ],
    httpListen: ["80", "[::]:80"],
    tls,
    ownsListeners: false,
    upstreamHttp: `127.0.0.1:${ports.http}`,
    upstreamBus: `127.0.0.1:${ports.gevent}`,
  });
  return {
    odooLabels: {},
    services: {},
    networks: {},
    volumes: {},
    odooPorts: [`127.0.0.1:${ports.http}:${ctx.httpPort}`, `127.0.0.1:${ports.gevent}:${ctx.geventPort}`],
    files: [{ path: file, content }],
    notes,
  };
}

function hstsNote(env: EnvAnswers, blockedBy: EnvAnswers): string {
  return (
    `${env.name}: HSTS is sent without includeSubDomains because ${blockedBy.name} (${blockedBy.domains.join(", ")}) is a sub-domain with a ` +
    `${blockedBy.tls === "none" ? "plain-HTTP" : "self-signed"} certificate that browsers would then refuse.`
  );
}

function renderBundled(ctx: ProxyContext): ProxyRender {
  const { answers: a, env } = ctx;
  const id = siteId(a.projectName, env.name);
  const conf = `nginx/${env.name}.conf`;
  const main = env.domains[0];
  // Config and scripts first, then data volumes.
  const volumes: string[] = [`./${conf}:${SITE_TARGET}:ro`];
  const dataVolumes: string[] = [];
  const environment: Record<string, string> = {};
  const files: PlannedFile[] = [];
  const namedVolumes: ProxyRender["volumes"] = {};
  const services: ProxyRender["services"] = {};
  const networks: ProxyRender["networks"] = {};
  const notes: string[] = [
    `${env.name}: nginx publishes ports 80 and 443 on all interfaces (open them in the firewall; a second bundled environment needs another host). ` +
      (env.domains.length > 0 ? `Point the DNS of ${env.domains.join(", ")} to this host.` : "No domain: nginx answers any host name."),
  ];
  const { hsts, blockedBy } = hstsFor(a, env);
  let tls: NginxTlsOptions | undefined;
  const tlsPaths = { listen: ["443"], certificate: `${TLS_DIR}/fullchain.pem`, certificateKey: `${TLS_DIR}/privkey.pem`, hsts };

  const tlsScript = (): void => {
    volumes.push(`./${TLS_SCRIPT_PATH}:${ENTRYPOINT_DIR}/40-doodba-tls.sh:ro`);
    dataVolumes.push(`nginx-tls:${TLS_DIR}`);
    namedVolumes["nginx-tls"] = {};
    environment.DOODBA_TLS_NAMES = env.domains.join(" ") || "localhost";
    files.push({ path: TLS_SCRIPT_PATH, content: TLS_SCRIPT, mode: 0o755 });
  };
  if (env.tls === "letsencrypt" && main) {
    tls = tlsPaths;
    tlsScript();
    environment.DOODBA_TLS_LIVE_DIR = `${LETSENCRYPT_DIR}/live/${main}`;
    dataVolumes.push(`letsencrypt:${LETSENCRYPT_DIR}:ro`, `acme-webroot:${ACME_WEBROOT}:ro`);
    namedVolumes.letsencrypt = {};
    namedVolumes["acme-webroot"] = {};
    networks.egress = {};
    files.push({ path: CERTBOT_SCRIPT_PATH, content: CERTBOT_SCRIPT, mode: 0o755 });
    services.certbot = {
      image: CERTBOT_IMAGE,
      restart: "unless-stopped",
      // Challenges are answered by nginx on port 80: start once it serves them.
      depends_on: { nginx: { condition: "service_healthy" } },
      entrypoint: ["/bin/sh", "/usr/local/bin/doodba-certbot.sh"],
      environment: {
        DOODBA_TLS_CERT_NAME: main,
        DOODBA_TLS_NAMES: env.domains.join(" "),
        LETSENCRYPT_EMAIL: a.letsencryptEmail ?? "",
      },
      volumes: [`./${CERTBOT_SCRIPT_PATH}:/usr/local/bin/doodba-certbot.sh:ro`, `letsencrypt:${LETSENCRYPT_DIR}`, `acme-webroot:${ACME_WEBROOT}`],
      // Outbound only (the ACME API); it shares nothing with Odoo.
      networks: ["egress"],
      // Healthy = certbot holds a certificate for the site that has not expired.
      healthcheck: {
        test: ["CMD-SHELL", `certbot certificates --cert-name ${main} 2>/dev/null | grep -q '(VALID: '`],
        interval: "15m",
        timeout: "60s",
        retries: 3,
        start_period: "10m",
      },
      mem_limit: "256m",
    };
    notes.push(
      `${env.name}: certbot gets the Let's Encrypt certificate for ${env.domains.join(", ")} on the first start (Let's Encrypt must reach ` +
        `http://${main}/.well-known/acme-challenge/ on port 80; nginx serves a self-signed placeholder until then and switches within ${WATCH_INTERVAL} s) and renews it twice a day.`,
    );
  } else if (env.tls === "files") {
    tls = tlsPaths;
    dataVolumes.push(`${a.tlsCertFile ?? ""}:${TLS_DIR}/fullchain.pem:ro`, `${a.tlsKeyFile ?? ""}:${TLS_DIR}/privkey.pem:ro`);
    notes.push(
      `${env.name}: nginx serves the certificate ${a.tlsCertFile} and key ${a.tlsKeyFile} of the host (mounted read-only); overwrite them in place ` +
        "when renewing (nginx reloads by itself within seconds), or `docker compose restart nginx` if you replace the files.",
    );
  } else if (env.tls === "self-signed") {
    tls = tlsPaths;
    tlsScript();
    notes.push(`${env.name}: nginx makes itself a self-signed certificate for ${env.domains.join(", ") || "localhost"} on first start (kept in the nginx-tls volume, renewed a day before it expires).`);
  }
  if (tls && blockedBy) notes.push(hstsNote(env, blockedBy));
  notes.push(dbManagerNote(ctx));

  volumes.push(`./${WATCH_SCRIPT_PATH}:${ENTRYPOINT_DIR}/50-doodba-watch.sh:ro`);
  environment.DOODBA_UPSTREAM_HOSTS = ctx.odooService;
  files.push({ path: WATCH_SCRIPT_PATH, content: WATCH_SCRIPT, mode: 0o755 });

  const content = renderNginxSite({
    ...commonOptions(ctx),
    id,
    title: title(ctx, `mounted as ${SITE_TARGET} in the nginx service of ${env.name}.yaml`),
    httpListen: ["80"],
    tls,
    ownsListeners: true,
    upstreamHttp: `${ctx.odooService}:${ctx.httpPort}`,
    upstreamBus: `${ctx.odooService}:${ctx.geventPort}`,
    acmeWebroot: env.tls === "letsencrypt" ? ACME_WEBROOT : undefined,
    healthPath: HEALTH_PATH,
  });
  files.unshift({ path: conf, content });

  const nginx: Record<string, unknown> = {
    image: NGINX_IMAGE,
    restart: "unless-stopped",
    depends_on: [ctx.odooService],
    environment: sortKeys(environment),
    ports: tls ? ["80:80", "443:443"] : ["80:80"],
    volumes: [...volumes, ...dataVolumes],
    networks: [ctx.frontendNetwork],
    healthcheck: {
      test: ["CMD", "curl", "-fsS", "-o", "/dev/null", `http://127.0.0.1${HEALTH_PATH}`],
      interval: "30s",
      timeout: "5s",
      retries: 3,
      start_period: "10s",
    },
    mem_limit: "256m",
  };
  return {
    odooLabels: {},
    services: { nginx, ...services },
    networks,
    volumes: sortKeys(namedVolumes),
    odooPorts: [],
    files,
    notes,
  };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([x], [y]) => x.localeCompare(y)));
}

// ---------------------------------------------------------------------------------------------
// Scripts (POSIX sh; checked by shellcheck in the tests). Environment-independent on purpose:
// every environment mounts the same files and configures them through the service environment.

const TLS_SCRIPT = `#!/bin/sh
# Generated by doodba-ops init. Runs in the nginx container before nginx starts (the official
# image runs the executable *.sh of /docker-entrypoint.d/), and again from 50-doodba-watch.sh.
# Makes sure nginx has a certificate in DOODBA_TLS_DIR (default /etc/nginx/tls):
# - DOODBA_TLS_LIVE_DIR set and certbot has put a certificate there: link it;
# - otherwise keep the self-signed certificate there, or make one for DOODBA_TLS_NAMES when it is
#   missing or expires within a day. With Let's Encrypt this is the placeholder nginx starts
#   with until certbot has the real certificate.
set -eu

me=$(basename "$0")
tls_dir="\${DOODBA_TLS_DIR:-/etc/nginx/tls}"
live_dir="\${DOODBA_TLS_LIVE_DIR:-}"
names="\${DOODBA_TLS_NAMES:-localhost}"
cert="$tls_dir/fullchain.pem"
key="$tls_dir/privkey.pem"

mkdir -p "$tls_dir"

if [ -n "$live_dir" ] && [ -s "$live_dir/fullchain.pem" ] && [ -s "$live_dir/privkey.pem" ]; then
    if [ "$(readlink "$cert" || true)" != "$live_dir/fullchain.pem" ]; then
        ln -sfn "$live_dir/privkey.pem" "$key"
        ln -sfn "$live_dir/fullchain.pem" "$cert"
        echo "$me: using the certificate in $live_dir"
    fi
    exit 0
fi

if [ -s "$cert" ] && [ -s "$key" ] && openssl x509 -checkend 86400 -noout -in "$cert" >/dev/null 2>&1; then
    exit 0
fi

first=""
san=""
for name in $names; do
    [ -n "$first" ] || first=$name
    san="\${san:+$san,}DNS:$name"
done
rm -f "$cert.new" "$key.new"
if ! out=$(openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=$first" -addext "subjectAltName=$san" \\
    -keyout "$key.new" -out "$cert.new" 2>&1); then
    echo "$me: openssl could not make a certificate: $out" >&2
    exit 1
fi
chmod 600 "$key.new"
rm -f "$cert" "$key"
mv "$key.new" "$key"
mv "$cert.new" "$cert"
echo "$me: made a self-signed certificate for $names (valid 365 days)"
`;

const WATCH_SCRIPT = `#!/bin/sh
# Generated by doodba-ops init. Runs in the nginx container before nginx starts and leaves a
# watcher in the background that reloads nginx when what it read at start-up changes:
# - the certificate files (a Let's Encrypt renewal, the first real certificate replacing the
#   placeholder, a certificate file overwritten on the host);
# - the addresses of the upstream containers (DOODBA_UPSTREAM_HOSTS, e.g. odoo): nginx resolves
#   upstream names once, so a recreated Odoo container would otherwise get 502s until a restart.
# It looks every DOODBA_WATCH_INTERVAL seconds (default ${WATCH_INTERVAL}) and reloads only on a change.
set -u

me=$(basename "$0")
interval="\${DOODBA_WATCH_INTERVAL:-${WATCH_INTERVAL}}"
tls_dir="\${DOODBA_TLS_DIR:-/etc/nginx/tls}"
hosts="\${DOODBA_UPSTREAM_HOSTS:-}"
tls_script="\${DOODBA_TLS_SCRIPT:-/docker-entrypoint.d/40-doodba-tls.sh}"

# Prints what nginx depends on; fails while an upstream name does not resolve (container restarting).
state() {
    cat "$tls_dir/fullchain.pem" "$tls_dir/privkey.pem" 2>/dev/null | cksum
    for host in $hosts; do
        addresses=$(getent hosts "$host") || return 1
        [ -n "$addresses" ] || return 1
        printf '%s\\n' "$addresses" | sort
    done
}

watch_loop() {
    last=$(state) || last=""
    while sleep "$interval"; do
        if [ -x "$tls_script" ]; then
            "$tls_script" || continue
        fi
        now=$(state) || continue
        [ "$now" != "$last" ] || continue
        if nginx -t -q && nginx -s reload; then
            echo "$me: certificate or upstream address changed: nginx reloaded"
            last=$now
        fi
    done
}

watch_loop </dev/null 3>&- &
echo "$me: watching the certificate and $hosts every $interval s"
`;

const CERTBOT_SCRIPT = `#!/bin/sh
# Generated by doodba-ops init. Entry point of the certbot service: obtains the Let's Encrypt
# certificate DOODBA_TLS_CERT_NAME for the names in DOODBA_TLS_NAMES through the webroot that
# nginx serves at /.well-known/acme-challenge/, then asks again every 12 hours (certbot renews it
# when it is due, and does nothing otherwise). nginx's watcher reloads nginx when it changes.
# DOODBA_ACME_STAGING=1 uses Let's Encrypt's staging CA (for trials: no rate limits, untrusted).
set -u

names="\${DOODBA_TLS_NAMES:?DOODBA_TLS_NAMES must list the host names}"
cert_name="\${DOODBA_TLS_CERT_NAME:?DOODBA_TLS_CERT_NAME must name the certificate}"
email="\${LETSENCRYPT_EMAIL:?LETSENCRYPT_EMAIL must be the account e-mail}"
webroot="\${DOODBA_ACME_WEBROOT:-/var/www/certbot}"

obtain() {
    set -- certonly --webroot -w "$webroot" --cert-name "$cert_name" -m "$email" \\
        --agree-tos --no-eff-email --non-interactive --keep-until-expiring
    if [ "\${DOODBA_ACME_STAGING:-0}" = 1 ]; then
        set -- "$@" --staging
    fi
    for name in $names; do
        set -- "$@" -d "$name"
    done
    certbot "$@"
}

trap 'exit 0' TERM INT
while :; do
    if obtain; then
        pause=43200
    else
        # Let's Encrypt allows 5 failed validations per host name and hour.
        echo "certbot: no certificate for $names yet; next try in 1 hour" >&2
        pause=3600
    fi
    sleep "$pause" &
    wait $!
done
`;
