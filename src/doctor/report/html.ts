/**
 * The HTML report: one self-contained file (inline CSS, inline SVG timeline, no script, no
 * external asset; a Content-Security-Policy that forbids both) that a person can attach to a
 * ticket and open anywhere. Every outside string goes through {@link escapeHtml}.
 */
import type { DoctorFinding, DoctorReport, DoctorSeverity, ProbeResult, ScanResult } from "../types.js";
import { escapeHtml, inlineHtml } from "./escape.js";
import { contextLines, headline, noFindingText } from "./human.js";
import type { DoctorRenderOptions } from "./human.js";
import { SEVERITIES, describeFindingCounts, describeProbeCounts, findingCount, formatBytes, formatTime, rankFindings, summarize } from "./rank.js";
import { bucketLabel, buildTimeline, timelineSvg } from "./timeline.js";

const CSS = `
:root{--crit:#8b0000;--err:#c9302c;--warn:#b8860b;--info:#31708f;--ok:#2e7d32;--skip:#8a6d3b;--bg:#fff;--fg:#222;--muted:#666;--line:#e3e3e3}
*{box-sizing:border-box}
body{font:14px/1.45 -apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:980px;padding:24px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:0}
.ctx{color:var(--muted);margin:0;padding:0;list-style:none}
.summary{margin:12px 0;display:flex;flex-wrap:wrap;gap:8px}
.badge{display:inline-block;border-radius:10px;padding:2px 10px;font-size:12px;font-weight:600;color:#fff}
.sev-critical{background:var(--crit)}.sev-error{background:var(--err)}.sev-warning{background:var(--warn)}.sev-info{background:var(--info)}
.st-ok{background:var(--ok)}.st-problem{background:var(--err)}.st-skipped{background:var(--skip)}
.finding{border:1px solid var(--line);border-left:6px solid var(--info);border-radius:4px;padding:10px 14px;margin:0 0 12px;page-break-inside:avoid}
.finding.critical{border-left-color:var(--crit)}.finding.error{border-left-color:var(--err)}.finding.warning{border-left-color:var(--warn)}
.finding .meta{color:var(--muted);font-size:12px;margin:2px 0 8px}
.finding dt{font-weight:600;margin-top:6px}.finding dd{margin:2px 0 0 0}
.finding ul{margin:2px 0;padding-left:20px}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
pre{background:#f6f8fa;border:1px solid var(--line);border-radius:4px;padding:8px;overflow-x:auto;white-space:pre-wrap;word-break:break-all;margin:4px 0}
table{border-collapse:collapse;width:100%;margin:6px 0 12px}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:var(--muted);font-style:italic}
svg.timeline{border:1px solid var(--line);border-radius:4px;background:#fff}
@media print{body{padding:0}.finding{border-left-width:4px}}
`.trim();

const SEV_TITLE: Record<DoctorSeverity, string> = { critical: "critical", error: "error", warning: "warning", info: "info" };

export function renderHtmlDoctor(report: DoctorReport, opts: DoctorRenderOptions = {}): string {
  const title = headline(report, opts.displayDir);
  const sum = summarize(report);
  const findings = rankFindings(report.findings);
  const body: string[] = [];
  body.push(`<header>`, `<h1>${escapeHtml(title)}</h1>`);
  const ctx = contextLines(report);
  if (ctx.length > 0) body.push(`<ul class="ctx">${ctx.map((c) => `<li>${escapeHtml(c)}</li>`).join("")}</ul>`);
  body.push(`<div class="summary">`);
  for (const sev of SEVERITIES) body.push(`<span class="badge sev-${sev}">${sum.findings[sev]} ${SEV_TITLE[sev]}</span>`);
  if (report.probes.length > 0) for (const st of ["ok", "problem", "skipped"] as const) body.push(`<span class="badge st-${st}">${sum.probes[st]} ${st}</span>`);
  body.push(`</div>`);
  body.push(`<p>${escapeHtml(describeFindingCounts(sum))}${report.probes.length > 0 ? `; ${escapeHtml(describeProbeCounts(sum))}` : ""}</p>`, `</header>`);

  body.push(`<section id="findings">`, `<h2>Findings</h2>`);
  if (findings.length === 0) body.push(`<p>${escapeHtml(noFindingText(report))}</p>`);
  findings.forEach((f, i) => body.push(findingHtml(f, i + 1)));
  body.push(`</section>`);

  if (report.probes.length > 0) {
    body.push(`<section id="probes">`, `<h2>Probes</h2>`, `<table><thead><tr><th>status</th><th>probe</th><th>detail</th></tr></thead><tbody>`);
    for (const p of report.probes) body.push(probeRow(p));
    body.push(`</tbody></table>`);
    if (sum.probes.skipped > 0) body.push(`<p class="note">Skipped probes were not verified: their part of the deployment is unknown, not healthy.</p>`);
    body.push(`</section>`);
  }

  body.push(...timelineSection(report.scan));
  if (report.scan) body.push(...scanSection(report.scan));
  body.push(`<footer class="note"><p>${escapeHtml(`${report.tool.name} ${report.tool.version}`)}</p></footer>`);

  return [
    "<!DOCTYPE html>",
    `<html lang="en">`,
    "<head>",
    `<meta charset="utf-8">`,
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    ...body,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

function findingHtml(f: DoctorFinding, n: number): string {
  const count = findingCount(f);
  const times = count > 1 ? ` · ${count}×` : "";
  const parts = [
    `<article class="finding ${f.severity}">`,
    `<h3>${n}. <span class="badge sev-${f.severity}">${SEV_TITLE[f.severity]}</span> ${inlineHtml(f.title)}</h3>`,
    `<div class="meta"><code>${escapeHtml(f.id)}</code> · ${escapeHtml(f.origin)}${times}</div>`,
    `<dl>`,
  ];
  if (f.evidence.length > 0) {
    parts.push(`<dt>Evidence</dt><dd>`);
    const single = f.evidence.filter((e) => !e.includes("\n"));
    const multi = f.evidence.filter((e) => e.includes("\n"));
    if (single.length > 0) parts.push(`<ul>${single.map((e) => `<li>${inlineHtml(e)}</li>`).join("")}</ul>`);
    for (const e of multi) parts.push(`<pre>${escapeHtml(e.replace(/\n+$/, ""))}</pre>`);
    parts.push(`</dd>`);
  }
  if (f.meaning) parts.push(`<dt>What it means</dt><dd>${inlineHtml(f.meaning)}</dd>`);
  if (f.cause) parts.push(`<dt>Likely cause</dt><dd>${inlineHtml(f.cause)}</dd>`);
  if (f.fix) parts.push(f.fix.includes("\n") ? `<dt>Fix</dt><dd><pre>${escapeHtml(f.fix.replace(/\n+$/, ""))}</pre></dd>` : `<dt>Fix</dt><dd>${inlineHtml(f.fix)}</dd>`);
  parts.push(`</dl>`, `</article>`);
  return parts.join("\n");
}

function probeRow(p: ProbeResult): string {
  return `<tr><td><span class="badge st-${p.status}">${p.status}</span></td><td><code>${escapeHtml(p.id)}</code><br>${inlineHtml(p.title)}</td><td>${escapeHtml(p.detail)}</td></tr>`;
}

function timelineSection(scan: ScanResult | undefined): string[] {
  const out = [`<section id="timeline">`];
  const t = buildTimeline(scan);
  if (!scan) {
    out.push(`<h2>Errors over time</h2>`, `<p class="note">No logs were scanned, so there is no timeline.</p>`);
  } else if (!t) {
    out.push(`<h2>Errors over time</h2>`, `<p>No ERROR/CRITICAL log record and no HTTP 5xx response in the scanned logs.</p>`);
  } else {
    out.push(`<h2>Errors per ${escapeHtml(bucketLabel(t.bucketMinutes))}</h2>`, timelineSvg(t));
    out.push(`<p class="note">${t.totalErrors} ERROR/CRITICAL log record${t.totalErrors === 1 ? "" : "s"} and ${t.total5xx} HTTP 5xx response${t.total5xx === 1 ? "" : "s"}; times in UTC as the logs give them. Hover a bar for its numbers.</p>`);
  }
  out.push(`</section>`);
  return out;
}

function scanSection(scan: ScanResult): string[] {
  const out = [`<section id="logs">`, `<h2>Logs</h2>`];
  const range = scan.firstTime !== undefined ? `, ${formatTime(scan.firstTime)} to ${formatTime(scan.lastTime)} UTC` : "";
  out.push(`<p>${escapeHtml(`${scan.files.join(", ")}: ${scan.lines} lines (${formatBytes(scan.bytes)}), ${scan.records} records${range}`)}</p>`);
  const req = scan.requests;
  if (req && req.total > 0) {
    const statuses = Object.entries(req.byStatus).sort(([a], [b]) => a.localeCompare(b));
    out.push(`<h3>Requests</h3>`, `<table><thead><tr><th>status</th><th>count</th></tr></thead><tbody>`);
    for (const [k, v] of statuses) out.push(`<tr><td>${escapeHtml(k)}</td><td class="num">${v}</td></tr>`);
    out.push(`</tbody></table>`);
    if (req.slowest.length > 0) {
      out.push(`<h3>Slowest requests</h3>`, `<table><thead><tr><th>seconds</th><th>status</th><th>path</th><th>queries</th><th>SQL s</th><th>other s</th></tr></thead><tbody>`);
      for (const r of req.slowest.slice(0, 10)) {
        const total = r.totalSeconds ?? (r.sqlSeconds ?? 0) + (r.otherSeconds ?? 0);
        out.push(
          `<tr><td class="num">${total.toFixed(3)}</td><td class="num">${r.status}</td><td><code>${escapeHtml(r.path)}</code></td><td class="num">${r.queries ?? ""}</td><td class="num">${r.sqlSeconds?.toFixed(3) ?? ""}</td><td class="num">${r.otherSeconds?.toFixed(3) ?? ""}</td></tr>`,
        );
      }
      out.push(`</tbody></table>`);
    }
  }
  const errPaths = req?.errorPaths ?? [];
  if (errPaths.length > 0) {
    out.push(`<h3>HTTP 5xx by path</h3>`, `<table><thead><tr><th>path</th><th>5xx</th></tr></thead><tbody>`);
    for (const p of errPaths.slice(0, 20)) out.push(`<tr><td><code>${escapeHtml(p.path)}</code></td><td class="num">${p.count}</td></tr>`);
    out.push(`</tbody></table>`);
  }
  if (scan.failedLogins.length > 0) {
    out.push(`<h3>Failed logins</h3>`, `<table><thead><tr><th>source</th><th>count</th><th>logins</th><th>databases</th></tr></thead><tbody>`);
    for (const l of scan.failedLogins.slice(0, 50)) {
      out.push(`<tr><td>${escapeHtml(l.ip)}</td><td class="num">${l.count}</td><td>${escapeHtml(l.logins.join(", "))}</td><td>${escapeHtml(l.databases.join(", "))}</td></tr>`);
    }
    out.push(`</tbody></table>`);
  }
  out.push(`</section>`);
  return out;
}
