/**
 * Ranking and summaries shared by every doctor renderer: most severe first, then most frequent,
 * then a stable tie-break so the same report always renders the same way.
 */
import type { DoctorFinding, DoctorReport, DoctorSeverity, ProbeResult } from "../types.js";

export const SEVERITIES: readonly DoctorSeverity[] = ["critical", "error", "warning", "info"];

/** Higher is more severe. */
export const SEVERITY_WEIGHT: Record<DoctorSeverity, number> = { critical: 3, error: 2, warning: 1, info: 0 };

const ORIGIN_ORDER: Record<DoctorFinding["origin"], number> = { probe: 0, logs: 1, check: 2 };

/** Occurrences a finding stands for (a finding without a count is one observation). */
export function findingCount(f: DoctorFinding): number {
  return f.count !== undefined && Number.isFinite(f.count) && f.count > 0 ? f.count : 1;
}

/** Most severe first, then most frequent; ties by origin (live state before logs before config), id, title. Returns a new array. */
export function rankFindings(findings: readonly DoctorFinding[]): DoctorFinding[] {
  return [...findings].sort(
    (a, b) =>
      SEVERITY_WEIGHT[b.severity] - SEVERITY_WEIGHT[a.severity] ||
      findingCount(b) - findingCount(a) ||
      ORIGIN_ORDER[a.origin] - ORIGIN_ORDER[b.origin] ||
      cmp(a.id, b.id) ||
      cmp(a.title, b.title),
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface DoctorSummary {
  findings: Record<DoctorSeverity, number>;
  probes: Record<ProbeResult["status"], number>;
}

export function summarize(report: DoctorReport): DoctorSummary {
  const findings: Record<DoctorSeverity, number> = { critical: 0, error: 0, warning: 0, info: 0 };
  for (const f of report.findings) findings[f.severity]++;
  const probes: Record<ProbeResult["status"], number> = { ok: 0, problem: 0, skipped: 0 };
  for (const p of report.probes) probes[p.status]++;
  return { findings, probes };
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** "2 critical, 1 error, 0 warnings, 3 info" — every severity, in order. */
export function describeFindingCounts(s: DoctorSummary): string {
  return [
    `${s.findings.critical} critical`,
    plural(s.findings.error, "error"),
    plural(s.findings.warning, "warning"),
    `${s.findings.info} info`,
  ].join(", ");
}

/** "5 probes: 3 ok, 1 problem, 1 skipped" */
export function describeProbeCounts(s: DoctorSummary): string {
  const total = s.probes.ok + s.probes.problem + s.probes.skipped;
  return `${plural(total, "probe")}: ${s.probes.ok} ok, ${plural(s.probes.problem, "problem")}, ${s.probes.skipped} skipped`;
}

/** Epoch ms -> "2026-11-27 02:09:16" (UTC, as Odoo writes its log timestamps in containers). */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "";
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return "";
  return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "");
}

/** Epoch ms -> "2026-11-27 02:09" (minute buckets). */
export function formatMinute(ms: number): string {
  return formatTime(ms).slice(0, 16);
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} ${units[0]}` : `${v.toFixed(1)} ${units[i]}`;
}
