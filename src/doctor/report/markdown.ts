/**
 * The Markdown report (for a ticket or a pull-request comment). Every piece of text from the
 * outside (log lines, names, messages) is escaped inline or shown in a fence it cannot close.
 */
import type { DoctorFinding, DoctorReport, ProbeResult, ScanResult } from "../types.js";
import { escapeMarkdown, fencedBlock, inlineMarkdown } from "./escape.js";
import { contextLines, headline, noFindingText } from "./human.js";
import type { DoctorRenderOptions } from "./human.js";
import { describeFindingCounts, describeProbeCounts, findingCount, formatBytes, formatMinute, formatTime, rankFindings, summarize } from "./rank.js";
import { bucketLabel, buildTimeline } from "./timeline.js";

const SEV_LABEL = { critical: "CRITICAL", error: "ERROR", warning: "WARNING", info: "INFO" } as const;
const STATUS_LABEL: Record<ProbeResult["status"], string> = { ok: "✅ ok", problem: "❌ problem", skipped: "⏭️ skipped" };

export function renderMarkdownDoctor(report: DoctorReport, opts: DoctorRenderOptions = {}): string {
  const out: string[] = [];
  out.push(`# ${escapeMarkdown(headline(report, opts.displayDir))}`, "");
  const ctx = contextLines(report);
  if (ctx.length > 0) {
    for (const c of ctx) out.push(`- ${escapeMarkdown(c)}`);
    out.push("");
  }
  const sum = summarize(report);
  out.push(`**${escapeMarkdown(describeFindingCounts(sum))}**${report.probes.length > 0 ? `; ${escapeMarkdown(describeProbeCounts(sum))}` : ""}`, "");

  const findings = rankFindings(report.findings);
  out.push("## Findings", "");
  if (findings.length === 0) out.push(escapeMarkdown(noFindingText(report)), "");
  findings.forEach((f, i) => out.push(...findingBlock(f, i + 1)));

  if (report.probes.length > 0) {
    out.push("## Probes", "");
    out.push("| status | probe | detail |", "|---|---|---|");
    for (const p of report.probes) out.push(`| ${STATUS_LABEL[p.status]} | ${escapeMarkdown(p.id)} | ${escapeMarkdown(p.detail)} |`);
    out.push("");
    if (sum.probes.skipped > 0) out.push("_Skipped probes were not verified: their part of the deployment is unknown, not healthy._", "");
  }

  if (report.scan) out.push(...scanBlock(report.scan));
  return `${out.join("\n").replace(/\n+$/, "")}\n`;
}

function findingBlock(f: DoctorFinding, n: number): string[] {
  const count = findingCount(f);
  const times = count > 1 ? `, ${count}×` : "";
  const lines = [`### ${n}. ${SEV_LABEL[f.severity]}: ${inlineMarkdown(f.title)}`, "", `\`${f.id.replace(/`/g, "")}\` (${f.origin}${times})`, ""];
  const multi: string[] = [];
  const single: string[] = [];
  for (const e of f.evidence) (e.includes("\n") ? multi : single).push(e);
  if (single.length > 0 || multi.length > 0) {
    lines.push("**Evidence**", "");
    for (const e of single) lines.push(`- ${inlineMarkdown(e)}`);
    if (single.length > 0) lines.push("");
    for (const e of multi) lines.push(fencedBlock(e), "");
  }
  if (f.meaning) lines.push(`**What it means:** ${inlineMarkdown(f.meaning)}`, "");
  if (f.cause) lines.push(`**Likely cause:** ${inlineMarkdown(f.cause)}`, "");
  if (f.fix) {
    if (f.fix.includes("\n")) lines.push("**Fix:**", "", fencedBlock(f.fix), "");
    else lines.push(`**Fix:** ${inlineMarkdown(f.fix)}`, "");
  }
  return lines;
}

function scanBlock(scan: ScanResult): string[] {
  const lines = ["## Logs", ""];
  const range = scan.firstTime !== undefined ? `, ${formatTime(scan.firstTime)} to ${formatTime(scan.lastTime)} UTC` : "";
  lines.push(`${escapeMarkdown(scan.files.join(", "))}: ${scan.lines} lines (${formatBytes(scan.bytes)}), ${scan.records} records${escapeMarkdown(range)}`, "");
  const t = buildTimeline(scan);
  if (t) {
    lines.push(`### Errors per ${bucketLabel(t.bucketMinutes)}`, "");
    lines.push(`| ${bucketLabel(t.bucketMinutes)} (UTC) | log errors | HTTP 5xx |`, "|---|---:|---:|");
    for (const b of t.buckets) if (b.errors > 0 || b.http5xx > 0) lines.push(`| ${formatMinute(b.start)} | ${b.errors} | ${b.http5xx} |`);
    lines.push("");
  }
  const req = scan.requests;
  if (req && req.total > 0) {
    lines.push("### Requests", "");
    lines.push(
      `${req.total} requests: ${Object.entries(req.byStatus)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${escapeMarkdown(k)}: ${v}`)
        .join(", ")}`,
      "",
    );
    if (req.slowest.length > 0) {
      lines.push("| seconds | status | path | queries | SQL s | other s |", "|---:|---:|---|---:|---:|---:|");
      for (const r of req.slowest.slice(0, 10)) {
        const total = r.totalSeconds ?? (r.sqlSeconds ?? 0) + (r.otherSeconds ?? 0);
        lines.push(`| ${total.toFixed(3)} | ${r.status} | ${escapeMarkdown(r.path)} | ${r.queries ?? ""} | ${r.sqlSeconds?.toFixed(3) ?? ""} | ${r.otherSeconds?.toFixed(3) ?? ""} |`);
      }
      lines.push("");
    }
  }
  const errPaths = req?.errorPaths ?? [];
  if (errPaths.length > 0) {
    lines.push("### HTTP 5xx by path", "", "| path | 5xx |", "|---|---:|");
    for (const p of errPaths.slice(0, 10)) lines.push(`| ${escapeMarkdown(p.path)} | ${p.count} |`);
    lines.push("");
  }
  if (scan.failedLogins.length > 0) {
    lines.push("### Failed logins", "", "| source | count | logins | databases |", "|---|---:|---|---|");
    for (const l of scan.failedLogins.slice(0, 20)) {
      lines.push(`| ${escapeMarkdown(l.ip)} | ${l.count} | ${escapeMarkdown(l.logins.join(", "))} | ${escapeMarkdown(l.databases.join(", "))} |`);
    }
    lines.push("");
  }
  return lines;
}
