/**
 * Traefik for `doodba-ops init`: the labels that route one environment's Odoo service, and, when
 * the proxy is bundled, the Traefik service itself with a Docker socket proxy. Pure: a
 * {@link ProxyContext} in, a {@link ProxyRender} out; the scaffold merges it into `<env>.yaml`.
 *
 * What every environment gets (and what `doodba-ops check` verifies through
 * src/check/lib/proxy.ts):
 * - a main router for the domains -> Odoo's HTTP port, with HSTS, security headers and compression;
 * - a bus router (`/websocket` on 16+, `/longpolling` before) -> Odoo's gevent port;
 * - a `/web/database` router that wins over the main one (its rule is the main rule plus a path,
 *   so Traefik's default priority, the rule length, is higher) and lets only the admin CIDRs
 *   through an IP allow-list; with none, the list is 127.0.0.1/32, which no client has: 403;
 * - a plain-HTTP router that redirects to https (permanent).
 *
 * Shared Traefik (doodba-copier-template's global "inverseproxy"): labels only, with no entry
 * point names (routers attach to the shared Traefik's default entry points; the TLS routers
 * answer on its TLS one whatever it is called: `websecure`, `web-main`...) and `ipWhiteList`,
 * which Traefik 2 knows and Traefik 3 still accepts (deprecated), because the shared Traefik's
 * version is not ours to pick: a middleware type it did not know would make it drop the labels.
 * Bundled Traefik: pinned v3 with `ipAllowList`, entry points `web` (:80, redirecting) and
 * `websecure` (:443), timeouts from the Odoo sizing, Docker API reached through
 * tecnativa/docker-socket-proxy on an internal network (Traefik never holds docker.sock).
 */
import { isIP } from "node:net";
import { UserError } from "../../errors.js";
import type { PlannedFile, ProxyContext, ProxyRender } from "../types.js";

/** Traefik 3: ipAllowList, v3 rule syntax, `traefik healthcheck --ping`. */
export const TRAEFIK_IMAGE = "traefik:v3.3";
/** Read-only Docker API subset for Traefik's docker provider. */
export const SOCKET_PROXY_IMAGE = "tecnativa/docker-socket-proxy:0.3.0";
/** Certificate resolver name: the bundled Traefik defines it; doodba-copier-template's inverseproxy uses the same. */
export const CERT_RESOLVER = "letsencrypt";
/** Entry points of the bundled Traefik. */
export const EP_HTTP = "web";
export const EP_HTTPS = "websecure";
/** Compose service and internal network of the socket proxy (bundled only). */
export const SOCKET_PROXY_SERVICE = "dockersocket";
export const SOCKET_PROXY_NETWORK = "dockersocket";
/** Named volume holding acme.json (bundled + letsencrypt). */
export const ACME_VOLUME = "letsencrypt";
/** Dynamic configuration with the certificate files (bundled + tls: files). */
export const TLS_DYNAMIC_FILE = "traefik/tls.yaml";
const TLS_DYNAMIC_TARGET = "/etc/traefik/dynamic/tls.yaml";
const CERT_TARGET = "/etc/traefik/certs/tls.crt";
const KEY_TARGET = "/etc/traefik/certs/tls.key";
/** An allow-list nobody matches: Traefik sees clients' addresses, never its own loopback. */
const NOBODY = "127.0.0.1/32";
/** HSTS max-age: one year (check wants at least six months). */
const HSTS_SECONDS = 31536000;
/** Keep-alive idle time between requests; unrelated to how long one request may take. */
const IDLE_TIMEOUT_S = 180;

/** Router/service/middleware name prefix: `<project>-<env>`, lowercase letters, digits and dashes. */
export function routerPrefix(projectName: string, envName: string): string {
  return `${projectName}-${envName}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^-|-$/g, "");
}

const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** `10.0.0.0/8`, `203.0.113.7`, `2001:db8::/32`: what Traefik's sourceRange accepts. */
export function isCidr(s: string): boolean {
  const [addr = "", bits, ...rest] = s.trim().split("/");
  if (rest.length > 0) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
}

function validate(ctx: ProxyContext): void {
  const { answers: a, env } = ctx;
  if (env.domains.length === 0) {
    throw new UserError(`Environment ${env.name} has no domain: Traefik needs at least one host name to route to Odoo`, {
      hint: `Give ${env.name} its public host names (e.g. erp.example.com), or make it a devel environment.`,
    });
  }
  for (const d of env.domains) {
    if (!HOSTNAME.test(d)) {
      throw new UserError(`Environment ${env.name}: "${d}" is not a host name Traefik can match`, {
        hint: "Use a plain DNS name such as erp.example.com (no scheme, port, path or wildcard).",
      });
    }
  }
  for (const c of a.dbManagerAllow) {
    if (!isCidr(c)) {
      throw new UserError(`"${c}" in the database-manager allow-list is not an IP address or CIDR`, {
        hint: "Write addresses like 203.0.113.7, 203.0.113.0/24 or 2001:db8::/48.",
      });
    }
  }
  if (env.tls === "none" && env.kind === "prod") {
    throw new UserError(`Environment ${env.name} is production but its TLS mode is "none"`, {
      hint: "Production needs TLS: choose letsencrypt, or files with your certificate and key.",
    });
  }
  if (env.tls === "letsencrypt" && !a.letsencryptEmail?.trim()) {
    throw new UserError(`Environment ${env.name} uses Let's Encrypt but no e-mail address was given`, {
      hint: "Let's Encrypt needs an account e-mail for expiry notices: answer letsencryptEmail.",
    });
  }
  if (env.tls === "files" && (!a.tlsCertFile?.trim() || !a.tlsKeyFile?.trim())) {
    throw new UserError(`Environment ${env.name} uses certificate files but tlsCertFile or tlsKeyFile is missing`, {
      hint: "Give the host paths of the certificate (full chain) and of its private key.",
    });
  }
}

function hostRule(domains: string[]): string {
  return domains.map((d) => `Host(\`${d}\`)`).join(" || ");
}

function pathRule(domains: string[], path: string): string {
  const hosts = hostRule(domains);
  return `${domains.length > 1 ? `(${hosts})` : hosts} && PathPrefix(\`${path}\`)`;
}

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

/** The Odoo service's labels. */
function odooLabels(ctx: ProxyContext): Record<string, string> {
  const { answers: a, env } = ctx;
  const p = routerPrefix(a.projectName, env.name);
  const tls = env.tls !== "none";
  const bundled = a.proxyBundled;
  const L: Record<string, string> = {
    "traefik.enable": "true",
    "traefik.docker.network": ctx.frontendNetwork,
  };
  const svcMain = `${p}-main`;
  const svcBus = `${p}-bus`;
  L[`traefik.http.services.${svcMain}.loadbalancer.server.port`] = String(ctx.httpPort);
  L[`traefik.http.services.${svcBus}.loadbalancer.server.port`] = String(ctx.geventPort);

  // Middlewares
  const mw = {
    hsts: `${p}-hsts`,
    security: `${p}-security`,
    compress: `${p}-compress`,
    dbAllow: `${p}-dbmanager-allow`,
    redirect: `${p}-https-redirect`,
  };
  const M = (name: string, prop: string, value: string): void => {
    L[`traefik.http.middlewares.${name}.${prop}`] = value;
  };
  if (tls) {
    M(mw.hsts, "headers.stsSeconds", String(HSTS_SECONDS));
    M(mw.hsts, "headers.stsIncludeSubdomains", "true");
    M(mw.hsts, "headers.stsPreload", "false");
    M(mw.hsts, "headers.forceSTSHeader", "true");
    M(mw.redirect, "redirectScheme.scheme", "https");
    M(mw.redirect, "redirectScheme.permanent", "true");
  }
  M(mw.security, "headers.contentTypeNosniff", "true");
  // Odoo's website builder frames its own pages: SAMEORIGIN, not DENY.
  M(mw.security, "headers.customFrameOptionsValue", "SAMEORIGIN");
  M(mw.security, "headers.referrerPolicy", "strict-origin-when-cross-origin");
  M(mw.compress, "compress", "true");
  // Traefik 2 has no ipAllowList and would drop every label of the container on an unknown key.
  const allowType = bundled ? "ipAllowList" : "ipWhiteList";
  M(mw.dbAllow, `${allowType}.sourceRange`, (a.dbManagerAllow.length > 0 ? a.dbManagerAllow : [NOBODY]).join(","));

  const headers = tls ? [mw.hsts, mw.security] : [mw.security];
  const R = (name: string, rule: string, service: string, middlewares: string[], secure: boolean): void => {
    const r = `traefik.http.routers.${name}`;
    L[`${r}.rule`] = rule;
    L[`${r}.service`] = service;
    L[`${r}.middlewares`] = middlewares.join(", ");
    if (bundled) L[`${r}.entrypoints`] = secure ? EP_HTTPS : EP_HTTP;
    if (secure) {
      L[`${r}.tls`] = "true";
      if (env.tls === "letsencrypt") L[`${r}.tls.certresolver`] = CERT_RESOLVER;
    }
  };
  const domains = env.domains;
  R(`${p}-main`, hostRule(domains), svcMain, [...headers, mw.compress], tls);
  // No compression or buffering on the bus: websocket upgrades and long polls stream.
  R(`${p}-bus`, pathRule(domains, ctx.busPath), svcBus, headers, tls);
  // Rule = main rule + a path, so its default priority (the rule length) beats the main router's.
  R(`${p}-dbmanager`, pathRule(domains, "/web/database"), svcMain, [mw.dbAllow, ...headers], tls);
  // The redirect comes first; the headers are there for a shared Traefik whose TLS entry point
  // makes every router TLS (`http.tls` at the entry point): this router then answers https
  // requests itself (redirectScheme passes them through) and must send what the main one sends.
  if (tls) R(`${p}-http`, hostRule(domains), svcMain, [mw.redirect, ...headers, mw.compress], false);
  return sortKeys(L);
}

function duration(seconds: number): string {
  return `${Math.max(1, Math.ceil(seconds))}s`;
}

/** Static configuration of the bundled Traefik, as command-line flags. */
function traefikCommand(ctx: ProxyContext): string[] {
  const { answers: a, env, sizing } = ctx;
  const tls = env.tls !== "none";
  const timeout = duration(sizing.proxyTimeout);
  const flags = [
    "--global.checkNewVersion=false",
    "--global.sendAnonymousUsage=false",
    "--ping=true",
    `--entrypoints.${EP_HTTP}.address=:80`,
  ];
  if (tls) {
    flags.push(
      `--entrypoints.${EP_HTTP}.http.redirections.entryPoint.to=${EP_HTTPS}`,
      `--entrypoints.${EP_HTTP}.http.redirections.entryPoint.scheme=https`,
      `--entrypoints.${EP_HTTP}.http.redirections.entryPoint.permanent=true`,
      `--entrypoints.${EP_HTTPS}.address=:443`,
      `--entrypoints.${EP_HTTPS}.http.tls=true`,
    );
  }
  // Traefik 3 ends a request whose body is still being read after 60 s (large imports, restores
  // of attachments): both directions get the sized proxy timeout, a little above limit_time_real.
  const served = tls ? EP_HTTPS : EP_HTTP;
  flags.push(
    `--entrypoints.${served}.transport.respondingTimeouts.readTimeout=${timeout}`,
    `--entrypoints.${served}.transport.respondingTimeouts.writeTimeout=${timeout}`,
    `--entrypoints.${served}.transport.respondingTimeouts.idleTimeout=${duration(IDLE_TIMEOUT_S)}`,
    `--serversTransport.forwardingTimeouts.responseHeaderTimeout=${timeout}`,
    "--providers.docker=true",
    `--providers.docker.endpoint=tcp://${SOCKET_PROXY_SERVICE}:2375`,
    "--providers.docker.exposedByDefault=false",
    `--providers.docker.network=${ctx.frontendNetwork}`,
  );
  if (env.tls === "letsencrypt") {
    flags.push(
      `--certificatesresolvers.${CERT_RESOLVER}.acme.email=${(a.letsencryptEmail ?? "").trim()}`,
      `--certificatesresolvers.${CERT_RESOLVER}.acme.storage=/letsencrypt/acme.json`,
      `--certificatesresolvers.${CERT_RESOLVER}.acme.httpChallenge.entryPoint=${EP_HTTP}`,
    );
  }
  if (env.tls === "files") flags.push(`--providers.file.filename=${TLS_DYNAMIC_TARGET}`);
  return flags;
}

function tlsDynamicFile(): PlannedFile {
  const lines = [
    "# Generated by doodba-ops init: the certificate the bundled Traefik serves (tls: files).",
    "# The certificate and key are mounted read-only from the host paths given at init;",
    "# after replacing them, restart the traefik service.",
    "tls:",
    "  certificates:",
    `    - certFile: ${CERT_TARGET}`,
    `      keyFile: ${KEY_TARGET}`,
    "  stores:",
    "    default:",
    "      defaultCertificate:",
    `        certFile: ${CERT_TARGET}`,
    `        keyFile: ${KEY_TARGET}`,
  ];
  return { path: TLS_DYNAMIC_FILE, content: lines.join("\n") + "\n" };
}

function bindRo(source: string, target: string): Record<string, unknown> {
  return { type: "bind", source, target, read_only: true };
}

function bundledServices(ctx: ProxyContext): Pick<ProxyRender, "services" | "networks" | "volumes" | "files"> {
  const { answers: a, env } = ctx;
  const tls = env.tls !== "none";
  const volumes: unknown[] = [];
  const out: Pick<ProxyRender, "services" | "networks" | "volumes" | "files"> = {
    services: {},
    networks: { [SOCKET_PROXY_NETWORK]: { internal: true } },
    volumes: {},
    files: [],
  };
  if (env.tls === "letsencrypt") {
    volumes.push(`${ACME_VOLUME}:/letsencrypt`);
    out.volumes[ACME_VOLUME] = {};
  }
  if (env.tls === "files") {
    volumes.push(bindRo(`./${TLS_DYNAMIC_FILE}`, TLS_DYNAMIC_TARGET));
    volumes.push(bindRo((a.tlsCertFile ?? "").trim(), CERT_TARGET));
    volumes.push(bindRo((a.tlsKeyFile ?? "").trim(), KEY_TARGET));
    out.files.push(tlsDynamicFile());
  }
  const traefik: Record<string, unknown> = {
    image: TRAEFIK_IMAGE,
    command: traefikCommand(ctx),
    // The edge: the only container publishing on every interface.
    ports: tls ? ["80:80", "443:443"] : ["80:80"],
  };
  if (volumes.length > 0) traefik.volumes = volumes;
  Object.assign(traefik, {
    networks: [ctx.frontendNetwork, SOCKET_PROXY_NETWORK],
    depends_on: [SOCKET_PROXY_SERVICE],
    // Same static config as the server (ping on the internal `traefik` entry point, :8080).
    healthcheck: { test: ["CMD", "traefik", "healthcheck", "--ping"], interval: "30s", timeout: "5s", retries: 3, start_period: "10s" },
    restart: "unless-stopped",
    mem_limit: "256m",
    security_opt: ["no-new-privileges:true"],
  });
  out.services.traefik = traefik;
  out.services[SOCKET_PROXY_SERVICE] = {
    image: SOCKET_PROXY_IMAGE,
    // Read-only subset the docker provider needs: list/inspect containers and networks, events.
    environment: {
      CONTAINERS: "1",
      EVENTS: "1",
      NETWORKS: "1",
      PING: "1",
      VERSION: "1",
      POST: "0",
      SERVICES: "0",
      TASKS: "0",
    },
    volumes: ["/var/run/docker.sock:/var/run/docker.sock:ro"],
    networks: [SOCKET_PROXY_NETWORK],
    restart: "unless-stopped",
    mem_limit: "128m",
    security_opt: ["no-new-privileges:true"],
  };
  return out;
}

function notes(ctx: ProxyContext): string[] {
  const { answers: a, env, sizing } = ctx;
  const hosts = env.domains.join(", ");
  const tls = env.tls !== "none";
  const out: string[] = [];
  const allow =
    a.dbManagerAllow.length > 0
      ? `${env.name}: /web/database/* (the database manager) answers only to ${a.dbManagerAllow.join(", ")}; everyone else gets 403 from Traefik.`
      : `${env.name}: /web/database/* (the database manager) is refused (403) for everyone by Traefik; list admin CIDRs in db_manager_allow (init --db-manager-allow <cidr>) to open it to them.`;
  if (a.proxyBundled) {
    out.push(
      `${env.name}: point the DNS records of ${hosts} at this host and open ports 80 and 443 to it; the bundled Traefik (${TRAEFIK_IMAGE}) terminates TLS there.`,
    );
    if (env.tls === "letsencrypt") {
      out.push(`${env.name}: Let's Encrypt certificates for ${hosts} are requested over HTTP-01 on port 80 (account ${a.letsencryptEmail ?? ""}) and kept in the ${ACME_VOLUME} volume.`);
    }
    out.push(
      "Traefik sends X-Forwarded-For, X-Forwarded-Host and X-Forwarded-Proto to Odoo (PROXY_MODE is on). If a CDN or another proxy sits in front of Traefik, add " +
        `--entrypoints.${EP_HTTPS}.forwardedHeaders.trustedIPs=<its CIDRs> so client addresses survive, and give the database-manager allow-list an ipStrategy.`,
    );
  } else {
    const needs = [
      `Traefik 2 or 3 watching Docker with exposedByDefault=false and attached to the external network ${ctx.frontendNetwork} (create it once: docker network create ${ctx.frontendNetwork})`,
      "an HTTP entry point on :80 and a TLS entry point on :443 as default entry points (the routers here name none, so the entry point names do not matter)",
      `readTimeout and writeTimeout of at least ${sizing.proxyTimeout}s on the TLS entry point (Traefik 3 cuts request bodies after 60 s: large imports fail)`,
      "X-Forwarded-* headers passed to Odoo (Traefik's default; forwardedHeaders.trustedIPs only matters when another proxy or CDN is in front of it)",
    ];
    if (env.tls === "letsencrypt") needs.push(`a certificate resolver named ${CERT_RESOLVER}`);
    if (env.tls === "files") needs.push(`the certificate ${a.tlsCertFile ?? ""} and key ${a.tlsKeyFile ?? ""} loaded through its file provider`);
    if (env.tls === "self-signed") needs.push("nothing for TLS: its default self-signed certificate is served");
    out.push(`${env.name}: the shared Traefik (doodba-copier-template's inverseproxy) must provide ${needs.join("; ")}.`);
    out.push(`${env.name}: point the DNS records of ${hosts} at the host of the shared Traefik.`);
  }
  if (env.tls === "files") {
    out.push(`${env.name}: the certificate ${a.tlsCertFile ?? ""} must hold the full chain and cover ${hosts}; after renewing it, restart Traefik.`);
  }
  if (tls) {
    out.push(
      `${env.name}: HSTS (max-age one year, includeSubDomains) makes browsers refuse plain HTTP to ${hosts} and every sub-domain of ${env.domains.length > 1 ? "them" : "it"} for a year: serve those sub-domains over HTTPS too.`,
    );
  }
  if (env.tls === "self-signed") out.push(`${env.name}: Traefik serves a self-signed certificate: browsers warn; fine for testing, not for users.`);
  out.push(allow);
  return out;
}

/** Traefik for one non-devel environment: labels for Odoo, and the proxy itself when bundled. */
export function renderTraefik(ctx: ProxyContext): ProxyRender {
  validate(ctx);
  const render: ProxyRender = {
    odooLabels: odooLabels(ctx),
    services: {},
    networks: {},
    volumes: {},
    odooPorts: [],
    files: [],
    notes: notes(ctx),
  };
  if (ctx.answers.proxyBundled) Object.assign(render, bundledServices(ctx));
  return render;
}

