/**
 * HTTP probes of Odoo: `/web/health` (with `?db_server_status=1`, which newer builds answer with
 * the database's reachability), and on Odoo 16+ the bus: `/websocket/health` and a real WebSocket
 * opening handshake on `/websocket`, which only the gevent (evented) process accepts with 101 in
 * prefork mode (an HTTP worker answers 500 "Couldn't bind the websocket"). Run directly against
 * the container and through the reverse proxy; TLS certificates of the proxy are checked too.
 */
import type { DoctorFinding, ProbeResult } from "../types.js";
import { HttpProbeError, type HttpClient, type HttpResponse } from "./http-client.js";
import { errorText, finding, probe } from "./util.js";

export interface OdooEndpoint {
  /** Base URL of Odoo's HTTP port (or of the proxy), e.g. http://172.18.0.3:8069, https://erp.example.com */
  base: string;
  /** Base URL where /websocket is served: the gevent port directly in prefork mode, else `base`. */
  busBase: string;
  /** How the address was found, for the report ("published port 127.0.0.1:8069", "--url"). */
  how: string;
  /**
   * Connection refused means "not deployed here" rather than "down": the address is a guess
   * from the compose file with no engine to confirm the container runs. The probe is then skipped.
   */
  refusedMeansAbsent?: boolean;
}

export interface HttpProbeOptions {
  client: HttpClient;
  /** Odoo major version: /web/health exists from 15, /websocket from 16. undefined: try both. */
  odooMajor?: number;
  /** @default 8000 */
  timeoutMs?: number;
  now: Date;
  /** Warn when the proxy's certificate expires within this many days. @default 14 */
  certWarnDays?: number;
}

export type HttpKind = "direct" | "proxy";

interface Outcome {
  probes: ProbeResult[];
  findings: DoctorFinding[];
}

const NOT_HERE = new Set(["ENOTFOUND", "EAI_AGAIN", "EAI_NODATA", "EAI_NONAME"]);
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|HOSTNAME|ALTNAME/;

function joinUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, "")}${path}`;
}

/** GET following up to 3 redirects (http -> https at the proxy). */
async function getFollow(client: HttpClient, url: string, timeoutMs: number, insecure: boolean): Promise<{ res: HttpResponse; url: string }> {
  let current = url;
  for (let i = 0; i < 4; i++) {
    const res = await client.get(current, { timeoutMs, insecure });
    const loc = res.headers.location;
    if (res.status >= 300 && res.status < 400 && loc && i < 3) {
      current = new URL(loc, current).toString();
      continue;
    }
    return { res, url: current };
  }
  throw new HttpProbeError("too many redirects", "EREDIRECT");
}

interface HealthBody {
  status?: string;
  db_server_status?: boolean;
}

function parseHealth(body: string): HealthBody | undefined {
  try {
    const v: unknown = JSON.parse(body);
    if (typeof v !== "object" || v === null) return undefined;
    const o = v as Record<string, unknown>;
    const h: HealthBody = {};
    if (typeof o.status === "string") h.status = o.status;
    if (typeof o.db_server_status === "boolean") h.db_server_status = o.db_server_status;
    return h;
  } catch {
    return undefined;
  }
}

function ids(kind: HttpKind): { web: string; bus: string } {
  return { web: `web-health-${kind}`, bus: `websocket-${kind}` };
}

function titles(kind: HttpKind): { web: string; bus: string } {
  const where = kind === "direct" ? "directly" : "through the proxy";
  return { web: `Odoo /web/health ${where}`, bus: `Odoo bus (/websocket) ${where}` };
}

/** Both HTTP probes skipped for one reason (no address, no engine). */
export function skippedHttp(kind: HttpKind, reason: string, odooMajor?: number): ProbeResult[] {
  const i = ids(kind);
  const t = titles(kind);
  const out = [probe(i.web, t.web, "skipped", reason)];
  if (odooMajor === undefined || odooMajor >= 16) out.push(probe(i.bus, t.bus, "skipped", reason));
  return out;
}

/** Network failure -> skipped (not here / cannot resolve) or problem (down). */
function networkOutcome(kind: HttpKind, id: string, title: string, ep: OdooEndpoint, url: string, err: unknown): { probe: ProbeResult; finding?: DoctorFinding } {
  const code = err instanceof HttpProbeError ? err.code : "";
  const msg = errorText(err);
  if (NOT_HERE.has(code)) return { probe: probe(id, title, "skipped", `cannot resolve the host of ${url} from this machine (${code}); pass --url with an address that resolves here`) };
  if (code === "ECONNREFUSED" && ep.refusedMeansAbsent) {
    return { probe: probe(id, title, "skipped", `nothing listens on ${url} (${ep.how}); without a Docker engine to confirm the container runs here, the deployment may be on another host`) };
  }
  const down = kind === "direct" ? "Odoo does not answer on its own port" : "The proxy does not answer";
  return {
    probe: probe(id, title, "problem", `${url}: ${msg}`),
    finding: finding(
      kind === "direct" ? "odoo-not-answering" : "proxy-not-answering",
      "critical",
      `${down} (${code || "error"})`,
      [`GET ${url} (${ep.how}): ${msg}`],
      kind === "direct"
        ? "The Odoo process is not listening: still starting (waiting for the database, updating modules), crashed, or bound to another port/interface (http_port, http_interface)."
        : "The reverse proxy is down, not published on this address, or a firewall drops the connection.",
      kind === "direct"
        ? "Look at the container's logs (`docker logs --tail 200 <odoo container>`) and its state; check http_port/http_interface in the effective odoo.conf (`doodba-ops config --odoo`)."
        : "Check the proxy container and its published ports 80/443 (`docker ps`), DNS for the domain, and the firewall.",
    ),
  };
}

export async function probeOdooHttp(kind: HttpKind, ep: OdooEndpoint, opts: HttpProbeOptions): Promise<Outcome> {
  const timeoutMs = opts.timeoutMs ?? 8000;
  const i = ids(kind);
  const t = titles(kind);
  const out: Outcome = { probes: [], findings: [] };
  let insecure = false;

  // ---- /web/health (15+) or /web/login (older)
  const modern = opts.odooMajor === undefined || opts.odooMajor >= 15;
  const path = modern ? "/web/health?db_server_status=1" : "/web/login";
  const url = joinUrl(ep.base, path);
  let reached = false;
  try {
    let got: { res: HttpResponse; url: string };
    try {
      got = await getFollow(opts.client, url, timeoutMs, false);
    } catch (err) {
      const code = err instanceof HttpProbeError ? err.code : "";
      if (!TLS_CODES.test(code)) throw err;
      out.findings.push(
        finding(
          "tls-certificate-invalid",
          "error",
          `The certificate of ${new URL(url).hostname} does not verify (${code})`,
          [`GET ${url}: ${errorText(err)}`],
          "An expired certificate, a self-signed or placeholder certificate still in place (ACME failed), or a certificate for another name.",
          "Look at the proxy's ACME/certbot logs; for Traefik: `docker logs <traefik> 2>&1 | grep -i acme`; for certbot: `certbot certificates`. Browsers refuse this site until it is fixed.",
        ),
      );
      insecure = true;
      got = await getFollow(opts.client, url, timeoutMs, true);
    }
    const { res } = got;
    // the bus is tried through the proxy only when the proxy serves Odoo at all (no 5xx, no 404)
    reached = res.status < 400;
    if (res.tls) certFindings(res, got.url, opts, out.findings);
    const health = parseHealth(res.body);
    if (modern && res.status === 200 && health?.status === "pass") {
      const db = health.db_server_status === true ? "; database reachable (db_server_status)" : health.db_server_status === undefined ? "; this Odoo build does not report db_server_status" : "";
      out.probes.push(probe(i.web, t.web, "ok", `${got.url}: 200 {"status": "pass"}${db} (${ep.how})`));
    } else if (modern && (health?.db_server_status === false || (res.status === 500 && health?.status === "fail"))) {
      out.probes.push(probe(i.web, t.web, "problem", `${got.url}: ${res.status}, database unreachable from Odoo (db_server_status false)`));
      out.findings.push(
        finding(
          "odoo-database-unreachable",
          "critical",
          "Odoo is up but cannot reach PostgreSQL",
          [`GET ${got.url} (${ep.how}): ${res.status} ${res.body.trim().slice(0, 200)}`],
          "The database server is down, restarting, refusing connections (max_connections reached, pg_hba), or db_host/db_port/db_password in odoo.conf are wrong.",
          "Check the db container (`docker ps`, `docker logs <db>`), `SELECT count(*) FROM pg_stat_activity` against max_connections, and db_* in `doodba-ops config --odoo`.",
        ),
      );
    } else if (!modern && res.status < 400) {
      out.probes.push(probe(i.web, t.web, "ok", `${got.url}: ${res.status} (${ep.how})`));
    } else {
      out.probes.push(probe(i.web, t.web, "problem", `${got.url}: HTTP ${res.status}${res.body ? ` ${oneLine(res.body)}` : ""}`));
      out.findings.push(httpStatusFinding(kind, got.url, res, ep));
    }
  } catch (err) {
    const r = networkOutcome(kind, i.web, t.web, ep, url, err);
    out.probes.push(r.probe);
    if (r.finding) out.findings.push(r.finding);
  }

  // ---- the bus (16+)
  if (opts.odooMajor !== undefined && opts.odooMajor < 16) {
    out.probes.push(probe(i.bus, t.bus, "skipped", `Odoo ${opts.odooMajor} serves the bus on /longpolling (a JSON-RPC long poll), which this probe does not test`));
    return out;
  }
  if (!reached && kind === "proxy") {
    out.probes.push(probe(i.bus, t.bus, "skipped", "the proxy does not serve /web/health (see the finding above), so the bus route was not tried"));
    return out;
  }
  const healthUrl = joinUrl(ep.busBase, "/websocket/health");
  const wsUrl = joinUrl(ep.busBase, "/websocket");
  try {
    const h = await opts.client.get(healthUrl, { timeoutMs, insecure });
    const ws = await opts.client.websocket(wsUrl, { timeoutMs, insecure });
    const healthText = `/websocket/health ${h.status}`;
    if (ws.status === 101) {
      out.probes.push(probe(i.bus, t.bus, "ok", `${wsUrl}: 101 Switching Protocols, served by the evented (gevent) process; ${healthText} (${ep.how})`));
    } else {
      out.probes.push(probe(i.bus, t.bus, "problem", `${wsUrl}: WebSocket handshake answered ${ws.status} instead of 101; ${healthText}`));
      out.findings.push(websocketFinding(kind, wsUrl, ws, ep));
    }
  } catch (err) {
    const r = networkOutcome(kind, i.bus, t.bus, ep, wsUrl, err);
    if (r.finding) {
      r.finding.id = kind === "direct" ? "gevent-not-answering" : r.finding.id;
      if (kind === "direct") {
        r.finding.title = "Nothing answers on the bus port (gevent)";
        r.finding.cause = "Odoo runs no evented process here: workers = 0 (threaded server, then the bus is on the HTTP port), gevent_port differs, or the gevent process crashed at start (see the logs).";
        r.finding.fix = "With workers > 0 the gevent process listens on gevent_port (8072); check `doodba-ops config --odoo` and the container logs for \"Evented Service (longpolling) running\".";
      }
      out.findings.push(r.finding);
    }
    out.probes.push(r.probe);
  }
  return out;
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, " ").trim();
  return t.length > 120 ? `${t.slice(0, 120)}…` : t;
}

function httpStatusFinding(kind: HttpKind, url: string, res: HttpResponse, ep: OdooEndpoint): DoctorFinding {
  const ev = [`GET ${url} (${ep.how}): HTTP ${res.status}${res.body ? ` ${oneLine(res.body)}` : ""}`];
  if (kind === "proxy" && (res.status === 502 || res.status === 503 || res.status === 504)) {
    return finding(
      "proxy-bad-gateway",
      "critical",
      `The proxy answers ${res.status}: it cannot reach Odoo`,
      ev,
      res.status === 504
        ? "Odoo takes longer than the proxy's timeout, or the proxy's packets to Odoo are dropped (wrong network)."
        : "The Odoo container is down or restarting, or the proxy routes to the wrong network/port (traefik.docker.network, the service port 8069).",
      "Check the Odoo container's state and logs, and that the proxy and Odoo share the network named in the proxy config (`doodba-ops check` validates the routes).",
    );
  }
  if (res.status === 404) {
    return finding(
      kind === "proxy" ? "proxy-route-missing" : "odoo-health-missing",
      "error",
      kind === "proxy" ? "The proxy has no route to Odoo for this host" : "Odoo answers 404 on /web/health",
      ev,
      kind === "proxy"
        ? "No router/server block matches this host name (a typo in the domain, the router not loaded, or the container not on the proxy's network)."
        : "Odoo older than 15 has no /web/health, or a dbfilter/monodb setup hides it.",
      kind === "proxy" ? "Compare the domain with the proxy's rules (`doodba-ops check --env prod` lists them) and pass the right one with --url." : "Set the Odoo version in the project so the right endpoint is probed.",
    );
  }
  return finding(
    kind === "proxy" ? "proxy-http-error" : "odoo-http-error",
    res.status >= 500 ? "error" : "warning",
    `/web/health answers HTTP ${res.status}${kind === "proxy" ? " through the proxy" : ""}`,
    ev,
    res.status >= 500 ? "Odoo fails while serving the request (see the logs for the traceback)." : "Something in front of Odoo (authentication, an IP allow-list, a maintenance page) answers instead of it.",
    "Read the Odoo logs around this time (`doodba-ops doctor logs` on them) and the proxy's access log.",
  );
}

function websocketFinding(kind: HttpKind, url: string, res: HttpResponse, ep: OdooEndpoint): DoctorFinding {
  const ev = [`WebSocket handshake GET ${url} (${ep.how}): HTTP ${res.status}${res.body ? ` ${oneLine(res.body)}` : ""} instead of 101`];
  const base = {
    fixRoute:
      "Route /websocket to the gevent port (gevent_port, 8072) with the Upgrade and Connection headers passed (Traefik: a router `PathPrefix(`/websocket`)` to a service on port 8072; nginx: `location /websocket { proxy_pass http://odoo:8072; proxy_set_header Upgrade $http_upgrade; proxy_set_header Connection $connection_upgrade; }`), and run workers > 0.",
  };
  if (res.status === 500) {
    return finding(
      "websocket-route-broken",
      "error",
      kind === "proxy" ? "The proxy sends /websocket to an HTTP worker, not to the gevent port" : "The bus port answers like an HTTP worker",
      [...ev, 'Odoo logs "Couldn\'t bind the websocket. Is the connection opened on the evented port (8072)?" for each such request'],
      "In prefork mode (workers > 0) only the evented process on gevent_port can hold a websocket; the route goes to port 8069. Live chat, notifications and the Discuss app stay silent, and every client retries and logs a traceback.",
      base.fixRoute,
    );
  }
  if (res.status === 400 || res.status === 426 || (res.status >= 200 && res.status < 300)) {
    return finding(
      "websocket-upgrade-dropped",
      "error",
      `The WebSocket upgrade does not get through${kind === "proxy" ? " the proxy" : ""} (HTTP ${res.status})`,
      ev,
      "The Upgrade/Connection headers are dropped on the way (nginx without `proxy_set_header Upgrade`/`Connection`, an HTTP/1.0 hop, a CDN without websockets), so Odoo sees a plain request.",
      base.fixRoute,
    );
  }
  if (res.status === 502 || res.status === 503 || res.status === 504) {
    return finding(
      "websocket-no-backend",
      "error",
      `The proxy has no live backend for /websocket (HTTP ${res.status})`,
      ev,
      "The route goes to the gevent port but nothing listens there: workers = 0 (no evented process), or the gevent process crashed at start.",
      "Run workers > 0 (the gevent process starts with them), or route /websocket to 8069 for a deliberately threaded server.",
    );
  }
  return finding(
    "websocket-route-broken",
    "error",
    `The WebSocket handshake on /websocket fails (HTTP ${res.status})`,
    ev,
    res.status === 404 ? "No route serves /websocket for this host (or no database is selected for it: the bus is a module route)." : "Something in front of the bus answers instead of Odoo.",
    base.fixRoute,
  );
}

function certFindings(res: HttpResponse, url: string, opts: HttpProbeOptions, findings: DoctorFinding[]): void {
  const tls = res.tls;
  if (!tls?.validTo) return;
  const days = Math.floor((Date.parse(tls.validTo) - opts.now.getTime()) / 86_400_000);
  const warnDays = opts.certWarnDays ?? 14;
  if (days < warnDays) {
    findings.push(
      finding(
        "tls-certificate-expiring",
        days < 3 ? "error" : "warning",
        `The certificate of ${new URL(url).hostname} expires in ${days} day${days === 1 ? "" : "s"}`,
        [`${tls.subject ?? new URL(url).hostname}: valid until ${tls.validTo}`],
        "Automatic renewal is failing (ACME challenge blocked, rate limit, DNS change) or the certificate is managed by hand.",
        "Look at the ACME client's logs (Traefik: `docker logs <traefik> 2>&1 | grep -i acme`; certbot: `certbot renew --dry-run`).",
      ),
    );
  }
}
