/**
 * Reverse-proxy analysis of one environment: which proxy routes (Traefik 1 labels, Traefik 2/3
 * labels and file-provider config, nginx configs in the project) send traffic to which compose
 * service and port, over TLS or not, whether /web/database is blocked, and which HSTS headers
 * are declared. Pure: reads only the model (project.read for config files). Never throws on odd
 * but valid input; what cannot be told is left undefined.
 *
 * Traefik's static configuration (entry points with TLS or an http->https redirect, the default
 * entry points, exposedByDefault, the Traefik major version) is read from every Traefik service
 * of the project (any environment, e.g. inverseproxy.yaml, and compose files in sub-folders),
 * their command flags and the config files mounted into them or named like traefik*.toml/yaml.
 */
import { parse as parseYamlValue, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";
import type { SourcePos } from "../../errors.js";
import type { EnvModel, OdooConfig, ProjectModel, ServiceModel } from "../../project/model.js";
import { imageName, imageTag, odooInt } from "./common.js";

export type ProxyKind = "traefik1" | "traefik2" | "nginx";

export interface ProxyRoute {
  kind: ProxyKind;
  /** Compose service that receives the traffic. */
  service: string;
  /** Traefik router/frontend name or nginx server_name. */
  router?: string;
  hosts: string[];
  /** Path the route matches (literal prefix of the rule's path); undefined = "/" (everything). */
  pathPrefix?: string;
  /** The rule matches that exact path only (Traefik `Path`, nginx `location =`). */
  exactPath?: boolean;
  /** Backend container port, e.g. 8069 or 8072; undefined when the proxy picks it (one exposed port). */
  port?: number;
  /** Served over TLS; undefined = cannot tell (TLS set up at an entry point this project does not show). */
  tls?: boolean;
  /** Plain HTTP is redirected to HTTPS (redirectScheme / sslRedirect middleware, redirecting entry point, nginx `return 301 https://`). */
  httpsRedirect?: boolean;
  /** Access limited by an IP allow-list, authentication or `deny` (for the whole route). */
  restricted?: boolean;
  entrypoints: string[];
  middlewares: string[];
  /** Where the route is declared (label / nginx location line). */
  pos?: SourcePos;
}

export interface HstsDeclaration {
  kind: ProxyKind;
  /** The declaration makes the proxy send a Strict-Transport-Security header (Traefik sends none while stsSeconds is 0). */
  present: boolean;
  /** max-age in seconds, when set. */
  maxAge?: number;
  /** Middleware / frontend name, or the nginx file. */
  name?: string;
  pos?: SourcePos;
}

export interface ProxyAnalysis {
  /** A reverse proxy routes to an Odoo service in this env. */
  present: boolean;
  routes: ProxyRoute[];
  /**
   * true when something blocks /web/database (a Traefik router on that path with a deny /
   * ipWhiteList / ipAllowList / auth middleware or a noop/other service, nginx `location ~ ^/web/database`
   * with deny / return 403/404), or no Odoo route reaches it; false when a route serves it;
   * undefined when no proxy routes to Odoo.
   */
  dbManagerBlocked?: boolean;
  /** The routes through which /web/database/* reaches Odoo unblocked (empty unless dbManagerBlocked is false). */
  dbManagerRoutes: ProxyRoute[];
  /** HSTS declarations in effect for this env (Traefik middlewares used by its routers, Traefik 1 frontend headers, nginx add_header). */
  hsts: HstsDeclaration[];
}

/** HTTP and gevent (websocket/longpolling) ports of an Odoo service. */
export function odooPorts(cfg: OdooConfig): { http: number; gevent: number } {
  return {
    http: odooInt(cfg.options.http_port?.value) ?? 8069,
    gevent: odooInt(cfg.options.gevent_port?.value) ?? 8072,
  };
}

/** What a route to an Odoo service reaches: its HTTP port, its gevent port, or something else. */
export function routeTarget(route: ProxyRoute, cfg: OdooConfig): "http" | "gevent" | "other" {
  const p = odooPorts(cfg);
  if (route.port === undefined || route.port === p.http) return "http";
  if (route.port === p.gevent) return "gevent";
  return "other";
}

/** The bus path a route is for, from its path prefix. */
export function busPath(route: ProxyRoute): "websocket" | "longpolling" | undefined {
  const p = (route.pathPrefix ?? "").toLowerCase();
  if (p.startsWith("/websocket")) return "websocket";
  if (p.startsWith("/longpolling")) return "longpolling";
  return undefined;
}

/** Routes of `analysis` that reach Odoo service `service`. */
export function routesTo(analysis: ProxyAnalysis, service: string): ProxyRoute[] {
  return analysis.routes.filter((r) => r.service === service);
}

/** Short human description of a route, e.g. `traefik2 router main-0 (Host example.com, /websocket -> :8072)`. */
export function describeRoute(r: ProxyRoute): string {
  const what = r.kind === "nginx" ? `nginx server ${r.router ?? "(no server_name)"}` : `${r.kind} ${r.kind === "traefik1" ? "frontend" : "router"} ${r.router ?? "(default)"}`;
  const hosts = r.hosts.length ? ` ${r.hosts.join(", ")}` : "";
  const path = r.pathPrefix ?? "/";
  const port = r.port !== undefined ? ` -> :${r.port}` : "";
  return `${what} (${hosts.trim() || "any host"}, ${path}${port})`;
}

// ---------------------------------------------------------------------------------------------
// Internal router model (one per Traefik router/frontend or nginx location)

interface Matcher {
  kind: "prefix" | "exact" | "regex";
  /** Literal path (prefix/exact) or the literal prefix of a regex. */
  value: string;
  re?: RegExp;
}

interface Router {
  kind: ProxyKind;
  name?: string;
  /** Compose service; undefined for internal services (noop@internal, api@internal) and unresolved backends. */
  service?: string;
  /** A Traefik internal service (noop@internal...) or another non-compose backend. */
  internal?: string;
  port?: number;
  hosts: string[];
  hostRegexps: RegExp[];
  /** Alternatives; empty = every path. */
  paths: Matcher[];
  /** Negated path matchers (`!PathPrefix(...)`). */
  excludes: Matcher[];
  priority: number;
  tls?: boolean;
  httpsRedirect: boolean;
  restricted: boolean;
  /** Answers itself without proxying (nginx return / deny; Traefik noop). */
  denies: boolean;
  /** Redirects elsewhere (redirectRegex, frontend.redirect.regex). */
  redirectsAway: boolean;
  entrypoints: string[];
  middlewares: string[];
  pos?: SourcePos;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function safeRegExp(src: string, flags = ""): RegExp | undefined {
  try {
    return new RegExp(src, flags);
  } catch {
    return undefined;
  }
}

/** Traefik path template (`/web/{anything:.*}`, `/x/{id}`) -> matcher. */
export function traefikPathMatcher(path: string, exact: boolean): Matcher {
  const p = path.trim();
  const brace = p.indexOf("{");
  if (brace < 0) return { kind: exact ? "exact" : "prefix", value: p };
  let src = "^";
  let i = 0;
  while (i < p.length) {
    const open = p.indexOf("{", i);
    if (open < 0) {
      src += escapeRe(p.slice(i));
      break;
    }
    src += escapeRe(p.slice(i, open));
    let depth = 0;
    let close = -1;
    for (let j = open; j < p.length; j++) {
      if (p[j] === "{") depth++;
      else if (p[j] === "}") {
        depth--;
        if (depth === 0) {
          close = j;
          break;
        }
      }
    }
    if (close < 0) {
      src += escapeRe(p.slice(open));
      break;
    }
    const inner = p.slice(open + 1, close);
    const colon = inner.indexOf(":");
    src += colon >= 0 ? `(?:${inner.slice(colon + 1)})` : "[^/]+";
    i = close + 1;
  }
  if (exact) src += "$";
  const re = safeRegExp(src);
  return re ? { kind: "regex", value: p.slice(0, brace), re } : { kind: "prefix", value: p.slice(0, brace) };
}

function regexMatcher(pattern: string, flags = ""): Matcher | undefined {
  const re = safeRegExp(pattern, flags);
  if (!re) return undefined;
  const lit = /^\^?((?:\/|[A-Za-z0-9_.-]|\\[./-])*)/.exec(pattern)?.[1] ?? "";
  return { kind: "regex", value: lit.replace(/\\(.)/g, "$1"), re };
}

function matchPath(m: Matcher, uri: string): boolean {
  if (m.kind === "exact") return uri === m.value;
  if (m.kind === "prefix") return uri.startsWith(m.value);
  return m.re?.test(uri) ?? false;
}

function routerMatches(r: Router, uri: string): boolean {
  if (r.paths.length > 0 && !r.paths.some((m) => matchPath(m, uri))) return false;
  return !r.excludes.some((m) => matchPath(m, uri));
}

function hostCovers(b: Router, r: Router): boolean {
  if (b.hosts.length === 0 && b.hostRegexps.length === 0) return true;
  if (r.hosts.length === 0) return false;
  return r.hosts.every((h) => b.hosts.some((x) => x.toLowerCase() === h.toLowerCase()) || b.hostRegexps.some((re) => re.test(h)));
}

// ---------------------------------------------------------------------------------------------
// Traefik rules

export interface ParsedRule {
  hosts: string[];
  hostRegexps: RegExp[];
  paths: Matcher[];
  excludes: Matcher[];
}

function quotedArgs(s: string): string[] {
  const out: string[] = [];
  const re = /`([^`]*)`|"((?:[^"\\]|\\.)*)"|'([^']*)'/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] ?? m[2] ?? m[3] ?? "");
  return out;
}

/** Traefik 2/3 rule: `Host(`a`, `b`) && (PathPrefix(`/web/`) || Path(`/web`)) && !PathPrefix(`/x`)`. */
export function parseTraefik2Rule(rule: string): ParsedRule {
  const out: ParsedRule = { hosts: [], hostRegexps: [], paths: [], excludes: [] };
  const re = /(!?)\s*\b(HostSNI|HostRegexp|Host|PathPrefix|PathRegexp|Path)\s*\(([^)]*)\)/gi;
  for (let m = re.exec(rule); m; m = re.exec(rule)) {
    const neg = m[1] === "!";
    const fn = (m[2] ?? "").toLowerCase();
    const args = quotedArgs(m[3] ?? "");
    for (const a of args) {
      if (fn === "host" || fn === "hostsni") {
        if (!neg && a) out.hosts.push(a);
      } else if (fn === "hostregexp") {
        // v2 templates ({any:.+}) or v3 plain regular expressions
        const src = a.includes("{") ? traefikPathMatcher(a, true).re?.source : `^(?:${a})$`;
        const hre = src ? safeRegExp(src, "i") : undefined;
        if (!neg && hre) out.hostRegexps.push(hre);
      } else {
        const matcher = fn === "pathregexp" ? regexMatcher(a) : traefikPathMatcher(a, fn === "path");
        if (matcher) (neg ? out.excludes : out.paths).push(matcher);
      }
    }
  }
  return out;
}

/** Traefik 1 frontend rule: `Host:a,b;PathPrefix:/longpolling/`, `Host:a;Path:/web,/web/{anything:.*}`. */
export function parseTraefik1Rule(rule: string): ParsedRule {
  const out: ParsedRule = { hosts: [], hostRegexps: [], paths: [], excludes: [] };
  for (const seg of splitTopLevel(rule, ";")) {
    const s = seg.trim();
    const m = /^([A-Za-z]+)\s*:(.*)$/s.exec(s);
    if (!m) {
      // Mixed v2-style matchers in a v1 label (seen in the wild): read what can be read.
      if (s.includes("(")) {
        const v2 = parseTraefik2Rule(s);
        out.hosts.push(...v2.hosts);
        out.paths.push(...v2.paths);
        out.hostRegexps.push(...v2.hostRegexps);
      }
      continue;
    }
    const key = (m[1] ?? "").toLowerCase();
    const values = splitTopLevel(m[2] ?? "", ",").map((v) => v.trim()).filter((v) => v !== "");
    if (key === "host") out.hosts.push(...values);
    else if (key === "hostregexp") {
      for (const v of values) {
        const re = traefikPathMatcher(v, true).re;
        if (re) out.hostRegexps.push(new RegExp(re.source, "i"));
      }
    } else if (key === "path" || key === "pathstrip") out.paths.push(...values.map((v) => traefikPathMatcher(v, true)));
    else if (key === "pathprefix" || key === "pathprefixstrip") out.paths.push(...values.map((v) => traefikPathMatcher(v, false)));
    else if (key === "pathstripregex" || key === "pathprefixstripregex") out.paths.push(...values.map((v) => traefikPathMatcher(v, key === "pathstripregex")));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Traefik static configuration (project-wide)

interface EntryPointInfo {
  tls: boolean;
  redirectTo?: string;
  redirectScheme?: string;
  port?: number;
  middlewares: string[];
}

interface TraefikStatic {
  /** Major versions of the Traefik images in the project. */
  versions: Set<number>;
  entrypoints: Map<string, EntryPointInfo>;
  /** Traefik 1 defaultEntryPoints. */
  defaultEntrypoints?: string[];
  exposedByDefault?: boolean;
  /** File-provider (dynamic) configurations: keys like http.middlewares.<name>.headers.stsSeconds. */
  dynamic: FlatConfig[];
}

const staticCache = new WeakMap<ProjectModel, TraefikStatic>();

function ep(st: TraefikStatic, name: string): EntryPointInfo {
  const k = name.trim().toLowerCase();
  let e = st.entrypoints.get(k);
  if (!e) {
    e = { tls: false, middlewares: [] };
    st.entrypoints.set(k, e);
  }
  return e;
}

function portOf(address: string): number | undefined {
  const m = /:(\d+)(?:\/\w+)?$/.exec(address.trim());
  return m ? Number.parseInt(m[1] ?? "", 10) : undefined;
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && !/^(false|0|no|off)$/i.test(v.trim());
}

/** Reads static options (entry points, defaults, exposedByDefault) from a flat config. */
function readStatic(st: TraefikStatic, cfg: FlatConfig): void {
  for (const [k, e] of cfg.entries()) {
    const m = /^entrypoints\.([^.]+)\.(.+)$/.exec(k);
    if (m) {
      const info = ep(st, m[1] ?? "");
      const rest = m[2] ?? "";
      if (rest === "address") info.port = portOf(e.value) ?? info.port;
      else if ((rest === "tls" || rest.startsWith("tls.") || rest === "http.tls" || rest.startsWith("http.tls.")) && truthy(e.value)) info.tls = true;
      else if (rest === "http.redirections.entrypoint.to" || rest === "redirect.entrypoint") info.redirectTo ??= e.value.split("@")[0];
      else if (rest === "http.redirections.entrypoint.scheme") info.redirectScheme ??= e.value.toLowerCase();
      else if (rest === "redirect.replacement" && /^https:/i.test(e.value)) info.redirectScheme ??= "https";
      else if (rest === "http.middlewares") info.middlewares.push(...splitList(e.value));
      continue;
    }
    if (k === "defaultentrypoints") st.defaultEntrypoints = splitList(e.value);
    else if (k === "providers.docker.exposedbydefault" || k === "docker.exposedbydefault") {
      const v = e.value.trim().toLowerCase();
      if (v === "false" || v === "true") st.exposedByDefault = st.exposedByDefault === true ? true : v === "true";
    }
  }
}

function splitList(v: string): string[] {
  return v.split(/[,\s]+/).map((s) => s.trim()).filter((s) => s !== "");
}

function isDynamic(cfg: FlatConfig): boolean {
  for (const [k] of cfg.entries()) if (/^http\.(middlewares|routers|services)\./.test(k)) return true;
  return false;
}

/** Traefik v1 `--entryPoints=Name:http Address::80 Redirect.EntryPoint:https TLS` flag value. */
function readV1EntryPointFlag(st: TraefikStatic, value: string): void {
  const parts = value.trim().split(/\s+/);
  const name = parts.find((p) => /^name:/i.test(p))?.slice(5);
  if (!name) return;
  const info = ep(st, name);
  for (const p of parts) {
    if (/^address:/i.test(p)) info.port = portOf(p.slice(8)) ?? info.port;
    else if (/^tls(:|$)/i.test(p)) info.tls = true;
    else if (/^redirect\.entrypoint:/i.test(p)) info.redirectTo = p.slice("redirect.entrypoint:".length);
    else if (/^redirect\.replacement:https/i.test(p)) info.redirectScheme = "https";
  }
}

function flagsConfig(st: TraefikStatic, argv: string[]): FlatConfig {
  const cfg = new FlatConfig();
  for (const raw of argv) {
    const a = raw.trim();
    if (!a.startsWith("-")) continue;
    const body = a.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const key = eq >= 0 ? body.slice(0, eq) : body;
    const value = eq >= 0 ? body.slice(eq + 1) : "true";
    if (key.toLowerCase() === "entrypoints" && /name:/i.test(value)) readV1EntryPointFlag(st, value);
    else cfg.set(key, value);
  }
  return cfg;
}

function envConfig(environment: Record<string, string | null>): FlatConfig {
  const cfg = new FlatConfig();
  for (const [k, v] of Object.entries(environment)) {
    if (v === null || !/^TRAEFIK_/.test(k)) continue;
    cfg.set(k.slice("TRAEFIK_".length).toLowerCase().replace(/_/g, "."), v);
  }
  return cfg;
}

function traefikMajor(image: string): number {
  const tag = imageTag(image) ?? "latest";
  const m = /^v?(\d+)/.exec(tag);
  if (m) return Number.parseInt(m[1] ?? "", 10);
  if (/^(maroilles|camembert|cancoillotte|faisselle|montdor|morbier|picodon|roquefort|saintmarcelin|tetedemoine)/i.test(tag)) return 1;
  return 3;
}

function isTraefikImage(image: string | undefined): boolean {
  return !!image && /(^|\/)traefik$/.test(imageName(image));
}

/** Project-relative path of a bind-mount source (already project-relative from the loader, or absolute under the project). */
function projectRel(src: string | undefined, project: ProjectModel): string | undefined {
  if (!src) return undefined;
  let s = src;
  if (s.startsWith(`${project.dir}/`)) s = s.slice(project.dir.length + 1);
  else if (s.startsWith("/") || s.startsWith("~")) return undefined;
  s = s.replace(/^\.\//, "").replace(/\/+$/, "");
  return s === "" || s === "." ? "" : s;
}

/** Files of the project under a mounted path (the file itself, or every file of a mounted folder). */
function filesUnder(project: ProjectModel, rel: string): string[] {
  if (rel === "") return [];
  if (project.files.includes(rel)) return [rel];
  const prefix = `${rel}/`;
  return project.files.filter((f) => f.startsWith(prefix));
}

function parseConfigFile(project: ProjectModel, rel: string): FlatConfig | undefined {
  const text = project.read(rel);
  if (text === undefined) return undefined;
  if (/\.toml$/i.test(rel)) return flattenToml(text, rel);
  if (/\.ya?ml$/i.test(rel)) {
    const cfg = flattenYaml(text, rel);
    if (!cfg || cfg.get("services")) return undefined;
    return cfg;
  }
  return undefined;
}

interface LooseTraefikService {
  image?: string;
  argv: string[];
  environment: Record<string, string | null>;
  /** Project-relative mount sources. */
  mounts: string[];
}

/** Traefik services of compose files that are not environments (e.g. inverseproxy/traefik.yaml). */
function looseComposeTraefik(project: ProjectModel, rel: string): LooseTraefikService[] {
  const text = project.read(rel);
  if (text === undefined || !/^services\s*:/m.test(text)) return [];
  let doc: unknown;
  try {
    doc = parseYamlValue(text, { uniqueKeys: false });
  } catch {
    return [];
  }
  const services = (doc as { services?: unknown } | null)?.services;
  if (!services || typeof services !== "object") return [];
  const dir = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
  const out: LooseTraefikService[] = [];
  for (const raw of Object.values(services as Record<string, unknown>)) {
    if (!raw || typeof raw !== "object") continue;
    const s = raw as Record<string, unknown>;
    const image = typeof s.image === "string" ? s.image : undefined;
    if (!isTraefikImage(image)) continue;
    const toArgv = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === "string" ? v.split(/\s+/) : []);
    const environment: Record<string, string | null> = {};
    if (Array.isArray(s.environment)) {
      for (const item of s.environment) {
        const str = String(item);
        const i = str.indexOf("=");
        if (i > 0) environment[str.slice(0, i)] = str.slice(i + 1);
      }
    } else if (s.environment && typeof s.environment === "object") {
      for (const [k, v] of Object.entries(s.environment as Record<string, unknown>)) environment[k] = v === null || v === undefined ? null : String(v);
    }
    const mounts: string[] = [];
    if (Array.isArray(s.volumes)) {
      for (const v of s.volumes) {
        const source = typeof v === "string" ? v.split(":")[0] : v && typeof v === "object" ? String((v as Record<string, unknown>).source ?? "") : "";
        if (!source || !(source.startsWith(".") || source.startsWith("/"))) continue;
        if (source.startsWith("/")) continue;
        const joined = normalizeRel(dir ? `${dir}/${source}` : source);
        if (joined !== undefined) mounts.push(joined);
      }
    }
    out.push({ image, argv: [...toArgv(s.entrypoint), ...toArgv(s.command)], environment, mounts });
  }
  return out;
}

function normalizeRel(p: string): string | undefined {
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(part);
  }
  return out.join("/");
}

function traefikStatic(project: ProjectModel): TraefikStatic {
  const hit = staticCache.get(project);
  if (hit) return hit;
  const st: TraefikStatic = { versions: new Set(), entrypoints: new Map(), dynamic: [] };
  const configFiles = new Set<string>();
  const services: LooseTraefikService[] = [];
  for (const name of project.envNames) {
    const env = project.envs[name];
    for (const svc of Object.values(env?.compose.services ?? {})) {
      if (!isTraefikImage(svc.image)) continue;
      const mounts: string[] = [];
      for (const v of svc.volumes) {
        if (v.type !== "bind") continue;
        const rel = projectRel(v.source, project);
        if (rel) mounts.push(rel);
      }
      services.push({ image: svc.image, argv: [...(svc.entrypoint ?? []), ...(svc.command ?? [])], environment: svc.environment, mounts });
    }
  }
  for (const f of project.files) {
    if (!f.includes("/") || !/\.ya?ml$/i.test(f)) continue;
    if (!/traefik|proxy/i.test(f)) continue;
    services.push(...looseComposeTraefik(project, f));
  }
  for (const s of services) {
    if (s.image) st.versions.add(traefikMajor(s.image));
    readStatic(st, flagsConfig(st, s.argv));
    readStatic(st, envConfig(s.environment));
    for (const m of s.mounts) for (const f of filesUnder(project, m)) if (/\.(toml|ya?ml)$/i.test(f)) configFiles.add(f);
  }
  for (const f of project.files) {
    if (/\.(toml|ya?ml)$/i.test(f) && /traefik|inverseproxy|dynamic/i.test(f)) configFiles.add(f);
  }
  for (const f of [...configFiles].sort()) {
    const cfg = parseConfigFile(project, f);
    if (!cfg) continue;
    readStatic(st, cfg);
    if (isDynamic(cfg)) st.dynamic.push(cfg);
  }
  staticCache.set(project, st);
  return st;
}

type EpSecurity = "tls" | "redirect" | "plain" | undefined;

function epSecurity(st: TraefikStatic, name: string, depth = 0): EpSecurity {
  const e = st.entrypoints.get(name.trim().toLowerCase());
  if (!e) return /^(https|websecure|web-secure|secure|ssl|tls)$/i.test(name.trim()) ? "tls" : undefined;
  if (e.tls) return "tls";
  if (e.redirectScheme === "https") return "redirect";
  if (e.redirectTo && depth < 3) {
    const target = epSecurity(st, e.redirectTo, depth + 1);
    if (target === "tls" || target === "redirect") return "redirect";
    if (target === undefined) return undefined;
  }
  return "plain";
}

/** TLS of a router from its entry points: true (all TLS or redirecting), false (one plain), undefined. */
function tlsFromEntrypoints(st: TraefikStatic, eps: string[]): { tls?: boolean; redirect: boolean } {
  if (eps.length === 0) return { redirect: false };
  const secs = eps.map((e) => epSecurity(st, e));
  if (secs.includes("plain")) return { tls: false, redirect: false };
  if (secs.every((s) => s === "tls" || s === "redirect")) return { tls: true, redirect: secs.includes("redirect") };
  return { redirect: false };
}

/** Entry points a router without `entrypoints` attaches to: the project's HTTP(S) entry points, when known. */
function defaultEntrypoints(st: TraefikStatic, kind: ProxyKind): string[] {
  if (kind === "traefik1" && st.defaultEntrypoints && st.defaultEntrypoints.length > 0) return st.defaultEntrypoints;
  const out: string[] = [];
  for (const [name, e] of st.entrypoints) {
    if (e.port === 80 || e.port === 443 || (e.port === undefined && /^(web|http|https|websecure|web-main|web-insecure)$/.test(name))) out.push(name);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Traefik middlewares (labels of any service of the env, or the file provider)

interface MiddlewareDef {
  name: string;
  /** Lowercased property path after the name -> entry. */
  props: Map<string, FlatEntry>;
}

interface MiddlewareEffect {
  restricted: boolean;
  redirectHttps: boolean;
  redirectsAway: boolean;
  hsts: { name: string; def: MiddlewareDef }[];
}

class MiddlewareRegistry {
  readonly docker = new Map<string, MiddlewareDef>();
  readonly file = new Map<string, MiddlewareDef>();

  add(map: Map<string, MiddlewareDef>, name: string, rest: string, entry: FlatEntry): void {
    const k = name.toLowerCase();
    let def = map.get(k);
    if (!def) {
      def = { name, props: new Map() };
      map.set(k, def);
    }
    def.props.set(rest.toLowerCase(), entry);
  }

  lookup(ref: string): MiddlewareDef | undefined {
    const r = ref.trim();
    const at = r.indexOf("@");
    const name = (at >= 0 ? r.slice(0, at) : r).toLowerCase();
    const provider = at >= 0 ? r.slice(at + 1).toLowerCase() : undefined;
    if (provider === "file") return this.file.get(name);
    if (provider === undefined || provider === "docker" || provider === "swarm") return this.docker.get(name) ?? (provider === undefined ? this.file.get(name) : undefined);
    return undefined;
  }

  effect(refs: string[], seen = new Set<string>()): MiddlewareEffect {
    const out: MiddlewareEffect = { restricted: false, redirectHttps: false, redirectsAway: false, hsts: [] };
    for (const ref of refs) {
      const key = ref.trim().toLowerCase();
      if (!key || seen.has(key)) continue;
      seen.add(key);
      const def = this.lookup(ref);
      if (!def) continue;
      let sts = false;
      for (const [prop, e] of def.props) {
        const type = prop.split(".")[0] ?? "";
        if (type === "ipwhitelist" || type === "ipallowlist" || type === "basicauth" || type === "digestauth" || type === "forwardauth") out.restricted = true;
        else if (prop === "redirectscheme.scheme" && /^https$/i.test(e.value.trim())) out.redirectHttps = true;
        else if (prop === "headers.sslredirect" && truthy(e.value)) out.redirectHttps = true;
        else if (type === "redirectregex") out.redirectsAway = true;
        else if (/^headers\.sts(seconds|includesubdomains|preload)$|^headers\.forcestsheader$/.test(prop)) sts = true;
        else if (prop === "chain.middlewares") {
          const inner = this.effect(splitList(e.value), seen);
          out.restricted ||= inner.restricted;
          out.redirectHttps ||= inner.redirectHttps;
          out.redirectsAway ||= inner.redirectsAway;
          out.hsts.push(...inner.hsts);
        }
      }
      if (sts) out.hsts.push({ name: def.name, def });
    }
    return out;
  }
}

function hstsFromMiddleware(kind: ProxyKind, name: string, def: MiddlewareDef): HstsDeclaration {
  const secs = def.props.get("headers.stsseconds");
  const maxAge = secs ? odooInt(secs.value) : undefined;
  const first = secs ?? def.props.get("headers.forcestsheader") ?? def.props.get("headers.stsincludesubdomains") ?? def.props.get("headers.stspreload");
  return { kind, present: maxAge !== undefined && maxAge > 0, maxAge, name, pos: first?.pos };
}

// ---------------------------------------------------------------------------------------------
// Traefik labels of one environment

const TRAEFIK1_RESERVED = new Set(["frontend", "backend", "port", "protocol", "docker", "domain", "enable", "weight", "tags", "http", "tcp", "udp", "tls", "acme", "webservice"]);

interface LabelView {
  svc: ServiceModel;
  /** lowercased key -> entry with the original key and position. */
  labels: Map<string, FlatEntry>;
}

function labelView(env: EnvModel, svc: ServiceModel): LabelView {
  const labels = new Map<string, FlatEntry>();
  for (const [k, v] of Object.entries(svc.labels)) {
    const pos = env.compose.positions.exact(["services", svc.name, "labels", k]) ?? env.compose.positions.at(["services", svc.name, "labels"]);
    labels.set(k.toLowerCase(), { key: k, value: v, pos });
  }
  return { svc, labels };
}

function traefikEnabled(view: LabelView, st: TraefikStatic): boolean {
  const en = view.labels.get("traefik.enable")?.value.trim().toLowerCase();
  if (en === "false") return false;
  if (en === "true") return true;
  return st.exposedByDefault !== false;
}

interface ServiceRef {
  service: string;
  port?: number;
}

function traefik2Routers(env: EnvModel, views: LabelView[], st: TraefikStatic, mws: MiddlewareRegistry): Router[] {
  const services = new Map<string, ServiceRef>();
  for (const v of views) {
    for (const [k, e] of v.labels) {
      const m = /^traefik\.http\.services\.([^.]+)\.(.+)$/.exec(k);
      if (!m) continue;
      const name = m[1] ?? "";
      const ref = services.get(name) ?? { service: v.svc.name };
      if (m[2] === "loadbalancer.server.port") ref.port = odooInt(e.value) ?? ref.port;
      services.set(name, ref);
    }
  }
  // File-provider services: http.services.<name>.loadbalancer.servers.<i>.url = http://odoo:8069
  const fileServices = new Map<string, ServiceRef>();
  for (const cfg of st.dynamic) {
    for (const [k, e] of cfg.entries()) {
      const m = /^http\.services\.([^.]+)\.loadbalancer\.servers\.\d+\.url$/.exec(k);
      if (!m) continue;
      const target = resolveUrl(env, e.value, false);
      if (target) fileServices.set(m[1] ?? "", target);
    }
  }
  const routers: Router[] = [];
  for (const v of views) {
    const own = new Map<string, Map<string, FlatEntry>>();
    for (const [k, e] of v.labels) {
      const m = /^traefik\.http\.routers\.([^.]+)\.(.+)$/.exec(k);
      if (!m) continue;
      const name = e.key.split(".")[3] ?? m[1] ?? "";
      let props = own.get(name);
      if (!props) {
        props = new Map();
        own.set(name, props);
      }
      props.set(m[2] ?? "", e);
    }
    const ownServices = [...services.entries()].filter(([, r]) => r.service === v.svc.name);
    for (const [name, props] of own) {
      const rule = props.get("rule");
      if (!rule) continue;
      const svcRef = props.get("service")?.value.trim();
      let target: ServiceRef | undefined;
      let internal: string | undefined;
      if (svcRef) {
        const at = svcRef.indexOf("@");
        const base = (at >= 0 ? svcRef.slice(0, at) : svcRef).toLowerCase();
        const provider = at >= 0 ? svcRef.slice(at + 1).toLowerCase() : "docker";
        if (provider === "docker" || provider === "swarm") target = services.get(base) ?? { service: v.svc.name };
        else if (provider === "file") {
          target = fileServices.get(base);
          if (!target) internal = svcRef;
        } else internal = svcRef;
      } else if (ownServices.length === 1) target = ownServices[0]?.[1];
      else target = { service: v.svc.name };
      routers.push(makeTraefikRouter("traefik2", name, rule, props, target, internal, st, mws, parseTraefik2Rule(rule.value)));
    }
  }
  // File-provider routers to compose services
  for (const cfg of st.dynamic) {
    const byRouter = new Map<string, Map<string, FlatEntry>>();
    for (const [k, e] of cfg.entries()) {
      const m = /^http\.routers\.([^.]+)\.(.+)$/.exec(k);
      if (!m) continue;
      const name = e.key.split(".")[2] ?? m[1] ?? "";
      let props = byRouter.get(name);
      if (!props) {
        props = new Map();
        byRouter.set(name, props);
      }
      props.set(m[2] ?? "", e);
    }
    for (const [name, props] of byRouter) {
      const rule = props.get("rule");
      const svcRef = props.get("service")?.value.trim();
      if (!rule || !svcRef) continue;
      const at = svcRef.indexOf("@");
      const base = (at >= 0 ? svcRef.slice(0, at) : svcRef).toLowerCase();
      const provider = at >= 0 ? svcRef.slice(at + 1).toLowerCase() : "file";
      const target = provider === "file" ? fileServices.get(base) : provider === "docker" ? services.get(base) : undefined;
      const internal = target ? undefined : svcRef;
      routers.push(makeTraefikRouter("traefik2", name, rule, props, target, internal, st, mws, parseTraefik2Rule(rule.value)));
    }
  }
  return routers;
}

function makeTraefikRouter(
  kind: ProxyKind,
  name: string | undefined,
  rule: FlatEntry,
  props: Map<string, FlatEntry>,
  target: ServiceRef | undefined,
  internal: string | undefined,
  st: TraefikStatic,
  mws: MiddlewareRegistry,
  parsed: ParsedRule,
): Router {
  const eps = splitList(props.get("entrypoints")?.value ?? "");
  const middlewares = splitList(props.get("middlewares")?.value ?? "");
  const effEps = eps.length > 0 ? eps : defaultEntrypoints(st, kind);
  const epMiddlewares = effEps.flatMap((e) => st.entrypoints.get(e.toLowerCase())?.middlewares ?? []);
  const eff = mws.effect([...middlewares, ...epMiddlewares]);
  const tlsLabel = props.get("tls")?.value;
  const hasTlsSub = [...props.keys()].some((k) => k.startsWith("tls."));
  let tls: boolean | undefined;
  let redirect = eff.redirectHttps;
  if ((tlsLabel !== undefined && truthy(tlsLabel)) || (tlsLabel === undefined && hasTlsSub)) tls = true;
  else {
    const fromEps = tlsFromEntrypoints(st, effEps);
    tls = fromEps.tls;
    redirect ||= fromEps.redirect;
  }
  const prio = odooInt(props.get("priority")?.value);
  return {
    kind,
    name,
    service: target?.service,
    internal,
    port: target?.port,
    hosts: parsed.hosts,
    hostRegexps: parsed.hostRegexps,
    paths: parsed.paths,
    excludes: parsed.excludes,
    priority: prio !== undefined && prio > 0 ? prio : rule.value.length,
    tls,
    httpsRedirect: redirect,
    restricted: eff.restricted,
    denies: !!internal && /^noop@internal$/i.test(internal),
    redirectsAway: eff.redirectsAway,
    entrypoints: eps,
    middlewares,
    pos: rule.pos,
  };
}

function traefik1Routers(views: LabelView[], st: TraefikStatic): { routers: Router[]; hsts: HstsDeclaration[] } {
  const routers: Router[] = [];
  const hsts: HstsDeclaration[] = [];
  for (const v of views) {
    const L = v.labels;
    const segments = new Map<string, string>();
    for (const [k, e] of L) {
      const m = /^traefik\.([^.]+)\.(frontend\.|port$|protocol$|backend$|weight$)/.exec(k);
      if (m && !TRAEFIK1_RESERVED.has(m[1] ?? "")) segments.set(m[1] ?? "", e.key.split(".")[1] ?? m[1] ?? "");
    }
    const frontends: (string | undefined)[] = [undefined, ...segments.keys()];
    for (const seg of frontends) {
      const get = (prop: string): FlatEntry | undefined => (seg !== undefined ? L.get(`traefik.${seg}.${prop}`) : undefined) ?? L.get(`traefik.${prop}`);
      const rule = seg !== undefined ? L.get(`traefik.${seg}.frontend.rule`) : L.get("traefik.frontend.rule");
      if (!rule) continue;
      const parsed = parseTraefik1Rule(rule.value);
      const eps = splitList(get("frontend.entrypoints")?.value ?? "");
      const effEps = eps.length > 0 ? eps : defaultEntrypoints(st, "traefik1");
      const fromEps = tlsFromEntrypoints(st, effEps);
      const redirectEp = get("frontend.redirect.entrypoint")?.value;
      const redirectRepl = get("frontend.redirect.replacement")?.value;
      const sslRedirect = get("frontend.headers.sslredirect")?.value;
      const httpsRedirect =
        fromEps.redirect ||
        (redirectEp !== undefined && (epSecurity(st, redirectEp) === "tls" || /https/i.test(redirectEp))) ||
        (sslRedirect !== undefined && truthy(sslRedirect));
      const restricted = [...L.keys()].some((k) =>
        new RegExp(`^traefik\\.${seg !== undefined ? `(${escapeRe(seg)}\\.)?` : ""}frontend\\.(whitelist|whitelistsourcerange|auth\\.)`).test(k),
      );
      const port = odooInt(get("port")?.value);
      const prio = odooInt(get("frontend.priority")?.value);
      routers.push({
        kind: "traefik1",
        name: seg !== undefined ? segments.get(seg) : undefined,
        service: v.svc.name,
        port,
        hosts: parsed.hosts,
        hostRegexps: parsed.hostRegexps,
        paths: parsed.paths,
        excludes: parsed.excludes,
        priority: prio !== undefined && prio > 0 ? prio : rule.value.length,
        tls: fromEps.tls,
        httpsRedirect,
        restricted,
        denies: false,
        redirectsAway: redirectRepl !== undefined,
        entrypoints: eps,
        middlewares: [],
        pos: rule.pos,
      });
      const secs = get("frontend.headers.stsseconds");
      const force = get("frontend.headers.forcestsheader") ?? get("frontend.headers.stsincludesubdomains") ?? get("frontend.headers.stspreload");
      if (secs || force) {
        const maxAge = secs ? odooInt(secs.value) : undefined;
        hsts.push({ kind: "traefik1", present: maxAge !== undefined && maxAge > 0, maxAge, name: (seg !== undefined ? segments.get(seg) : undefined) ?? "frontend", pos: (secs ?? force)?.pos });
      }
    }
  }
  return { routers, hsts };
}

// ---------------------------------------------------------------------------------------------
// Host names -> compose services

function serviceByHost(env: EnvModel, host: string): ServiceModel | undefined {
  const h = host.toLowerCase();
  for (const svc of Object.values(env.compose.services)) {
    if (svc.name.toLowerCase() === h || svc.containerName?.toLowerCase() === h) return svc;
    const hn = svc.raw.hostname;
    if (typeof hn === "string" && hn.toLowerCase() === h) return svc;
    for (const n of Object.values(svc.networks)) if (n.aliases.some((a) => a.toLowerCase() === h)) return svc;
  }
  return undefined;
}

/** `http://odoo:8069` -> the compose service and container port. Host-level configs may use localhost + a published port. */
function resolveUrl(env: EnvModel, url: string, hostLevel: boolean, upstreams?: Map<string, string[]>): ServiceRef | undefined {
  const m = /^\s*(https?):\/\/([^/:$\s]+)(?::(\d+))?/i.exec(url);
  if (!m) return undefined;
  let host = m[2] ?? "";
  let port = m[3] ? Number.parseInt(m[3], 10) : undefined;
  const scheme = (m[1] ?? "http").toLowerCase();
  const up = upstreams?.get(host.toLowerCase());
  if (up && up.length > 0) {
    const first = up[0] ?? "";
    const um = /^([^:\s]+)(?::(\d+))?/.exec(first.replace(/^unix:.*/, ""));
    if (!um) return undefined;
    host = um[1] ?? "";
    port = um[2] ? Number.parseInt(um[2], 10) : 80;
  }
  port ??= scheme === "https" ? 443 : 80;
  if (hostLevel && /^(localhost|127\.0\.0\.1|::1|\[::1\]|host\.docker\.internal)$/i.test(host)) {
    for (const svc of Object.values(env.compose.services)) {
      const p = svc.ports.find((x) => x.published === String(port));
      if (p) return { service: svc.name, port: p.target };
    }
    return undefined;
  }
  const svc = serviceByHost(env, host);
  return svc ? { service: svc.name, port } : undefined;
}

// ---------------------------------------------------------------------------------------------
// nginx

interface NginxFile {
  path: string;
  /** Mounted into a container of this env (host names are compose services), else a host-level config. */
  mounted: boolean;
}

/** Whether a bind mount puts nginx configuration into a container. */
function isNginxConfMount(svc: ServiceModel, target: string): boolean {
  if (target.startsWith("/etc/nginx")) return true;
  // an nginx image with a .conf mounted elsewhere and included from there
  return /nginx|openresty/i.test(svc.image ?? "") && /\.conf$/i.test(target);
}

function nginxFiles(env: EnvModel, project: ProjectModel): NginxFile[] {
  const out = new Map<string, NginxFile>();
  const mountedFiles = (e: EnvModel): string[] => {
    const files: string[] = [];
    for (const svc of Object.values(e.compose.services)) {
      for (const v of svc.volumes) {
        if (v.type !== "bind" || !isNginxConfMount(svc, v.target)) continue;
        const rel = projectRel(v.source, project);
        if (!rel) continue;
        for (const f of filesUnder(project, rel)) if (f === rel || /\.conf$/i.test(f)) files.push(f);
      }
    }
    return files;
  };
  for (const f of mountedFiles(env)) out.set(f, { path: f, mounted: true });
  // A config another environment mounts into its own proxy is that environment's, not a
  // host-level config of this one.
  const elsewhere = new Set<string>();
  for (const other of Object.values(project.envs)) if (other !== env) for (const f of mountedFiles(other)) elsewhere.add(f);
  for (const f of project.files) {
    if (out.has(f) || elsewhere.has(f)) continue;
    if (/(^|\/)nginx[^/]*\/(.*\/)?[^/]+\.conf$/i.test(f) || /(^|\/)nginx\.conf$/i.test(f)) out.set(f, { path: f, mounted: false });
  }
  return [...out.values()].sort((a, b) => a.path.localeCompare(b.path));
}

interface NginxAccess {
  restricted: boolean;
}

function accessOf(block: NginxDirective[], inherited: NginxAccess): NginxAccess {
  const allowDeny = block.filter((d) => d.name === "allow" || d.name === "deny");
  const auth = block.find((d) => d.name === "auth_basic" || d.name === "auth_request");
  let restricted = inherited.restricted;
  if (allowDeny.length > 0) restricted = allowDeny.some((d) => d.name === "deny" && d.args[0] === "all");
  if (auth) restricted = !(auth.name === "auth_basic" && auth.args[0] === "off") || (allowDeny.length > 0 && restricted);
  return { restricted };
}

function returnsHttps(d: NginxDirective): boolean {
  if (d.name === "return") return d.args.some((a) => /^https:\/\//i.test(a));
  if (d.name === "rewrite") return d.args.some((a) => /^https:\/\//i.test(a));
  return false;
}

function hstsFromHeader(d: NginxDirective): HstsDeclaration | undefined {
  if (d.name !== "add_header" || (d.args[0] ?? "").toLowerCase() !== "strict-transport-security") return undefined;
  const value = d.args.slice(1).join(" ");
  const m = /max-age\s*=\s*"?(\d+)/i.exec(value);
  const maxAge = m ? Number.parseInt(m[1] ?? "", 10) : undefined;
  return { kind: "nginx", present: maxAge !== undefined && maxAge > 0, maxAge, name: d.pos.file, pos: d.pos };
}

interface NginxLocation {
  d: NginxDirective;
  matcher?: Matcher;
  modifier: "" | "=" | "~" | "~*" | "^~";
  children: NginxLocation[];
}

function nginxLocations(block: NginxDirective[]): NginxLocation[] {
  const out: NginxLocation[] = [];
  for (const d of block) {
    if (d.name !== "location" || !d.block) continue;
    let a = d.args[0];
    let modifier: NginxLocation["modifier"] = "";
    if (a === "=" || a === "~" || a === "~*" || a === "^~") {
      modifier = a;
      a = d.args[1];
    } else if (a && /^(=|\^~|~\*|~)(\S+)$/.test(a)) {
      const mm = /^(=|\^~|~\*|~)(\S+)$/.exec(a);
      modifier = (mm?.[1] ?? "") as NginxLocation["modifier"];
      a = mm?.[2];
    }
    if (!a || a.startsWith("@")) continue;
    let matcher: Matcher | undefined;
    if (modifier === "=") matcher = { kind: "exact", value: a };
    else if (modifier === "~" || modifier === "~*") matcher = regexMatcher(a, modifier === "~*" ? "i" : "");
    else matcher = { kind: "prefix", value: a };
    out.push({ d, matcher, modifier, children: nginxLocations(d.block) });
  }
  return out;
}

/** nginx location selection for `uri` (exact, longest prefix, ^~, regexes in order, then longest prefix). */
function selectLocation(locs: NginxLocation[], uri: string, depth = 0): NginxLocation | undefined {
  const exact = locs.find((l) => l.modifier === "=" && l.matcher && matchPath(l.matcher, uri));
  if (exact) return exact;
  let best: NginxLocation | undefined;
  for (const l of locs) {
    if ((l.modifier === "" || l.modifier === "^~") && l.matcher && uri.startsWith(l.matcher.value)) {
      if (!best || (best.matcher?.value.length ?? 0) < l.matcher.value.length) best = l;
    }
  }
  let chosen: NginxLocation | undefined;
  if (best?.modifier === "^~") chosen = best;
  else chosen = locs.find((l) => (l.modifier === "~" || l.modifier === "~*") && l.matcher && matchPath(l.matcher, uri)) ?? best;
  if (chosen && chosen.children.length > 0 && depth < 5) return selectLocation(chosen.children, uri, depth + 1) ?? chosen;
  return chosen;
}

function nginxRouters(env: EnvModel, project: ProjectModel): { routers: Router[]; hsts: HstsDeclaration[]; servers: NginxServerSim[] } {
  const files = nginxFiles(env, project);
  const parsed = files.map((f) => ({ f, dirs: parseNginx(project.read(f.path) ?? "", f.path) }));
  const upstreams = new Map<string, string[]>();
  for (const { dirs } of parsed) {
    for (const u of findDirectives(dirs, "upstream")) {
      const name = (u.args[0] ?? "").toLowerCase();
      const servers = (u.block ?? []).filter((d) => d.name === "server").map((d) => d.args[0] ?? "");
      if (name) upstreams.set(name, servers);
    }
  }
  const routers: Router[] = [];
  const hsts: HstsDeclaration[] = [];
  const servers: NginxServerSim[] = [];
  for (const { f, dirs } of parsed) {
    for (const d of findDirectives(dirs, "add_header")) {
      const h = hstsFromHeader(d);
      if (h) hsts.push(h);
    }
    for (const server of findDirectives(dirs, "server")) {
      if (!server.block) continue; // `server` inside upstream blocks has no block
      const block = server.block;
      const listens = block.filter((d) => d.name === "listen");
      const sslOn = block.some((d) => d.name === "ssl" && (d.args[0] ?? "").toLowerCase() === "on");
      const tls = sslOn || listens.some((l) => l.args.slice(1).some((a) => a === "ssl" || a === "quic"));
      const names = block.filter((d) => d.name === "server_name").flatMap((d) => d.args).filter((n) => n !== "_" && n !== "");
      const serverReturn = block.find((d) => d.name === "return");
      const redirect = block.some(returnsHttps) || block.some((d) => d.name === "if" && (d.block ?? []).some(returnsHttps));
      const access = accessOf(block, { restricted: false });
      const locs = nginxLocations(block);
      const sim: NginxServerSim = { locs, routes: new Map(), serverReturns: serverReturn !== undefined, access };
      const eps = listens.map((l) => l.args.join(" "));
      const walk = (list: NginxLocation[], inherited: NginxAccess): void => {
        for (const l of list) {
          const lb = l.d.block ?? [];
          const acc = accessOf(lb, inherited);
          const pass = lb.find((d) => d.name === "proxy_pass");
          const ret = lb.find((d) => d.name === "return");
          const target = pass ? resolveUrl(env, pass.args[0] ?? "", !f.mounted, upstreams) : undefined;
          const m = l.matcher;
          const router: Router = {
            kind: "nginx",
            name: names[0],
            service: target?.service,
            port: target?.port,
            hosts: names,
            hostRegexps: [],
            paths: m && !(m.kind === "prefix" && m.value === "/") ? [m] : [],
            excludes: [],
            priority: 0,
            tls,
            httpsRedirect: redirect,
            restricted: acc.restricted,
            denies: ret !== undefined || (acc.restricted && !pass),
            redirectsAway: false,
            entrypoints: eps,
            middlewares: [],
            pos: l.d.pos,
          };
          sim.routes.set(l, router);
          if (target && serverReturn === undefined) routers.push(router);
          walk(l.children, acc);
        }
      };
      walk(locs, access);
      servers.push(sim);
    }
  }
  return { routers, hsts, servers };
}

interface NginxServerSim {
  locs: NginxLocation[];
  routes: Map<NginxLocation, Router>;
  serverReturns: boolean;
  access: NginxAccess;
}

// ---------------------------------------------------------------------------------------------
// The analysis

const DB_MANAGER_URIS = ["/web/database/manager", "/web/database/selector"];

const analysisCache = new WeakMap<EnvModel, ProxyAnalysis>();

function toRoutes(r: Router): ProxyRoute[] {
  if (!r.service) return [];
  const base = {
    kind: r.kind,
    service: r.service,
    router: r.name,
    hosts: r.hosts,
    port: r.port,
    tls: r.tls,
    httpsRedirect: r.httpsRedirect,
    restricted: r.restricted,
    entrypoints: r.entrypoints,
    middlewares: r.middlewares,
    pos: r.pos,
  };
  if (r.paths.length === 0) return [{ ...base }];
  const seen = new Set<string>();
  const out: ProxyRoute[] = [];
  for (const m of r.paths) {
    const key = `${m.kind}:${m.value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const prefix = m.value === "" || m.value === "/" ? undefined : m.value;
    out.push({ ...base, pathPrefix: prefix, exactPath: m.kind === "exact" ? true : undefined });
  }
  return out;
}

/** Analyses the reverse proxies of `env`. Cached per environment. */
export function analyzeProxy(env: EnvModel, project: ProjectModel): ProxyAnalysis {
  const hit = analysisCache.get(env);
  if (hit) return hit;
  let result: ProxyAnalysis;
  try {
    result = analyze(env, project);
  } catch {
    result = { present: false, routes: [], dbManagerRoutes: [], hsts: [] };
  }
  analysisCache.set(env, result);
  return result;
}

function analyze(env: EnvModel, project: ProjectModel): ProxyAnalysis {
  const st = traefikStatic(project);
  const odoo = new Map(env.odoo.map((c) => [c.service, c] as const));
  const isOdooHttp = (r: Router): boolean => {
    const cfg = r.service ? odoo.get(r.service) : undefined;
    if (!cfg) return false;
    return r.port === undefined || r.port === odooPorts(cfg).http;
  };

  // Traefik: which label generations are live. Both when the project shows no Traefik image.
  const v1Live = st.versions.size === 0 || st.versions.has(1);
  const v2Live = st.versions.size === 0 || [...st.versions].some((v) => v >= 2);

  const views = Object.values(env.compose.services).map((s) => labelView(env, s));
  const mws = new MiddlewareRegistry();
  for (const v of views) {
    for (const [k, e] of v.labels) {
      const m = /^traefik\.http\.middlewares\.([^.]+)\.(.+)$/.exec(k);
      if (m) mws.add(mws.docker, e.key.split(".")[3] ?? m[1] ?? "", m[2] ?? "", e);
    }
  }
  for (const cfg of st.dynamic) {
    for (const [k, e] of cfg.entries()) {
      const m = /^http\.middlewares\.([^.]+)\.(.+)$/.exec(k);
      if (m) mws.add(mws.file, e.key.split(".")[2] ?? m[1] ?? "", m[2] ?? "", e);
    }
  }
  const enabled = views.filter((v) => traefikEnabled(v, st));

  const groups: Router[][] = [];
  const hsts: HstsDeclaration[] = [];
  if (v2Live) {
    const rs = traefik2Routers(env, enabled, st, mws);
    groups.push(rs);
    const seen = new Set<string>();
    for (const r of rs) {
      const effEps = r.entrypoints.length > 0 ? r.entrypoints : defaultEntrypoints(st, "traefik2");
      const refs = [...r.middlewares, ...effEps.flatMap((e) => st.entrypoints.get(e.toLowerCase())?.middlewares ?? [])];
      for (const h of mws.effect(refs).hsts) {
        const key = h.name.toLowerCase();
        if (seen.has(key)) continue;
        seen.add(key);
        hsts.push(hstsFromMiddleware("traefik2", h.name, h.def));
      }
    }
  }
  if (v1Live) {
    const t1 = traefik1Routers(enabled, st);
    groups.push(t1.routers);
    hsts.push(...t1.hsts);
  }
  const ng = nginxRouters(env, project);
  groups.push(ng.routers);

  const routes = groups.flat().flatMap(toRoutes);
  const present = routes.some((r) => odoo.has(r.service));

  // Who answers /web/database/*: simulate the proxy's own router selection. Within one Traefik
  // generation, TLS and plain-HTTP routers are matched separately; the highest priority router
  // whose rule matches (and covers the same hosts) answers.
  const exposing: { r: Router; uri: string }[] = [];
  for (const group of groups.slice(0, groups.length - 1)) {
    for (const uri of DB_MANAGER_URIS) {
      for (const r of group) {
        if (!isOdooHttp(r) || !routerMatches(r, uri)) continue;
        if (r.restricted || r.denies || r.redirectsAway || (r.httpsRedirect && r.tls !== true)) continue;
        const shadowed = group.some(
          (b) => b !== r && (b.tls === true) === (r.tls === true) && b.priority > r.priority && routerMatches(b, uri) && hostCovers(b, r),
        );
        if (!shadowed) exposing.push({ r, uri });
      }
    }
  }
  for (const server of ng.servers) {
    if (server.serverReturns) continue;
    for (const uri of DB_MANAGER_URIS) {
      const loc = selectLocation(server.locs, uri);
      const r = loc ? server.routes.get(loc) : undefined;
      if (!r || !isOdooHttp(r) || r.restricted || r.denies) continue;
      exposing.push({ r, uri });
    }
  }
  const odooRouted = groups.flat().some((r) => r.service !== undefined && odoo.has(r.service));
  const dbManagerRoutes: ProxyRoute[] = [];
  for (const { r, uri } of exposing) {
    for (const route of toRoutes(r)) {
      const m = r.paths.find((x) => (x.value === "" || x.value === "/" ? undefined : x.value) === route.pathPrefix && (x.kind === "exact") === (route.exactPath === true));
      if (m && !matchPath(m, uri)) continue;
      if (!dbManagerRoutes.some((x) => x.pos === route.pos && x.pathPrefix === route.pathPrefix && x.kind === route.kind)) dbManagerRoutes.push(route);
    }
  }
  const result: ProxyAnalysis = {
    present,
    routes,
    dbManagerBlocked: odooRouted ? exposing.length === 0 : undefined,
    dbManagerRoutes,
    hsts: dedupeHsts([...hsts, ...ng.hsts]),
  };
  return result;
}

function dedupeHsts(list: HstsDeclaration[]): HstsDeclaration[] {
  const seen = new Set<string>();
  const out: HstsDeclaration[] = [];
  for (const h of list) {
    const key = h.pos ? `${h.pos.file}:${h.pos.line}:${h.pos.col}` : `${h.kind}:${h.name ?? ""}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(h);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Flat key/value configuration (Traefik labels, command flags, TOML and YAML files)

export interface FlatEntry {
  /** Key as written (dotted path). */
  key: string;
  value: string;
  pos?: SourcePos;
}

/** Dotted keys, looked up case-insensitively (Traefik option names are case-insensitive). */
export class FlatConfig {
  private readonly byKey = new Map<string, FlatEntry>();

  set(key: string, value: string, pos?: SourcePos): void {
    this.byKey.set(key.toLowerCase(), { key, value, pos });
  }

  get(key: string): FlatEntry | undefined {
    return this.byKey.get(key.toLowerCase());
  }

  value(key: string): string | undefined {
    return this.get(key)?.value;
  }

  /** Entries whose lowercased key starts with `prefix` (lowercase it yourself). */
  *withPrefix(prefix: string): Iterable<[string, FlatEntry]> {
    const p = prefix.toLowerCase();
    for (const [k, e] of this.byKey) if (k.startsWith(p)) yield [k, e];
  }

  entries(): Iterable<[string, FlatEntry]> {
    return this.byKey.entries();
  }

  get size(): number {
    return this.byKey.size;
  }
}

/** A value that marks a table/mapping header with no scalar of its own (`[entryPoints.https.tls]`). */
export const TABLE = "{}";

/** Flattens a YAML document into dotted keys. Scalar lists become comma-joined values. */
export function flattenYaml(text: string, file: string): FlatConfig | undefined {
  const out = new FlatConfig();
  try {
    const lc = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
    if (doc.errors.length > 0) return undefined;
    const posOf = (n: Node | null | undefined): SourcePos | undefined => {
      const o = n?.range?.[0];
      if (o === undefined) return undefined;
      const { line, col } = lc.linePos(o);
      return { file, line, col };
    };
    const walk = (node: Node | null | undefined, prefix: string, keyPos: SourcePos | undefined, depth: number): void => {
      if (depth > 30) return;
      if (isMap(node)) {
        if (prefix) out.set(prefix, TABLE, keyPos ?? posOf(node));
        for (const item of node.items) {
          const k = item.key as Node | null;
          const name = isScalar(k) ? String(k.value) : undefined;
          if (name === undefined) continue;
          walk(item.value as Node | null, prefix ? `${prefix}.${name}` : name, posOf(k), depth + 1);
        }
      } else if (isSeq(node)) {
        const items = node.items as (Node | null)[];
        if (items.every((i) => isScalar(i))) {
          out.set(prefix, items.map((i) => String((i as { value: unknown }).value)).join(","), keyPos ?? posOf(node));
        } else items.forEach((i, idx) => walk(i, `${prefix}.${idx}`, posOf(i), depth + 1));
      } else if (isScalar(node)) {
        if (prefix) out.set(prefix, node.value === null || node.value === undefined ? "" : String(node.value), keyPos ?? posOf(node));
      } else if (prefix && (node === null || node === undefined)) {
        out.set(prefix, "", keyPos);
      }
    };
    walk(doc.contents as Node | null, "", undefined, 0);
  } catch {
    return undefined;
  }
  return out;
}

/**
 * A small TOML reader for proxy configs: `[table]`, `[[array.of.tables]]`, `key = value` with
 * dotted/quoted keys, strings, numbers, booleans, (multi-line) arrays and flat inline tables.
 * Enough for traefik.toml / dynamic.toml; anything it does not understand is skipped.
 */
export function flattenToml(text: string, file: string): FlatConfig {
  const out = new FlatConfig();
  const lines = text.split(/\r?\n/);
  let table = "";
  const arrayCounters = new Map<string, number>();
  for (let i = 0; i < lines.length; i++) {
    let line = stripTomlComment(lines[i] ?? "").trim();
    const lineNo = i + 1;
    if (!line) continue;
    const pos = { file, line: lineNo, col: 1 };
    const arr = /^\[\[\s*(.+?)\s*\]\]$/.exec(line);
    if (arr) {
      const base = tomlKeyPath(arr[1] ?? "").join(".");
      const n = arrayCounters.get(base) ?? 0;
      arrayCounters.set(base, n + 1);
      table = `${base}.${n}`;
      out.set(table, TABLE, pos);
      continue;
    }
    const tbl = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (tbl) {
      table = tomlKeyPath(tbl[1] ?? "").join(".");
      out.set(table, TABLE, pos);
      continue;
    }
    const eq = findTomlEquals(line);
    if (eq < 0) continue;
    const key = tomlKeyPath(line.slice(0, eq)).join(".");
    let value = line.slice(eq + 1).trim();
    // Multi-line arrays: read until brackets balance.
    while (value.startsWith("[") && !bracketsBalanced(value) && i + 1 < lines.length) {
      i++;
      line = stripTomlComment(lines[i] ?? "").trim();
      value += ` ${line}`;
    }
    const full = table ? `${table}.${key}` : key;
    const col = (lines[lineNo - 1] ?? "").search(/\S/) + 1;
    setTomlValue(out, full, value, { file, line: lineNo, col: col > 0 ? col : 1 });
  }
  return out;
}

function setTomlValue(out: FlatConfig, key: string, raw: string, pos: SourcePos): void {
  const v = raw.trim();
  if (v.startsWith("{") && v.endsWith("}")) {
    out.set(key, TABLE, pos);
    for (const part of splitTopLevel(v.slice(1, -1), ",")) {
      const eq = findTomlEquals(part);
      if (eq < 0) continue;
      setTomlValue(out, `${key}.${tomlKeyPath(part.slice(0, eq)).join(".")}`, part.slice(eq + 1), pos);
    }
    return;
  }
  if (v.startsWith("[")) {
    const inner = v.replace(/^\[/, "").replace(/\]$/, "");
    const items = splitTopLevel(inner, ",").map((s) => tomlScalar(s.trim())).filter((s) => s !== "");
    out.set(key, items.join(","), pos);
    return;
  }
  out.set(key, tomlScalar(v), pos);
}

function tomlScalar(v: string): string {
  if (v.startsWith('"""') || v.startsWith("'''")) return v.slice(3).replace(/("""|''')$/, "");
  if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) {
    return v.slice(1, -1).replace(/\\(["\\nt])/g, (_m, c: string) => (c === "n" ? "\n" : c === "t" ? "\t" : c));
  }
  if (v.startsWith("'") && v.endsWith("'") && v.length >= 2) return v.slice(1, -1);
  return v;
}

function tomlKeyPath(s: string): string[] {
  const parts: string[] = [];
  let cur = "";
  let quote: string | undefined;
  for (const c of s.trim()) {
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === ".") {
      parts.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  parts.push(cur.trim());
  return parts.filter((p) => p !== "");
}

function findTomlEquals(line: string): number {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "=") return i;
  }
  return -1;
}

function stripTomlComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "#") return line.slice(0, i);
  }
  return line;
}

function bracketsBalanced(s: string): boolean {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === "\\" && quote === '"') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === "[") depth++;
    else if (c === "]") depth--;
  }
  return depth <= 0;
}

/** Splits on `sep` outside quotes, brackets and braces. */
export function splitTopLevel(s: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? "";
    if (quote) {
      cur += c;
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") {
      quote = c;
      cur += c;
      continue;
    }
    if (c === "[" || c === "{" || c === "(") depth++;
    else if (c === "]" || c === "}" || c === ")") depth--;
    if (depth <= 0 && s.startsWith(sep, i)) {
      out.push(cur);
      cur = "";
      i += sep.length - 1;
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

// ---------------------------------------------------------------------------------------------
// nginx

export interface NginxDirective {
  name: string;
  args: string[];
  pos: SourcePos;
  /** Children of a block directive (`server { ... }`); undefined for simple directives. */
  block?: NginxDirective[];
}

/** Parses nginx configuration text into a directive tree. Unbalanced input is read as far as it goes. */
export function parseNginx(text: string, file: string): NginxDirective[] {
  interface Tok {
    t: string;
    kind: "word" | "open" | "close" | "semi";
    line: number;
    col: number;
  }
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  let col = 1;
  const adv = (n = 1): void => {
    for (let k = 0; k < n; k++) {
      if (text[i] === "\n") {
        line++;
        col = 1;
      } else col++;
      i++;
    }
  };
  while (i < text.length) {
    const c = text[i] ?? "";
    if (/\s/.test(c)) {
      adv();
      continue;
    }
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") adv();
      continue;
    }
    const startLine = line;
    const startCol = col;
    if (c === "{" || c === "}" || c === ";") {
      toks.push({ t: c, kind: c === "{" ? "open" : c === "}" ? "close" : "semi", line: startLine, col: startCol });
      adv();
      continue;
    }
    let word = "";
    while (i < text.length) {
      const d = text[i] ?? "";
      if (d === '"' || d === "'") {
        const q = d;
        adv();
        while (i < text.length && text[i] !== q) {
          if (text[i] === "\\" && i + 1 < text.length) {
            word += text[i + 1] ?? "";
            adv(2);
            continue;
          }
          word += text[i] ?? "";
          adv();
        }
        adv();
        continue;
      }
      if (d === "$" && text[i + 1] === "{") {
        while (i < text.length && text[i] !== "}") {
          word += text[i] ?? "";
          adv();
        }
        if (i < text.length) {
          word += "}";
          adv();
        }
        continue;
      }
      if (/\s/.test(d) || d === ";" || d === "{" || d === "}") break;
      if (d === "#" && word === "") break;
      word += d;
      adv();
    }
    toks.push({ t: word, kind: "word", line: startLine, col: startCol });
  }
  let p = 0;
  const parseBlock = (depth: number): NginxDirective[] => {
    const out: NginxDirective[] = [];
    while (p < toks.length) {
      const tok = toks[p];
      if (!tok) break;
      if (tok.kind === "close") {
        p++;
        if (depth > 0) return out;
        continue;
      }
      if (tok.kind !== "word") {
        p++;
        continue;
      }
      const d: NginxDirective = { name: tok.t, args: [], pos: { file, line: tok.line, col: tok.col } };
      p++;
      while (p < toks.length && toks[p]?.kind === "word") d.args.push(toks[p++]?.t ?? "");
      const end = toks[p];
      if (end?.kind === "open") {
        p++;
        d.block = depth < 20 ? parseBlock(depth + 1) : [];
      } else if (end?.kind === "semi") p++;
      out.push(d);
    }
    return out;
  };
  try {
    return parseBlock(0);
  } catch {
    return [];
  }
}

/** All directives named `name` anywhere under `dirs` (depth-first, document order). */
export function findDirectives(dirs: NginxDirective[], name: string): NginxDirective[] {
  const out: NginxDirective[] = [];
  const walk = (list: NginxDirective[]): void => {
    for (const d of list) {
      if (d.name === name) out.push(d);
      if (d.block) walk(d.block);
    }
  };
  walk(dirs);
  return out;
}
