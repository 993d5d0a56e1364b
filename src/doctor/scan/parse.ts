/**
 * Line parser for Odoo server logs (and the foreign lines that end up in the same stream:
 * PostgreSQL and nginx error logs, `docker compose logs` prefixes, `docker logs --timestamps`).
 * Pure and allocation-light: the scanner calls {@link parseHeader} once per line.
 *
 * Odoo's format (odoo/netsvc.py): `%(asctime)s %(pid)s %(levelname)s %(dbname)s %(name)s: %(message)s %(perf_info)s`,
 * e.g. `2026-11-27 01:57:34,114 2368 INFO ? odoo.service.server: Worker (2368) CPU time limit (1) reached. `.
 * Timestamps are taken as UTC (Odoo containers run in UTC).
 */

/** The header of a record: one line that starts a new log record. */
export interface Header {
  /** Epoch ms; undefined for formats without a date. */
  time?: number;
  pid?: number;
  /** DEBUG, INFO, WARNING, ERROR, CRITICAL (PostgreSQL's FATAL/PANIC map to CRITICAL, LOG to INFO). */
  level?: string;
  /** Database, undefined for "?" / "None". */
  db?: string;
  /** Logger name: "odoo.service.server", "werkzeug"; "postgresql" and "nginx" for those formats. */
  logger?: string;
  message: string;
}

const ODOO_LEVELS = new Set(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "TEST", "RUNBOT"]);

/** Minute cache: "YYYY-MM-DD HH:MM" -> epoch ms of that minute. Parsing dates is the scanner's hottest cost. */
let cachedMinute = "";
let cachedMinuteMs = 0;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function d2(s: string, i: number): number {
  return (s.charCodeAt(i) - 48) * 10 + (s.charCodeAt(i + 1) - 48);
}

/** Epoch ms of "YYYY-MM-DD HH:MM:SS" at the start of `s` (separator at 10 may be ' ' or 'T'), or NaN. */
export function parseTimestamp(s: string, withMillis: boolean): number {
  let base: number;
  if (s.startsWith(cachedMinute) && cachedMinute.length === 16) base = cachedMinuteMs;
  else {
    const minute = s.slice(0, 16);
    const y = d2(s, 0) * 100 + d2(s, 2);
    base = Date.UTC(y, d2(s, 5) - 1, d2(s, 8), d2(s, 11), d2(s, 14));
    if (Number.isNaN(base)) return NaN;
    cachedMinute = minute;
    cachedMinuteMs = base;
  }
  let ms = base + d2(s, 17) * 1000;
  if (withMillis && isDigit(s.charCodeAt(20)) && isDigit(s.charCodeAt(21)) && isDigit(s.charCodeAt(22))) {
    ms += (s.charCodeAt(20) - 48) * 100 + (s.charCodeAt(21) - 48) * 10 + (s.charCodeAt(22) - 48);
  }
  return ms;
}

/** "YYYY-MM-DD HH:MM:SS" shape at offset 0 (digits and separators only; cheap). */
function hasDateTime(s: string): boolean {
  return (
    s.length >= 19 &&
    isDigit(s.charCodeAt(0)) &&
    isDigit(s.charCodeAt(3)) &&
    s.charCodeAt(4) === 45 &&
    s.charCodeAt(7) === 45 &&
    s.charCodeAt(13) === 58 &&
    s.charCodeAt(16) === 58 &&
    isDigit(s.charCodeAt(18))
  );
}

/**
 * Parses an Odoo log line (`2026-11-27 01:57:34,114 2368 INFO ? odoo.service.server: msg`).
 * Returns undefined when the line is not one (a traceback line, another format).
 */
export function parseOdooLine(line: string): Header | undefined {
  // fixed-width prefix: "YYYY-MM-DD HH:MM:SS,mmm "
  if (line.length < 30 || !hasDateTime(line) || line.charCodeAt(10) !== 32 || line.charCodeAt(19) !== 44 || line.charCodeAt(23) !== 32) return undefined;
  let i = 24;
  let pid = 0;
  let c = line.charCodeAt(i);
  if (!isDigit(c)) return undefined;
  while (isDigit(c)) {
    pid = pid * 10 + (c - 48);
    c = line.charCodeAt(++i);
  }
  if (c !== 32) return undefined;
  const levelEnd = line.indexOf(" ", i + 1);
  if (levelEnd < 0) return undefined;
  const level = line.slice(i + 1, levelEnd);
  if (!ODOO_LEVELS.has(level)) return undefined;
  const dbEnd = line.indexOf(" ", levelEnd + 1);
  if (dbEnd < 0) return undefined;
  const loggerEnd = line.indexOf(": ", dbEnd + 1);
  let logger: string;
  let message: string;
  if (loggerEnd < 0) {
    // "... logger:" with an empty message
    if (line.charCodeAt(line.length - 1) !== 58) return undefined;
    logger = line.slice(dbEnd + 1, line.length - 1);
    message = "";
  } else {
    logger = line.slice(dbEnd + 1, loggerEnd);
    message = line.slice(loggerEnd + 2);
  }
  if (logger.length === 0 || logger.indexOf(" ") >= 0) return undefined;
  const dbRaw = line.slice(levelEnd + 1, dbEnd);
  const time = parseTimestamp(line, true);
  return {
    time: Number.isNaN(time) ? undefined : time,
    pid,
    level,
    db: dbRaw === "?" || dbRaw === "None" ? undefined : dbRaw,
    logger,
    message,
  };
}

// PostgreSQL with the Docker image's log_line_prefix '%m [%p] ': "2026-11-27 02:10:09.331 UTC [57] FATAL:  msg"
const PG_LINE = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(?: ([A-Z]{2,5}|[+-]\d\d(?::?\d\d)?))? \[(\d+)\](?:[^:\n]{0,80}?)? (LOG|ERROR|FATAL|PANIC|WARNING|NOTICE|INFO|DEBUG\d?|STATEMENT|DETAIL|HINT|CONTEXT|QUERY|LOCATION): {2}(.*)$/;
// nginx error log: "2026/11/27 02:10:09 [error] 31#31: *1 upstream timed out ..."
const NGINX_LINE = /^(\d{4})\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d) \[(\w+)\] (\d+)#\d+: (.*)$/;

const PG_LEVEL: Record<string, string> = { LOG: "INFO", INFO: "INFO", NOTICE: "INFO", WARNING: "WARNING", ERROR: "ERROR", FATAL: "CRITICAL", PANIC: "CRITICAL" };
const NGINX_LEVEL: Record<string, string> = { debug: "DEBUG", info: "INFO", notice: "INFO", warn: "WARNING", error: "ERROR", crit: "CRITICAL", alert: "CRITICAL", emerg: "CRITICAL" };

/** PostgreSQL detail lines (DETAIL/HINT/STATEMENT...) belong to the record before them. */
export const PG_CONTINUATION = new Set(["STATEMENT", "DETAIL", "HINT", "CONTEXT", "QUERY", "LOCATION"]);

/** Parses a PostgreSQL server log line; `level` is the raw PostgreSQL severity in `pgSeverity`. */
export function parsePostgresLine(line: string): (Header & { pgSeverity: string }) | undefined {
  if (!hasDateTime(line)) return undefined;
  const m = PG_LINE.exec(line);
  if (!m) return undefined;
  const sev = m[5] ?? "LOG";
  let time = parseTimestamp(line, false);
  if (m[2]) time += Math.floor(Number(`0.${m[2]}`) * 1000);
  return { time: Number.isNaN(time) ? undefined : time, pid: Number(m[4]), level: PG_LEVEL[sev] ?? "INFO", logger: "postgresql", message: m[6] ?? "", pgSeverity: sev };
}

export function parseNginxLine(line: string): Header | undefined {
  if (line.charCodeAt(4) !== 47) return undefined;
  const m = NGINX_LINE.exec(line);
  if (!m) return undefined;
  const time = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return { time: Number.isNaN(time) ? undefined : time, pid: Number(m[8]), level: NGINX_LEVEL[m[7] ?? ""] ?? "INFO", logger: "nginx", message: m[9] ?? "" };
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
// `docker compose logs`: "odoo-1  | ", "odoo_1  | ", "myproject-odoo-1 | "
const COMPOSE_PREFIX = /^[A-Za-z0-9][\w.-]*\s*\|\s?/;
// `docker logs --timestamps`: RFC 3339 with nanoseconds, then a space
const DOCKER_TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) /;

export function stripAnsi(line: string): string {
  return line.replace(ANSI, "");
}

/**
 * Removes what wraps a log line on its way out of a container: ANSI colours (Odoo colours the
 * level on a TTY, and Doodba's devel runs with `tty: true`), the `docker compose logs` service
 * prefix, and the `docker logs --timestamps` time. Returns the line unchanged when there is none.
 */
export function unwrapLine(line: string): string {
  let s = line;
  if (s.indexOf("\u001b") >= 0) s = stripAnsi(s);
  const bar = s.indexOf("|");
  if (bar > 0 && bar < 80) {
    const m = COMPOSE_PREFIX.exec(s);
    if (m) s = s.slice(m[0].length);
  }
  if (s.length > 20 && s.charCodeAt(10) === 84 /* T */) {
    const m = DOCKER_TS.exec(s);
    if (m) s = s.slice(m[0].length);
  }
  return s;
}

export type LineKind = "header" | "continuation";

/**
 * Classifies one raw line: a header (a new record, with its parsed fields) or a continuation of
 * the record before it (traceback, multi-line message, PostgreSQL DETAIL...). Lines that are
 * neither an Odoo, PostgreSQL nor nginx record are continuations; the scanner makes them
 * records of their own when nothing came before.
 */
export function parseHeader(line: string): Header | undefined {
  const h = parseOdooLine(line);
  if (h) return h;
  const c0 = line.charCodeAt(0);
  // traceback frames and code: never a header
  if (c0 === 32 || c0 === 9 || line.length === 0) return undefined;
  if (isDigit(c0)) {
    const pg = parsePostgresLine(line);
    if (pg) return PG_CONTINUATION.has(pg.pgSeverity) ? undefined : pg;
    const ng = parseNginxLine(line);
    if (ng) return ng;
  }
  const unwrapped = unwrapLine(line);
  if (unwrapped !== line) return parseHeader(unwrapped);
  return undefined;
}

/** Whether a continuation line carries meaning (exception lines, not frames or source code). */
export function isExceptionLine(line: string): boolean {
  const c0 = line.charCodeAt(0);
  if (line.length === 0 || c0 === 32) return false;
  if (c0 === 84 /* T */ && line.startsWith("Traceback (most recent call last)")) return false;
  if (c0 === 68 /* D */ && line.startsWith("During handling of the above exception")) return false;
  if (c0 === 84 && line.startsWith("The above exception was the direct cause")) return false;
  return true;
}

/** One access line of werkzeug (`"GET /p HTTP/1.1" 200 - 12 0.004 0.010`) or gevent (`"GET /p HTTP/1.1" 101 450 0.61`). */
export interface AccessLine {
  method: string;
  /** Path without the query string (query strings can carry tokens). */
  path: string;
  status: number;
  queries?: number;
  sqlSeconds?: number;
  otherSeconds?: number;
  totalSeconds?: number;
}

/** Parses the message of a `werkzeug` (or `longpolling`, gevent) record; undefined for other werkzeug messages. */
export function parseAccess(message: string, gevent: boolean): AccessLine | undefined {
  const q1 = message.indexOf('"');
  if (q1 < 0) return undefined;
  const q2 = message.indexOf('" ', q1 + 1);
  if (q2 < 0) return undefined;
  const req = message.slice(q1 + 1, q2);
  const sp1 = req.indexOf(" ");
  const sp2 = req.lastIndexOf(" ");
  if (sp1 <= 0) return undefined;
  const method = req.slice(0, sp1);
  let path = sp2 > sp1 ? req.slice(sp1 + 1, sp2) : req.slice(sp1 + 1);
  const qs = path.indexOf("?");
  if (qs >= 0) path = path.slice(0, qs);
  // " 200 - 12 0.004 0.010" | " 101 450 0.613348"
  let i = q2 + 2;
  let status = 0;
  let c = message.charCodeAt(i);
  if (!isDigit(c)) return undefined;
  while (isDigit(c)) {
    status = status * 10 + (c - 48);
    c = message.charCodeAt(++i);
  }
  const rest = message.slice(i).trim().split(" ");
  const out: AccessLine = { method, path, status };
  if (gevent) {
    const d = Number(rest[1]);
    if (rest.length >= 2 && Number.isFinite(d)) out.totalSeconds = d;
  } else if (rest.length >= 4) {
    const qn = Number(rest[1]);
    const sql = Number(rest[2]);
    const other = Number(rest[3]);
    if (Number.isFinite(qn) && Number.isFinite(sql) && Number.isFinite(other)) {
      out.queries = qn;
      out.sqlSeconds = sql;
      out.otherSeconds = other;
      out.totalSeconds = Math.round((sql + other) * 1e6) / 1e6;
    }
  }
  return out;
}

/** "Login failed for db:acme login:admin from 127.0.0.1" (odoo/addons/base/models/res_users.py). */
export const LOGIN_FAILED = /^Login failed for db:(.*?) login:(.*) from (\S+)\s*$/;
