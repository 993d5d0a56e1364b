/**
 * The HTTP effect of the live probes: a GET with a deadline and a bounded body, and a WebSocket
 * opening handshake that stops at the status line (101 or not) and closes. Node's own http/https
 * (no dependency). Probes receive an {@link HttpClient}, so tests can point them anywhere.
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { randomBytes } from "node:crypto";
import type { TLSSocket } from "node:tls";

export interface TlsInfo {
  /** The certificate chain verified against the system's CAs. */
  authorized: boolean;
  /** Why it did not verify (e.g. CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT). */
  error?: string;
  /** Certificate end of validity (ISO). */
  validTo?: string;
  subject?: string;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** At most {@link MAX_BODY} bytes, UTF-8. */
  body: string;
  tls?: TlsInfo;
}

export interface HttpRequestOptions {
  timeoutMs: number;
  headers?: Record<string, string>;
  /** Accept a certificate that does not verify (the probe reports it separately). @default false */
  insecure?: boolean;
}

export interface HttpClient {
  get(url: string, opts: HttpRequestOptions): Promise<HttpResponse>;
  /** Sends a WebSocket opening handshake; resolves with the status (101 when the server switched protocols). */
  websocket(url: string, opts: HttpRequestOptions): Promise<HttpResponse>;
}

export const MAX_BODY = 64 * 1024;

/** An error that carries a stable code (ECONNREFUSED, ENOTFOUND, ETIMEDOUT, CERT_HAS_EXPIRED...). */
export class HttpProbeError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "HttpProbeError";
  }
}

function tlsInfo(res: IncomingMessage): TlsInfo | undefined {
  const sock = res.socket as TLSSocket | null;
  if (!sock || typeof sock.getPeerCertificate !== "function") return undefined;
  const cert = sock.getPeerCertificate();
  const info: TlsInfo = { authorized: sock.authorized };
  if (sock.authorizationError) info.error = String(sock.authorizationError);
  if (cert && typeof cert.valid_to === "string" && cert.valid_to) {
    const d = new Date(cert.valid_to);
    if (!Number.isNaN(d.getTime())) info.validTo = d.toISOString();
  }
  const cn = cert?.subject?.CN;
  if (typeof cn === "string") info.subject = cn;
  return info;
}

function headersOf(res: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

function send(url: string, opts: HttpRequestOptions, upgrade: boolean): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      reject(new HttpProbeError(`not a URL: ${url}`, "EINVALIDURL"));
      return;
    }
    const https = u.protocol === "https:" || u.protocol === "wss:";
    const headers: Record<string, string> = { "user-agent": "doodba-ops-doctor", accept: "*/*", ...(opts.headers ?? {}) };
    if (upgrade) {
      headers.connection = "Upgrade";
      headers.upgrade = "websocket";
      headers["sec-websocket-version"] = "13";
      headers["sec-websocket-key"] = randomBytes(16).toString("base64");
    }
    let done = false;
    const finish = (fn: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      fn();
    };
    const reqOpts = {
      method: "GET",
      hostname: u.hostname.replace(/^\[|\]$/g, ""),
      port: u.port ? Number(u.port) : https ? 443 : 80,
      path: `${u.pathname}${u.search}`,
      headers,
      agent: false as const,
      ...(https ? { rejectUnauthorized: !opts.insecure, servername: isIp(u.hostname) ? undefined : u.hostname } : {}),
    };
    const req: ClientRequest = https ? httpsRequest(reqOpts) : httpRequest(reqOpts);
    const timer = setTimeout(() => {
      finish(() => reject(new HttpProbeError(`no answer within ${Math.round(opts.timeoutMs / 100) / 10} s`, "ETIMEDOUT")));
      req.destroy();
    }, opts.timeoutMs);
    req.on("upgrade", (res, socket) => {
      const r: HttpResponse = { status: res.statusCode ?? 101, headers: headersOf(res), body: "" };
      const t = https ? tlsInfo(res) : undefined;
      if (t) r.tls = t;
      socket.destroy();
      finish(() => resolve(r));
    });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const t = https ? tlsInfo(res) : undefined;
      res.on("data", (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c.subarray(0, MAX_BODY - size));
        size += c.length;
        if (size >= MAX_BODY) res.destroy();
      });
      const end = (): void => {
        const r: HttpResponse = { status: res.statusCode ?? 0, headers: headersOf(res), body: Buffer.concat(chunks).toString("utf8") };
        if (t) r.tls = t;
        finish(() => resolve(r));
      };
      res.on("end", end);
      res.on("close", end);
      res.on("error", end);
    });
    req.on("error", (err: NodeJS.ErrnoException) => {
      const code = err.code ?? "EREQUEST";
      finish(() => reject(new HttpProbeError(err.message, code)));
    });
    req.end();
  });
}

function isIp(host: string): boolean {
  return /^\d+\.\d+\.\d+\.\d+$/.test(host) || host.includes(":");
}

export const nodeHttpClient: HttpClient = {
  get: (url, opts) => send(url, opts, false),
  websocket: (url, opts) => send(url, opts, true),
};
