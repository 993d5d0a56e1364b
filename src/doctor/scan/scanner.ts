/**
 * The log scanner: records in, a {@link ScanResult} out. Everything it keeps is bounded (samples,
 * databases, IPs, slowest requests, unrecognised error kinds), so memory stays flat whatever the
 * size of the input; only the per-minute maps grow, by one entry per minute with errors.
 */
import { SIGNATURES } from "../signatures/index.js";
import type { DoctorSeverity, ScanResult, Signature, SignatureHit } from "../types.js";
import { SignatureMatcher } from "./matcher.js";
import { LOGIN_FAILED, parseAccess } from "./parse.js";
import { RecordAssembler, type OpenRecord } from "./records.js";

export interface ScanOptions {
  /** @default the built-in catalog */
  signatures?: readonly Signature[];
  /** Ignore records older than this (epoch ms). */
  since?: number;
  /** Sample lines kept per signature. @default 3 */
  maxSamples?: number;
  /** Slowest requests kept. @default 10 */
  slowest?: number;
}

const MAX_DATABASES = 20;
const MAX_IPS = 10_000;
const MAX_LOGINS_PER_IP = 20;
const MAX_UNRECOGNISED_KINDS = 500;
const MAX_SAMPLE_CHARS = 500;
const MAX_ERROR_PATHS = 1000;

interface HitState {
  signature: Signature;
  count: number;
  firstSeen?: number;
  lastSeen?: number;
  databases: Set<string>;
  samples: { file: string; line: number; text: string }[];
}

interface UnrecognisedState {
  key: string;
  level: string;
  count: number;
  firstSeen?: number;
  lastSeen?: number;
  databases: Set<string>;
  sample: { file: string; line: number; text: string };
}

const SEVERITY_RANK: Record<DoctorSeverity, number> = { critical: 3, error: 2, warning: 1, info: 0 };

/** Hides what should never be printed, in sample lines: passwords and tokens in key=value form. */
export function maskSecrets(text: string): string {
  return text
    .replace(/\b(password|passwd|pwd|secret|token|api_key|apikey|access_token)=([^\s&'"]+)/gi, "$1=***")
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]+:)[^@\s]+@/gi, "$1***@");
}

/**
 * A copy of a string that does not keep its source alive. Lines are slices of the decoded read
 * chunk (V8 sliced strings): keeping one as a sample or a map key would pin the whole chunk.
 */
export function own(s: string): string {
  return s.length === 0 ? "" : Buffer.from(s, "utf8").toString("utf8");
}

function cut(text: string): string {
  const t = text.trimEnd();
  return own(maskSecrets(t.length > MAX_SAMPLE_CHARS ? `${t.slice(0, MAX_SAMPLE_CHARS)}…` : t));
}

function minuteKey(ms: number): string {
  return String(ms - (ms % 60_000));
}

export class LogScanner {
  private readonly matcher: SignatureMatcher;
  private readonly asm: RecordAssembler;
  private readonly maxSamples: number;
  private readonly slowestN: number;
  private readonly since?: number;

  private readonly files: string[] = [];
  private lines = 0;
  private bytes = 0;
  private records = 0;
  private truncated = 0;
  private skipped = 0;
  private firstTime?: number;
  private lastTime?: number;
  /** Last time seen, for records without their own (foreign lines). */
  private clock?: number;

  private readonly hits = new Map<string, HitState>();
  private readonly logins = new Map<string, { count: number; logins: Set<string>; databases: Set<string> }>();
  private loginOverflow = 0;
  private readonly errorTimeline = new Map<string, number>();
  private readonly unrecognised = new Map<string, UnrecognisedState>();
  private unrecognisedOverflow = 0;

  private requestsTotal = 0;
  private readonly byStatus = new Map<number, number>();
  private readonly errorsPerMinute = new Map<string, number>();
  private readonly errorPaths = new Map<string, number>();
  private readonly slowest: { path: string; status: number; queries?: number; sqlSeconds?: number; otherSeconds?: number; totalSeconds?: number; time?: number }[] = [];

  constructor(opts: ScanOptions = {}) {
    this.matcher = new SignatureMatcher(opts.signatures ?? SIGNATURES);
    this.maxSamples = opts.maxSamples ?? 3;
    this.slowestN = opts.slowest ?? 10;
    this.since = opts.since;
    this.asm = new RecordAssembler((r) => this.record(r));
  }

  /** Starts a new input (a file name, or "-" for stdin). */
  beginFile(name: string): void {
    this.asm.beginFile(name);
    this.files.push(name);
  }

  /** One line, without its line terminator. */
  line(text: string): void {
    this.lines++;
    this.asm.push(text);
  }

  /** Bytes read (for the report). */
  addBytes(n: number): void {
    this.bytes += n;
  }

  /** A line longer than the reader's limit was cut. */
  noteTruncated(): void {
    this.truncated++;
  }

  endFile(): void {
    this.asm.flush();
  }

  private record(r: OpenRecord): void {
    const h = r.header;
    let time = h.time;
    if (time === undefined) time = this.clock;
    else this.clock = time;
    if (this.since !== undefined && (time === undefined || time < this.since)) {
      this.skipped++;
      return;
    }
    this.records++;
    if (time !== undefined) {
      if (this.firstTime === undefined || time < this.firstTime) this.firstTime = time;
      if (this.lastTime === undefined || time > this.lastTime) this.lastTime = time;
    }
    const level = h.level;
    const logger = h.logger;
    const isError = level === "ERROR" || level === "CRITICAL";
    if (isError && time !== undefined) {
      const k = minuteKey(time);
      this.errorTimeline.set(k, (this.errorTimeline.get(k) ?? 0) + 1);
    }

    if (logger === "werkzeug" || logger === "longpolling") {
      if (level === "INFO" && r.exceptionLines.length === 0) {
        this.access(h.message, logger === "longpolling", time);
        return;
      }
    } else if (logger !== undefined && level === "INFO" && logger.endsWith("res_users")) {
      const m = LOGIN_FAILED.exec(h.message);
      if (m) this.login(m[3] ?? "", m[2] ?? "", m[1] ?? "");
    }

    const { matches, explained } = this.matcher.matchRecord(level, logger, h.message, r.exceptionLines);
    if (matches.length === 0) {
      if (isError && !explained) this.unrecognisedRecord(r, time);
      return;
    }
    for (const m of matches) {
      const id = m.signature.id;
      let st = this.hits.get(id);
      if (!st) {
        st = { signature: m.signature, count: 0, databases: new Set(), samples: [] };
        this.hits.set(id, st);
      }
      st.count++;
      if (time !== undefined) {
        if (st.firstSeen === undefined || time < st.firstSeen) st.firstSeen = time;
        if (st.lastSeen === undefined || time > st.lastSeen) st.lastSeen = time;
      }
      if (h.db !== undefined && st.databases.size < MAX_DATABASES && !st.databases.has(h.db)) st.databases.add(own(h.db));
      if (st.samples.length < this.maxSamples) {
        if (m.fromTraceback) {
          const i = r.exceptionLines.indexOf(m.text);
          st.samples.push({ file: r.file, line: r.exceptionLineNos[i] ?? r.line, text: cut(m.text) });
        } else st.samples.push({ file: r.file, line: r.line, text: cut(r.text) });
      }
    }
  }

  private access(message: string, gevent: boolean, time: number | undefined): void {
    const a = parseAccess(message, gevent);
    if (!a) return;
    this.requestsTotal++;
    this.byStatus.set(a.status, (this.byStatus.get(a.status) ?? 0) + 1);
    if (a.status >= 500) {
      if (time !== undefined) {
        const k = minuteKey(time);
        this.errorsPerMinute.set(k, (this.errorsPerMinute.get(k) ?? 0) + 1);
      }
      const p = a.path.length > 200 ? a.path.slice(0, 200) : a.path;
      const n = this.errorPaths.get(p);
      if (n !== undefined) this.errorPaths.set(p, n + 1);
      else if (this.errorPaths.size < MAX_ERROR_PATHS) this.errorPaths.set(own(p), 1);
    }
    const total = a.totalSeconds;
    if (total === undefined) return;
    const s = this.slowest;
    if (s.length >= this.slowestN && total <= (s[s.length - 1]!.totalSeconds ?? 0)) return;
    const entry: (typeof s)[number] = { path: own(a.path), status: a.status, totalSeconds: total };
    if (a.queries !== undefined) entry.queries = a.queries;
    if (a.sqlSeconds !== undefined) entry.sqlSeconds = a.sqlSeconds;
    if (a.otherSeconds !== undefined) entry.otherSeconds = a.otherSeconds;
    if (time !== undefined) entry.time = time;
    let i = s.length;
    while (i > 0 && (s[i - 1]!.totalSeconds ?? 0) < total) i--;
    s.splice(i, 0, entry);
    if (s.length > this.slowestN) s.pop();
  }

  private login(ip: string, login: string, db: string): void {
    let st = this.logins.get(ip);
    if (!st) {
      if (this.logins.size >= MAX_IPS) {
        this.loginOverflow++;
        return;
      }
      st = { count: 0, logins: new Set(), databases: new Set() };
      this.logins.set(own(ip), st);
    }
    st.count++;
    if (st.logins.size < MAX_LOGINS_PER_IP && !st.logins.has(login)) st.logins.add(own(login));
    if (db && st.databases.size < MAX_DATABASES && !st.databases.has(db)) st.databases.add(own(db));
  }

  private unrecognisedRecord(r: OpenRecord, time: number | undefined): void {
    const last = r.exceptionLines[r.exceptionLines.length - 1];
    const basis = last !== undefined && last.trim() !== "" ? last : r.header.message;
    const key = basis.trim().replace(/0x[0-9a-f]+/gi, "0x…").replace(/\d+/g, "N").slice(0, 200);
    let st = this.unrecognised.get(key);
    if (!st) {
      if (this.unrecognised.size >= MAX_UNRECOGNISED_KINDS) {
        this.unrecognisedOverflow++;
        return;
      }
      st = { key: own(key), level: own(r.header.level ?? "ERROR"), count: 0, databases: new Set(), sample: { file: r.file, line: r.line, text: cut(r.text) } };
      this.unrecognised.set(key, st);
    }
    st.count++;
    if (time !== undefined) {
      if (st.firstSeen === undefined || time < st.firstSeen) st.firstSeen = time;
      if (st.lastSeen === undefined || time > st.lastSeen) st.lastSeen = time;
    }
    if (r.header.db !== undefined && st.databases.size < MAX_DATABASES && !st.databases.has(r.header.db)) st.databases.add(own(r.header.db));
  }

  /** The aggregated result (call after the last `endFile`). Deterministic: sorted everywhere. */
  result(): ScanResult {
    this.asm.flush();
    const hits: SignatureHit[] = [...this.hits.values()]
      .sort((a, b) => SEVERITY_RANK[b.signature.severity] - SEVERITY_RANK[a.signature.severity] || b.count - a.count || cmp(a.signature.id, b.signature.id))
      .map((st) => {
        const hit: SignatureHit = { signatureId: st.signature.id, count: st.count, databases: [...st.databases].sort(), samples: st.samples };
        if (st.firstSeen !== undefined) hit.firstSeen = st.firstSeen;
        if (st.lastSeen !== undefined) hit.lastSeen = st.lastSeen;
        return hit;
      });
    const failedLogins = [...this.logins.entries()]
      .map(([ip, st]) => ({ ip, count: st.count, logins: [...st.logins].sort(), databases: [...st.databases].sort() }))
      .sort((a, b) => b.count - a.count || cmp(a.ip, b.ip));
    if (this.loginOverflow > 0) failedLogins.push({ ip: "(other sources)", count: this.loginOverflow, logins: [], databases: [] });
    const unrecognised = [...this.unrecognised.values()]
      .sort((a, b) => b.count - a.count || cmp(a.key, b.key))
      .slice(0, 50)
      .map((st) => {
        const u: NonNullable<ScanResult["unrecognised"]>[number] = { key: st.key, level: st.level, count: st.count, databases: [...st.databases].sort(), sample: st.sample };
        if (st.firstSeen !== undefined) u.firstSeen = st.firstSeen;
        if (st.lastSeen !== undefined) u.lastSeen = st.lastSeen;
        return u;
      });
    const result: ScanResult = {
      files: [...this.files],
      lines: this.lines,
      bytes: this.bytes,
      records: this.records,
      hits,
      failedLogins,
      requests: {
        total: this.requestsTotal,
        byStatus: sortedRecord(new Map([...this.byStatus].map(([k, v]) => [String(k), v]))),
        slowest: this.slowest.map((s) => ({ ...s })),
        errorsPerMinute: sortedRecord(this.errorsPerMinute),
      },
      errorTimeline: sortedRecord(this.errorTimeline),
    };
    if (this.errorPaths.size > 0) {
      result.requests.errorPaths = [...this.errorPaths.entries()]
        .map(([path, count]) => ({ path, count }))
        .sort((a, b) => b.count - a.count || cmp(a.path, b.path))
        .slice(0, 20);
    }
    if (this.firstTime !== undefined) result.firstTime = this.firstTime;
    if (this.lastTime !== undefined) result.lastTime = this.lastTime;
    if (unrecognised.length > 0 || this.unrecognisedOverflow > 0) result.unrecognised = unrecognised;
    if (this.since !== undefined) {
      result.since = this.since;
      result.skippedBeforeSince = this.skipped;
    }
    if (this.truncated > 0) result.truncatedLines = this.truncated;
    return result;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedRecord(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...m.keys()].sort((a, b) => Number(a) - Number(b) || cmp(a, b))) out[k] = m.get(k) ?? 0;
  return out;
}

/** Scans a whole text (tests, small inputs). */
export function scanText(text: string, file = "-", opts: ScanOptions = {}): ScanResult {
  const sc = new LogScanner(opts);
  sc.beginFile(file);
  sc.addBytes(Buffer.byteLength(text));
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  for (const l of lines) sc.line(l.endsWith("\r") ? l.slice(0, -1) : l);
  sc.endFile();
  return sc.result();
}
