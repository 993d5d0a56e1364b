/**
 * The doctor report renderers (human, json, markdown, html) on a report built from a REAL Odoo 17
 * log (websocket-not-routed.log) scanned by the real scanner, plus a hostile log line: ranking,
 * evidence and fix in every format, escaping of untrusted text, the inline SVG timeline, and
 * byte-for-byte deterministic output.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import MarkdownIt from "markdown-it";
import { describe, expect, it } from "vitest";
import { findingsFromScan } from "../../../src/doctor/findings.js";
import { buildTimeline, escapeMarkdown, fencedBlock, inlineHtml, inlineMarkdown, rankFindings, renderDoctorReport, timelineSvg } from "../../../src/doctor/report/index.js";
import { scanText } from "../../../src/doctor/scan/index.js";
import type { DoctorFinding, DoctorReport, ScanResult } from "../../../src/doctor/types.js";
import { ODOO17 } from "../../helpers/project.js";

const REAL_LOG = readFileSync(join(ODOO17, "logs", "websocket-not-routed.log"), "utf8");
const HOSTILE = [
  `2026-11-27 02:30:00,000 11643 ERROR acme odoo.http: Exception during request handling. <script>alert("x")</script> [click](javascript:alert(1)) | pipe`,
  "Traceback (most recent call last):",
  '  File "/opt/odoo/src/odoo/http.py", line 2189, in __call__',
  "```",
  "ValueError: <img src=x onerror=alert(1)> ``` </pre> ]]>",
].join("\n");

function realReport(): DoctorReport {
  const scan = scanText(`${REAL_LOG}\n${HOSTILE}\n`, "odoo.log");
  const findings: DoctorFinding[] = [
    ...findingsFromScan(scan),
    {
      id: "container-oom-killed",
      severity: "critical",
      title: "Container acme-odoo-1 was killed for memory <b>(OOM)</b>",
      evidence: ["acme-odoo-1 (service odoo): State.OOMKilled = true"],
      cause: "workers × limit_memory_hard above the container limit",
      fix: "Lower `workers` or raise `mem_limit`",
      origin: "probe",
    },
    { id: "pg-lock-chain", severity: "error", title: "Session 42 blocks 3 other sessions", evidence: ["blocker: pid 42 idle in transaction: UPDATE res_partner SET name = '<script>'", "traceback:\nTraceback (most recent call last):\n```\nValueError: <img src=x onerror=alert(1)> ``` </pre> ]]>"], cause: "c", fix: "SELECT pg_terminate_backend(42);", origin: "probe", count: 3 },
  ];
  return {
    tool: { name: "doodba-ops", version: "0.1.0" },
    target: { project: "/srv/acme", env: "prod", composeProject: "acme", db: "postgres://odoo:***@127.0.0.1:5432/prod", url: "https://erp.acme.example", since: "1h" },
    at: "2026-11-27T03:00:00.000Z",
    findings,
    probes: [
      { id: "docker-engine", title: "Docker engine", status: "ok", detail: "Docker Engine 28.2.2 at unix:///var/run/docker.sock (local)" },
      { id: "postgres", title: "PostgreSQL server", status: "skipped", detail: "cannot connect to postgres://odoo:***@127.0.0.1:5432/prod: connect ECONNREFUSED <script>" },
      { id: "pg-locks", title: "PostgreSQL blocking lock chains", status: "problem", detail: "1 session waiting on locks" },
    ],
    scan,
  };
}

describe("doctor report renderers", () => {
  const report = realReport();

  it("GIVEN findings of every origin THEN they are ranked most severe first, then most frequent, with a stable tie-break", () => {
    const ranked = rankFindings(report.findings);
    expect(ranked[0]?.id).toBe("container-oom-killed");
    const sev = ranked.map((f) => ["critical", "error", "warning", "info"].indexOf(f.severity));
    expect([...sev].sort((a, b) => a - b)).toEqual(sev);
    const errors = ranked.filter((f) => f.severity === "error");
    const counts = errors.map((f) => f.count ?? 1);
    expect([...counts].sort((a, b) => b - a)).toEqual(counts);
    // the real log's cause is recognised and ranked among the errors
    expect(errors.map((f) => f.id)).toContain("websocket-not-routed");
    expect(rankFindings([...report.findings].reverse())).toEqual(ranked);
  });

  it("human: findings with evidence, cause and fix, the probes table, the log statistics and a sparkline", () => {
    const out = renderDoctorReport(report, "human");
    expect(out).toMatch(/^doodba-ops doctor: \/srv\/acme, environment prod \(compose project acme\)/);
    expect(out).toMatch(/1\. critical container-oom-killed/);
    expect(out).toMatch(/evidence: .*OOMKilled/);
    expect(out).toMatch(/fix: +Lower `workers`/);
    expect(out).toContain("websocket-not-routed");
    expect(out).toMatch(/ok {7}docker-engine +Docker Engine 28\.2\.2/);
    expect(out).toMatch(/skipped {2}postgres +cannot connect/);
    expect(out).toMatch(/errors per minute: \|.+\| 2026-11-27 02:0\d/);
    expect(out).toMatch(/requests: \d+ \(/);
    expect(out).toMatch(/1 critical, \d+ errors?, \d+ warnings?, \d+ info; 3 probes: 1 ok, 1 problem, 1 skipped/);
    expect(out).toContain("Skipped probes were not verified");
    expect(out).not.toContain("\u001b[");
    expect(renderDoctorReport(report, "human", { color: true })).toContain("\u001b[31m");
  });

  it("json: the whole report, ranked findings, a summary, keys sorted", () => {
    const out = renderDoctorReport(report, "json");
    const doc = JSON.parse(out) as DoctorReport & { summary: { findings: Record<string, number>; probes: Record<string, number> } };
    expect(doc.findings.map((f) => f.id)).toEqual(rankFindings(report.findings).map((f) => f.id));
    expect(doc.summary.probes).toEqual({ ok: 1, problem: 1, skipped: 1 });
    expect(doc.summary.findings.critical).toBe(1);
    expect(doc.scan?.lines).toBe(report.scan?.lines);
    expect(Object.keys(JSON.parse(out) as object)).toEqual(["at", "findings", "probes", "scan", "summary", "target", "tool"]);
  });

  it("markdown: headings per finding, a probes table, the timeline table; a CommonMark renderer shows <script> as text, never as markup", () => {
    const out = renderDoctorReport(report, "markdown");
    expect(out).toMatch(/^# doodba-ops doctor: /);
    expect(out).toMatch(/### 1\. CRITICAL: Container acme-odoo-1 was killed for memory &lt;b&gt;\(OOM\)&lt;\/b&gt;/);
    expect(out).toContain("| status | probe | detail |");
    expect(out).toMatch(/### Errors per minute/);
    // a real renderer, with raw HTML allowed as GitHub and GitLab do
    const html = new MarkdownIt({ html: true }).render(out);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toMatch(/<b>\(OOM\)/);
    expect(html).not.toMatch(/href="javascript:/i);
    expect(html).toContain("&lt;script&gt;");
    // the hostile traceback with ``` inside stays in its own code block
    expect(html).toMatch(/<pre><code[^>]*>[^]*ValueError: &lt;img src=x onerror=alert\(1\)&gt; ``` &lt;\/pre&gt;/);
    // every probe row keeps its 3 cells
    const probeRows = out.split("\n").filter((l) => /^\| (✅|❌|⏭️) /.test(l));
    expect(probeRows).toHaveLength(3);
    for (const row of probeRows) expect(row.replace(/\\\|/g, "").split("|")).toHaveLength(5);
  });

  it("html: one self-contained file (inline CSS, no script, no external asset), the SVG timeline, everything escaped", () => {
    const out = renderDoctorReport(report, "html");
    expect(out.startsWith("<!DOCTYPE html>")).toBe(true);
    expect(out).toMatch(/<style>[^<]+<\/style>/);
    expect(out).toContain("Content-Security-Policy");
    expect(out).not.toMatch(/<script/i);
    expect(out).not.toMatch(/<img/i);
    expect(out).not.toMatch(/<link\b|src=["']?https?:|href=["']?https?:|url\(/i);
    expect(out).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(out).toContain("&lt;b&gt;(OOM)&lt;/b&gt;");
    expect(out).toMatch(/<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*class="timeline"/);
    expect(out).toMatch(/<rect [^>]*fill="#d9534f"><title>2026-11-27 02:\d\d UTC: \d+ log errors?, \d+ HTTP 5xx<\/title><\/rect>/);
    expect(out).toMatch(/<h2>Errors per minute<\/h2>/);
    // findings in rank order
    const order = [...out.matchAll(/<article class="finding (\w+)">/g)].map((m) => m[1]);
    expect(order[0]).toBe("critical");
  });

  it("every format is deterministic: the same report renders to the same bytes", () => {
    for (const f of ["human", "json", "markdown", "html"] as const) {
      expect(renderDoctorReport(realReport(), f)).toBe(renderDoctorReport(realReport(), f));
    }
  });

  it("GIVEN no finding and only skipped live probes THEN no format claims the deployment is healthy", () => {
    const empty: DoctorReport = {
      tool: { name: "doodba-ops", version: "0.1.0" },
      target: { project: "/srv/acme", env: "prod" },
      findings: [],
      probes: [
        { id: "docker-engine", title: "Docker engine", status: "skipped", detail: "no Docker engine answers" },
        { id: "check", title: "check", status: "ok", detail: "50 rules" },
      ],
    };
    for (const f of ["human", "markdown", "html"] as const) {
      const out = renderDoctorReport(empty, f);
      expect(out).toMatch(/no live probe could run/);
      expect(out).not.toMatch(/No problem found/);
    }
    expect(renderDoctorReport(empty, "html")).toContain("No logs were scanned");
  });
});

describe("timeline", () => {
  const at = (h: number, m: number): number => Date.UTC(2026, 10, 27, h, m);
  const scan = (errors: Record<string, number>, http: Record<string, number> = {}): ScanResult => ({
    files: ["x"],
    lines: 0,
    bytes: 0,
    records: 0,
    hits: [],
    failedLogins: [],
    requests: { total: 0, byStatus: {}, slowest: [], errorsPerMinute: http },
    errorTimeline: errors,
  });

  it("GIVEN errors over a few minutes THEN one bucket per minute, gaps included, both series", () => {
    const t = buildTimeline(scan({ [at(2, 0)]: 2, [at(2, 3)]: 5 }, { [at(2, 1)]: 1 }));
    expect(t?.bucketMinutes).toBe(1);
    expect(t?.buckets.map((b) => [b.errors, b.http5xx])).toEqual([[2, 0], [0, 1], [0, 0], [5, 0]]);
    expect(t?.max).toBe(5);
    expect(t?.totalErrors).toBe(7);
    expect(t?.total5xx).toBe(1);
  });

  it("GIVEN errors over two days THEN wider buckets keep the chart readable (at most 120 bars) and no error is lost", () => {
    const errors: Record<string, number> = {};
    for (let i = 0; i < 2 * 24 * 60; i += 7) errors[String(at(0, 0) + i * 60_000)] = 1;
    const t = buildTimeline(scan(errors));
    expect(t && t.buckets.length).toBeLessThanOrEqual(120);
    expect(t?.bucketMinutes).toBeGreaterThan(1);
    expect(t?.buckets.reduce((s, b) => s + b.errors, 0)).toBe(Object.keys(errors).length);
  });

  it("GIVEN no error THEN no timeline; the SVG escapes its labels", () => {
    expect(buildTimeline(scan({}))).toBeUndefined();
    const t = buildTimeline(scan({ [at(2, 0)]: 1 }));
    expect(t).toBeDefined();
    if (t) expect(timelineSvg(t)).toMatch(/^<svg [^]*<\/svg>$/);
  });
});

describe("escaping", () => {
  it("inline Markdown cannot open links, emphasis, code, HTML, tables or lists", () => {
    expect(escapeMarkdown("<b>x</b> [a](b) *c* `d` | e")).toBe("&lt;b&gt;x&lt;/b&gt; \\[a\\](b) \\*c\\* \\`d\\` \\| e");
    expect(escapeMarkdown("# not a heading")).toBe("\\# not a heading");
    expect(escapeMarkdown("1. not a list")).toBe("1\\. not a list");
    expect(escapeMarkdown("limit_time_real _emph_")).toBe("limit_time_real \\_emph\\_");
    expect(escapeMarkdown("a\nb")).toBe("a b");
  });

  it("`code spans` of a text stay code (content literal), the rest is escaped; hostile content inside a span is still inert", () => {
    const text = "Set `limit_time_real = 1200` in conf.d; app `<script>alert(1)</script>` left a <b>lock</b> and a stray ` here";
    const md = inlineMarkdown(text);
    expect(md).toBe("Set `limit_time_real = 1200` in conf.d; app `<script>alert(1)</script>` left a &lt;b&gt;lock&lt;/b&gt; and a stray \\` here");
    const rendered = new MarkdownIt({ html: true }).renderInline(md);
    expect(rendered).toBe("Set <code>limit_time_real = 1200</code> in conf.d; app <code>&lt;script&gt;alert(1)&lt;/script&gt;</code> left a &lt;b&gt;lock&lt;/b&gt; and a stray ` here");
    expect(inlineHtml(text)).toBe("Set <code>limit_time_real = 1200</code> in conf.d; app <code>&lt;script&gt;alert(1)&lt;/script&gt;</code> left a &lt;b&gt;lock&lt;/b&gt; and a stray ` here");
  });

  it("a fence is longer than any backtick run of its content", () => {
    expect(fencedBlock("a ```` b")).toBe("`````text\na ```` b\n`````");
    expect(fencedBlock("plain\n")).toBe("```text\nplain\n```");
  });
});
