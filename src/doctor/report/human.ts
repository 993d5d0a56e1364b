/**
 * The terminal report of `doodba-ops doctor`:
 *
 * ```
 * doodba-ops doctor: examples/acme-erp, environment prod (compose project acme-erp)
 *
 * Findings (most severe and most frequent first)
 *  1. error    websocket-not-routed  The bus is not routed to the gevent port  [logs, 12×]
 *       evidence: ...
 *       cause:    ...
 *       fix:      ...
 *
 * Probes
 *   ok       docker-engine  Docker Engine 28.2.2 (local: unix:///var/run/docker.sock)
 *   skipped  postgres       cannot connect to postgres://odoo:***@127.0.0.1:5432/prod: connection refused
 *
 * 0 critical, 1 error, 0 warnings, 0 info; 9 probes: 5 ok, 1 problem, 3 skipped
 * ```
 */
import { style } from "../../cli/output/common.js";
import type { Style } from "../../cli/output/common.js";
import type { DoctorFinding, DoctorReport, DoctorSeverity, ProbeResult, ScanResult } from "../types.js";
import { stripControl } from "./escape.js";
import { describeFindingCounts, describeProbeCounts, findingCount, formatBytes, formatMinute, formatTime, rankFindings, summarize } from "./rank.js";
import { buildTimeline, bucketLabel, sparkline } from "./timeline.js";

export interface DoctorRenderOptions {
  /** ANSI colours (human format only). @default false */
  color?: boolean;
  /** How to name the project directory (as the user typed it). @default report.target.project */
  displayDir?: string;
}

export function renderHumanDoctor(report: DoctorReport, opts: DoctorRenderOptions = {}): string {
  const s = style(opts.color ?? false);
  const out: string[] = [];
  out.push(s.bold(headline(report, opts.displayDir)));
  const context = contextLines(report);
  for (const c of context) out.push(s.dim(c));

  const findings = rankFindings(report.findings);
  out.push("");
  if (findings.length === 0) out.push(noFindingText(report));
  else {
    out.push(s.bold("Findings (most severe and most frequent first)"));
    const idW = Math.max(...findings.map((f) => f.id.length));
    findings.forEach((f, i) => {
      if (i > 0) out.push("");
      out.push(...findingLines(f, i + 1, idW, findings.length, s));
    });
  }

  if (report.probes.length > 0) {
    out.push("", s.bold("Probes"));
    out.push(...probeLines(report.probes, s));
  }

  if (report.scan) {
    out.push("", s.bold("Logs"));
    out.push(...scanLines(report.scan));
  }

  const sum = summarize(report);
  out.push("");
  const counts = describeFindingCounts(sum);
  out.push(report.probes.length > 0 ? `${counts}; ${describeProbeCounts(sum)}` : counts);
  if (sum.probes.skipped > 0) out.push(s.dim(`Skipped probes were not verified: their part of the deployment is unknown, not healthy.`));
  return `${out.join("\n")}\n`;
}

/** What to say when there is no finding: never "healthy" when the probes did not run or found problems. */
export function noFindingText(report: DoctorReport): string {
  const live = report.probes.filter((p) => p.id !== "check");
  const problems = report.probes.filter((p) => p.status === "problem").length;
  if (live.length > 0 && live.every((p) => p.status === "skipped")) return "No finding, but no live probe could run: the deployment itself was not examined (see the skipped probes).";
  if (problems > 0) return `No finding; ${problems === 1 ? "1 probe reports" : `${problems} probes report`} a problem (below).`;
  if (report.probes.length === 0 && report.scan) return "No known problem in these logs.";
  return "No problem found.";
}

export function headline(report: DoctorReport, displayDir?: string): string {
  const t = report.target;
  const parts: string[] = [];
  if (t.project !== undefined) parts.push(displayDir ?? t.project);
  if (t.env !== undefined) parts.push(`environment ${t.env}${t.composeProject ? ` (compose project ${t.composeProject})` : ""}`);
  if (t.logs && t.logs.length > 0 && t.project === undefined) parts.push(t.logs.length === 1 ? (t.logs[0] ?? "") : `${t.logs.length} log files`);
  return stripControl(`doodba-ops doctor${parts.length ? `: ${parts.join(", ")}` : ""}`);
}

/** "probed at ...", "database: ...", "proxy: ...", "logs since ...". */
export function contextLines(report: DoctorReport): string[] {
  const t = report.target;
  const lines: string[] = [];
  if (report.at) lines.push(`probed at ${report.at}`);
  if (t.db) lines.push(`database: ${t.db}`);
  if (t.url) lines.push(`through the proxy: ${t.url}`);
  if (t.since) lines.push(`container logs since: ${t.since}`);
  return lines.map(stripControl);
}

const SEV_W = 8;

function sevText(sev: DoctorSeverity, s: Style): string {
  const padded = sev.padEnd(SEV_W);
  return sev === "critical" ? s.bold(s.red(padded)) : sev === "error" ? s.red(padded) : sev === "warning" ? s.yellow(padded) : s.cyan(padded);
}

function findingLines(f: DoctorFinding, n: number, idW: number, total: number, s: Style): string[] {
  const num = `${n}.`.padStart(String(total).length + 1);
  const count = findingCount(f);
  const tag = `[${f.origin}${count > 1 ? `, ${count}×` : ""}]`;
  const lines = [`${num} ${sevText(f.severity, s)} ${s.dim(f.id.padEnd(idW))}  ${stripControl(f.title)}  ${s.dim(tag)}`];
  const pad = " ".repeat(num.length + 1);
  const field = (name: string, text: string): void => {
    const label = `${name}:`.padEnd(10);
    const body = stripControl(text).replace(/\s+$/, "").split("\n");
    lines.push(`${pad}${s.dim(label)}${body[0] ?? ""}`);
    for (const more of body.slice(1)) lines.push(`${pad}${" ".repeat(10)}${more}`);
  };
  for (const e of f.evidence) field("evidence", e);
  if (f.meaning) field("means", f.meaning);
  if (f.cause) field("cause", f.cause);
  if (f.fix) field("fix", f.fix);
  return lines;
}

function statusText(st: ProbeResult["status"], s: Style): string {
  const padded = st.padEnd(8);
  return st === "ok" ? s.green(padded) : st === "problem" ? s.red(padded) : s.yellow(padded);
}

function probeLines(probes: readonly ProbeResult[], s: Style): string[] {
  const idW = Math.max(...probes.map((p) => p.id.length));
  return probes.map((p) => {
    const detail = stripControl(p.detail).replace(/\s*\n\s*/g, "; ");
    return `  ${statusText(p.status, s)} ${p.id.padEnd(idW)}  ${detail}`.trimEnd();
  });
}

export function scanLines(scan: ScanResult): string[] {
  const lines: string[] = [];
  const files = scan.files.length === 1 ? (scan.files[0] ?? "") : `${scan.files.length} sources`;
  const range = scan.firstTime !== undefined ? `, ${formatTime(scan.firstTime)} → ${formatTime(scan.lastTime)} UTC` : "";
  lines.push(`  ${stripControl(files)}: ${scan.lines} lines (${formatBytes(scan.bytes)}), ${scan.records} records${range}`);
  const req = scan.requests;
  if (req && req.total > 0) {
    const statuses = Object.entries(req.byStatus)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}: ${v}`)
      .join(", ");
    lines.push(`  requests: ${req.total} (${statuses})`);
    for (const r of req.slowest.slice(0, 5)) {
      const cols: string[] = [];
      if (r.queries !== undefined) cols.push(`${r.queries} queries`);
      if (r.sqlSeconds !== undefined) cols.push(`SQL ${r.sqlSeconds.toFixed(3)} s`);
      if (r.otherSeconds !== undefined) cols.push(`other ${r.otherSeconds.toFixed(3)} s`);
      const total = r.totalSeconds ?? (r.sqlSeconds ?? 0) + (r.otherSeconds ?? 0);
      lines.push(`    slow: ${total.toFixed(3)} s  ${r.status}  ${stripControl(r.path)}${cols.length ? `  (${cols.join(", ")})` : ""}`);
    }
  }
  const errPaths = req?.errorPaths ?? [];
  if (errPaths.length > 0) lines.push(`  5xx by path: ${errPaths.slice(0, 5).map((p) => `${stripControl(p.path)} ×${p.count}`).join(", ")}`);
  for (const l of scan.failedLogins.slice(0, 5)) {
    lines.push(`  failed logins from ${stripControl(l.ip)}: ${l.count} (logins: ${stripControl(l.logins.join(", ") || "-")}; databases: ${stripControl(l.databases.join(", ") || "-")})`);
  }
  const t = buildTimeline(scan, 60);
  if (t) {
    const first = t.buckets[0];
    const last = t.buckets[t.buckets.length - 1];
    lines.push(`  errors per ${bucketLabel(t.bucketMinutes)}: |${sparkline(t)}| ${first ? formatMinute(first.start) : ""} → ${last ? formatMinute(last.start) : ""} UTC (${t.totalErrors} log error${t.totalErrors === 1 ? "" : "s"}, ${t.total5xx} HTTP 5xx)`);
  } else {
    lines.push(`  no ERROR/CRITICAL records and no HTTP 5xx`);
  }
  return lines;
}
