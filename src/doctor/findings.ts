/**
 * Ranked doctor findings from a log scan: one per recognised signature (with counts, first/last
 * seen, databases and sample lines as evidence), failed-login sources (escalated above a threshold
 * per address), the rate of 5xx answers, the slowest requests, and the errors no signature knew.
 * Pure: scan in, findings out, most severe then most frequent first.
 */
import { signatureById } from "./signatures/index.js";
import type { DoctorFinding, DoctorSeverity, ScanResult, SignatureHit } from "./types.js";

export interface FindingsOptions {
  /** Failed logins from one source address that make the login finding a warning (x10: an error). @default 10 */
  failedLoginThreshold?: number;
  /** Requests slower than this (seconds) are reported. @default 10 */
  slowRequestSeconds?: number;
  /** Sample lines per finding. @default 3 */
  samples?: number;
}

const SEVERITY_WEIGHT: Record<DoctorSeverity, number> = { critical: 3, error: 2, warning: 1, info: 0 };

/** "2026-11-27 02:09:16" (UTC), "" when unknown. */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "";
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "");
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Most severe first, then most frequent, then by id. */
export function rankDoctorFindings(findings: readonly DoctorFinding[]): DoctorFinding[] {
  return [...findings].sort((a, b) => SEVERITY_WEIGHT[b.severity] - SEVERITY_WEIGHT[a.severity] || (b.count ?? 1) - (a.count ?? 1) || cmp(a.id, b.id));
}

function when(first: number | undefined, last: number | undefined): string {
  if (first === undefined) return "";
  if (last === undefined || last === first) return ` at ${formatTime(first)}`;
  return ` between ${formatTime(first)} and ${formatTime(last)}`;
}

function hitEvidence(hit: SignatureHit, samples: number): string[] {
  const ev = [`${plural(hit.count, "occurrence")}${when(hit.firstSeen, hit.lastSeen)}`];
  if (hit.databases.length > 0) ev.push(`databases: ${hit.databases.join(", ")}`);
  for (const s of hit.samples.slice(0, samples)) ev.push(`${s.file}:${s.line}: ${s.text}`);
  return ev;
}

const PRIVATE_V4 = /^(?:10\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.)/;

function perMinute(hit: SignatureHit): number | undefined {
  if (hit.firstSeen === undefined || hit.lastSeen === undefined) return undefined;
  const minutes = Math.max(1, (hit.lastSeen - hit.firstSeen) / 60_000);
  return hit.count / minutes;
}

export function findingsFromScan(scan: ScanResult, opts: FindingsOptions = {}): DoctorFinding[] {
  const threshold = opts.failedLoginThreshold ?? 10;
  const slow = opts.slowRequestSeconds ?? 10;
  const samples = opts.samples ?? 3;
  const out: DoctorFinding[] = [];

  for (const hit of scan.hits) {
    const sig = signatureById(hit.signatureId);
    if (!sig) continue;
    if (sig.id === "login-failed") continue; // below, per source
    const f: DoctorFinding = {
      id: sig.id,
      severity: sig.severity,
      title: sig.title,
      evidence: hitEvidence(hit, samples),
      cause: sig.cause,
      fix: sig.fix,
      origin: "logs",
      count: hit.count,
      meaning: sig.meaning,
    };
    if (sig.id === "worker-timeout") {
      // "timeout after 2s": a limit below the prefork heartbeat (~4 s) kills idle workers in a loop
      const secs = hit.samples.map((s) => /timeout after (\d+)s/.exec(s.text)?.[1]).filter((x): x is string => x !== undefined).map(Number);
      const low = secs.length > 0 ? Math.min(...secs) : undefined;
      if (low !== undefined && low < 5) {
        f.severity = "critical";
        f.evidence.splice(1, 0, `limit_time_real is ${low} s, below the prefork heartbeat (about 4 s): idle HTTP and cron workers are killed too, again and again`);
      }
    }
    if (sig.id === "worker-memory-soft-limit") {
      const rate = perMinute(hit);
      if (hit.count >= 10 && rate !== undefined && rate >= 2) {
        f.severity = "error";
        f.evidence.splice(1, 0, `${rate.toFixed(1)} recycles per minute: limit_memory_soft is below what a worker needs, workers are restarted after almost every request`);
      }
    }
    out.push(f);
  }

  const logins = loginFinding(scan, threshold);
  if (logins) out.push(logins);
  const http = http5xxFinding(scan);
  if (http) out.push(http);
  const slowF = slowFinding(scan, slow);
  if (slowF) out.push(slowF);
  const unrec = unrecognisedFinding(scan, samples);
  if (unrec) out.push(unrec);
  return rankDoctorFindings(out);
}

function loginFinding(scan: ScanResult, threshold: number): DoctorFinding | undefined {
  const sig = signatureById("login-failed");
  const hit = scan.hits.find((h) => h.signatureId === "login-failed");
  const total = scan.failedLogins.reduce((n, l) => n + l.count, 0);
  if (!sig || (total === 0 && !hit)) return undefined;
  const top = scan.failedLogins[0];
  const topCount = top?.count ?? 0;
  let severity: DoctorSeverity = "info";
  if (topCount >= threshold * 10) severity = "error";
  else if (topCount >= threshold) severity = "warning";
  const sources = scan.failedLogins.length;
  const ev = [`${plural(total || (hit?.count ?? 0), "failed login")} from ${plural(sources, "source")}${when(hit?.firstSeen, hit?.lastSeen)} (threshold ${threshold} per source)`];
  for (const l of scan.failedLogins.slice(0, 5)) {
    const what = l.ip === "n/a" ? "n/a (XML-RPC/JSON-RPC: no address logged)" : l.ip;
    ev.push(`${what}: ${l.count} (logins: ${l.logins.join(", ") || "-"}${l.databases.length > 0 ? `; databases: ${l.databases.join(", ")}` : ""})`);
  }
  if (top && PRIVATE_V4.test(top.ip) && topCount / Math.max(1, total) >= 0.9) {
    ev.push(`almost all failures come from the private address ${top.ip}: if that is the reverse proxy, proxy_mode is off and Odoo cannot see the real client addresses (and its login cooldown locks everyone out at once)`);
  }
  return {
    id: "login-failed",
    severity,
    title: severity === "info" ? sig.title : `Failed logins: ${topCount} from ${top?.ip ?? "one source"} (possible password guessing)`,
    evidence: ev,
    cause: sig.cause,
    fix: sig.fix,
    origin: "logs",
    count: total || hit?.count,
    meaning: sig.meaning,
  };
}

function http5xxFinding(scan: ScanResult): DoctorFinding | undefined {
  const r = scan.requests;
  let n5 = 0;
  const parts: string[] = [];
  for (const [status, count] of Object.entries(r.byStatus)) {
    if (Number(status) >= 500) {
      n5 += count;
      parts.push(`${status}: ${count}`);
    }
  }
  if (n5 === 0) return undefined;
  const rate = r.total > 0 ? n5 / r.total : 0;
  const severity: DoctorSeverity = n5 >= 10 || (rate >= 0.05 && n5 >= 3) ? "error" : "warning";
  const ev = [`${n5} of ${plural(r.total, "request")} (${(rate * 100).toFixed(1)}%) answered 5xx (${parts.join(", ")})`];
  let worst: [string, number] | undefined;
  for (const [k, v] of Object.entries(r.errorsPerMinute)) if (!worst || v > worst[1]) worst = [k, v];
  if (worst) ev.push(`worst minute: ${formatTime(Number(worst[0])).slice(0, 16)} with ${worst[1]}`);
  for (const p of (r.errorPaths ?? []).slice(0, 5)) ev.push(`${p.path}: ${p.count}`);
  return {
    id: "http-5xx",
    severity,
    title: `Server errors: ${(rate * 100).toFixed(1)}% of requests answered 5xx`,
    evidence: ev,
    cause: "Requests failed inside Odoo; the tracebacks are in the other findings (or the unrecognised errors).",
    fix: "Fix the causes named by the other findings; then watch the rate with `doodba-ops doctor logs` on the next log.",
    origin: "logs",
    count: n5,
  };
}

function slowFinding(scan: ScanResult, threshold: number): DoctorFinding | undefined {
  const slowest = scan.requests.slowest.filter((s) => (s.totalSeconds ?? 0) >= threshold);
  if (slowest.length === 0) return undefined;
  const worst = slowest[0]!;
  let sql = 0;
  let other = 0;
  const ev: string[] = [];
  for (const s of slowest.slice(0, 5)) {
    sql += s.sqlSeconds ?? 0;
    other += s.otherSeconds ?? 0;
    const cols = s.queries !== undefined ? ` (${s.queries} queries, SQL ${s.sqlSeconds?.toFixed(3)} s, other ${s.otherSeconds?.toFixed(3)} s)` : "";
    ev.push(`${(s.totalSeconds ?? 0).toFixed(3)} s ${s.path} -> ${s.status}${cols}${s.time !== undefined ? ` at ${formatTime(s.time)}` : ""}`);
  }
  const sqlBound = sql > other;
  return {
    id: "slow-requests",
    severity: (worst.totalSeconds ?? 0) >= 60 ? "warning" : "info",
    title: `Slow requests: up to ${(worst.totalSeconds ?? 0).toFixed(1)} s`,
    evidence: ev,
    cause: sqlBound
      ? "Most of the time is spent in SQL (werkzeug's SQL-time column): missing indexes, a cold or undersized PostgreSQL, lock waits."
      : "Most of the time is spent outside SQL (werkzeug's other-time column): Python code (computed fields, reports, asset generation) or a busy CPU.",
    fix: sqlBound
      ? "Check PostgreSQL sizing (`doodba-ops tune`), look for lock waits and sequential scans on the slow models (`pg_stat_statements`), and add indexes where a custom module searches on unindexed fields."
      : "Profile the slow endpoint (Odoo's profiler, `--dev=performance`), check CPU limits of the container and the number of workers.",
    origin: "logs",
    count: slowest.length,
  };
}

function unrecognisedFinding(scan: ScanResult, samples: number): DoctorFinding | undefined {
  const u = scan.unrecognised ?? [];
  if (u.length === 0) return undefined;
  const total = u.reduce((n, x) => n + x.count, 0);
  const ev = [`${plural(total, "error record")} of ${plural(u.length, "kind")} matched no signature`];
  for (const x of u.slice(0, Math.max(3, samples + 2))) {
    ev.push(`${x.count}x ${x.key}${when(x.firstSeen, x.lastSeen)}${x.databases.length > 0 ? ` [${x.databases.join(", ")}]` : ""} (e.g. ${x.sample.file}:${x.sample.line})`);
  }
  return {
    id: "unrecognised-errors",
    severity: "warning",
    title: "Errors no signature explains",
    evidence: ev,
    cause: "Errors doodba-ops has no signature for: often a bug or bad data in a custom module, sometimes an infrastructure problem with an unusual message.",
    fix: "Read the tracebacks at the lines given (`sed -n '<line>,+40p' <file>`); if it is an infrastructure problem doodba-ops should know, report it with the line.",
    origin: "logs",
    count: total,
  };
}
