/**
 * Documentation generated from the catalog: docs/doctor-signatures.md (and
 * `doodba-ops doctor signatures`). Deterministic: the same catalog gives the same bytes.
 */
import type { Signature, SignatureCategory } from "../types.js";

export const CATEGORY_ORDER: readonly SignatureCategory[] = ["workers", "server", "cron", "postgresql", "database", "modules", "reports", "mail", "filesystem", "proxy", "security"];

const CATEGORY_TITLE: Record<SignatureCategory, string> = {
  workers: "Workers (prefork limits)",
  server: "Odoo server",
  cron: "Scheduled actions (cron)",
  postgresql: "PostgreSQL",
  database: "Databases and dbfilter",
  modules: "Modules and addons",
  reports: "Reports (wkhtmltopdf)",
  mail: "Mail",
  filesystem: "Filesystem and filestore",
  proxy: "Proxy and websocket",
  security: "Security",
};

const SEVERITY_ORDER = ["critical", "error", "warning", "info"];

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function rank(c: SignatureCategory | undefined): number {
  const i = c ? CATEGORY_ORDER.indexOf(c) : -1;
  return i < 0 ? CATEGORY_ORDER.length : i;
}

/** Grouped by category (in {@link CATEGORY_ORDER}), then sorted by id. */
export function sortSignatures(sigs: readonly Signature[]): Signature[] {
  return [...sigs].sort((a, b) => rank(a.category) - rank(b.category) || cmp(a.id, b.id));
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

function cell(s: string): string {
  return oneLine(s).replace(/\|/g, "\\|");
}

function fence(body: string): string {
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((m) => m.length));
  return "`".repeat(Math.max(3, longest + 1));
}

/** The whole of docs/doctor-signatures.md. */
export function renderSignaturesMarkdown(sigs: readonly Signature[]): string {
  const sorted = sortSignatures(sigs);
  const out: string[] = [
    "# doodba-ops doctor: log signatures",
    "",
    "<!-- Generated from src/doctor/signatures by `doodba-ops doctor signatures --format markdown` (or `UPDATE_GOLDEN=1 npx vitest run test/unit/doctor/signatures-docs.test.ts`). Do not edit by hand. -->",
    "",
    `\`doodba-ops doctor logs\` recognises ${sorted.length} known failure patterns of Odoo (14 to 18), PostgreSQL and nginx ` +
      "in server logs, and reports each with what it means, the likely cause and the fix. Each signature is tested against " +
      "the first line of a record (only for the levels and loggers it names; without either, at WARNING and above) and against " +
      "the exception lines of its traceback.",
    "",
    "- **Severity**: `critical` (the service or part of it is down), `error` (requests or jobs fail), `warning` (degraded or about to fail), `info` (worth knowing).",
    "- **Fallback** signatures (generic \"exception during request handling\") count only the records no specific signature explained.",
    "- Lines that are ERROR or CRITICAL but match no signature are grouped in the report as *unrecognised errors*, by their exception line.",
    "",
    "## Summary",
    "",
    "| Signature | Category | Severity | Odoo | Title |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const s of sorted) out.push(`| [\`${s.id}\`](#${s.id}) | ${s.category ?? ""} | ${s.severity} | ${s.odoo ?? "all"} | ${cell(s.title)} |`);
  let category: SignatureCategory | undefined;
  for (const s of sorted) {
    if (s.category !== category) {
      category = s.category;
      out.push("", `## ${category ? CATEGORY_TITLE[category] : "Other"}`);
    }
    out.push("", `### ${s.id}`, "", `**${oneLine(s.title)}**`, "");
    out.push(`- Severity: \`${s.severity}\`${s.fallback ? " (fallback)" : ""}`);
    out.push(`- Odoo versions: ${s.odoo ? `\`${s.odoo}\`` : "all (14-18)"}`);
    const scope: string[] = [];
    if (s.levels && s.levels.length > 0) scope.push(`levels ${s.levels.join(", ")}`);
    if (s.loggers && s.loggers.length > 0) scope.push(`loggers ${s.loggers.map((l) => `\`${l}\``).join(", ")}`);
    out.push(`- Tested on: ${scope.length > 0 ? scope.join("; ") : "records at WARNING and above"}, and traceback lines`);
    if (s.source) out.push(`- Source: ${s.source}`);
    out.push("- Patterns:");
    for (const p of s.patterns) out.push(`  - \`${p.source.replace(/`/g, "\\`")}\`${p.flags ? ` (${p.flags})` : ""}`);
    if (s.exclude && s.exclude.length > 0) out.push(`- Not counted when: ${s.exclude.map((p) => `\`${p.source}\``).join(", ")}`);
    out.push("", `**What it means:** ${s.meaning.trim()}`, "", `**Likely cause:** ${s.cause.trim()}`, "", `**Fix:** ${s.fix.trim()}`);
    if (s.example) {
      const f = fence(s.example);
      out.push("", "Example:", "", `${f}text`, s.example, f);
    }
  }
  out.push("");
  return out.join("\n");
}

/** A compact listing (id, category, severity, title), one line each, sorted like the docs. */
export function renderSignaturesTable(sigs: readonly Signature[]): string {
  const sorted = sortSignatures(sigs);
  const rows = sorted.map((s) => [s.id, s.category ?? "", s.severity, oneLine(s.title)]);
  const header = ["ID", "CATEGORY", "SEVERITY", "TITLE"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ");
  const bySeverity = SEVERITY_ORDER.map((sev) => `${sorted.filter((s) => s.severity === sev).length} ${sev}`).join(", ");
  return `${[line(header), ...rows.map(line)].join("\n")}\n\n${sorted.length} signatures (${bySeverity}). Details: docs/doctor-signatures.md.\n`;
}
