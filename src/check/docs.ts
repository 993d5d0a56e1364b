/**
 * Rule documentation generated from the registry: `docs/rules.md` (`npm run docs:rules`) and the
 * `doodba-ops rules` listing. Deterministic: the same rules give the same bytes.
 */
import { cmp } from "./engine.js";
import type { Category, Rule } from "./types.js";

export const CATEGORY_ORDER: readonly Category[] = ["security", "reliability", "performance", "maintainability"];

const CATEGORY_TITLE: Record<Category, string> = {
  security: "Security",
  reliability: "Reliability",
  performance: "Performance",
  maintainability: "Maintainability",
};

const ENV_TEXT: Record<string, string> = {
  prod: "prod",
  test: "test",
  devel: "devel",
  "any-non-devel": "every env but devel",
};

/** Rules grouped by category (in {@link CATEGORY_ORDER}), each group sorted by id. */
export function sortRules(rules: readonly Rule[]): Rule[] {
  const rank = (c: Category): number => {
    const i = CATEGORY_ORDER.indexOf(c);
    return i < 0 ? CATEGORY_ORDER.length : i;
  };
  return [...rules].sort((a, b) => rank(a.category) - rank(b.category) || cmp(a.category, b.category) || cmp(a.id, b.id));
}

/** "prod, test" / "all" for the environments a rule runs in. */
export function envsText(rule: Pick<Rule, "appliesTo">): string {
  const envs = rule.appliesTo.envs;
  if (!envs || envs.length === 0) return "all";
  return envs.map((e) => ENV_TEXT[e] ?? e).join(", ");
}

/** "Odoo >=16" / "all" for the Odoo versions a rule runs on. */
export function odooText(rule: Pick<Rule, "appliesTo">): string {
  return rule.appliesTo.odoo ? `Odoo ${rule.appliesTo.odoo}` : "all";
}

/** Short "applies to" cell: "prod; Odoo >=16", "all". */
export function appliesText(rule: Pick<Rule, "appliesTo">): string {
  const parts: string[] = [];
  if (rule.appliesTo.envs && rule.appliesTo.envs.length > 0) parts.push(envsText(rule));
  if (rule.appliesTo.odoo) parts.push(odooText(rule));
  return parts.length > 0 ? parts.join("; ") : "all";
}

/** The whole of docs/rules.md. */
export function renderRulesMarkdown(rules: readonly Rule[]): string {
  const sorted = sortRules(rules);
  const out: string[] = [];
  out.push(
    "# doodba-ops check rules",
    "",
    "<!-- Generated from the rule registry by `npm run docs:rules`. Do not edit by hand. -->",
    "",
    `\`doodba-ops check\` runs ${sorted.length} rule${sorted.length === 1 ? "" : "s"} over the environments of a Doodba project ` +
      "(one per root compose file: `devel.yaml`, `test.yaml`, `prod.yaml`...). Each finding names the file, line and " +
      "column it is about, why it matters and how to fix it.",
    "",
    "- **Severity**: `error` (will hurt: data loss, a hole, an outage), `warning` (likely to hurt), `info` (worth knowing). " +
      "`check` exits 1 when a finding reaches `--fail-on` (default `error`).",
    "- **Environments**: `prod` matches environments whose name contains `prod` (`prod`, `egov-prod`, `production`); " +
      "`test` matches `test`, `staging`, `qa`...; `devel` matches `devel`, `dev`, `local`.",
    "- **Configure** in `.doodba-ops.yaml`: `check.rules.<id>: off | info | warning | error`, or path-scoped " +
      "`check.ignore` entries.",
    "- **Suppress one finding** with a comment on its line or the line above: `# doodba-ops: ignore[<id>] -- reason` " +
      "(`; doodba-ops: ignore[<id>]` in `.conf` files); `# doodba-ops: ignore-file[<id>]` covers the whole file.",
    "",
    "## Summary",
    "",
    "| Rule | Category | Severity | Applies to | Title |",
    "| --- | --- | --- | --- | --- |",
  );
  for (const r of sorted) {
    out.push(`| [\`${r.id}\`](#${anchor(r.id)}) | ${r.category} | ${r.severity} | ${cell(appliesText(r))} | ${cell(r.title)} |`);
  }

  let category: Category | undefined;
  for (const r of sorted) {
    if (r.category !== category) {
      category = r.category;
      out.push("", `## ${CATEGORY_TITLE[r.category] ?? r.category}`);
    }
    out.push(
      "",
      `### ${r.id}`,
      "",
      `**${oneLine(r.title)}**`,
      "",
      `- Severity: \`${r.severity}\``,
      `- Environments: ${envsText(r)}`,
      `- Odoo versions: ${r.appliesTo.odoo ? `\`${r.appliesTo.odoo}\`` : "all"}`,
      `- Checks: ${r.scope === "env" ? "each environment" : "the project once"}`,
      "",
      r.why.trim(),
      "",
      `**How to fix:** ${r.fix.trim()}`,
    );
    if (r.example && r.example.trim().length > 0) {
      const fence = fenceFor(r.example);
      out.push("", "Fails:", "", `${fence}${exampleLang(r.example)}`, r.example.replace(/\s+$/, ""), fence);
    }
  }
  out.push("");
  return out.join("\n");
}

export interface RulesTableOptions {
  /** ANSI colours. @default false */
  color?: boolean;
}

/** The `doodba-ops rules` listing: one aligned row per rule, sorted by id. */
export function renderRulesTable(rules: readonly Rule[], opts: RulesTableOptions = {}): string {
  const sorted = [...rules].sort((a, b) => cmp(a.id, b.id));
  const header = ["ID", "CATEGORY", "SEVERITY", "APPLIES TO", "TITLE"];
  const rows = sorted.map((r) => [r.id, r.category, r.severity, appliesText(r), oneLine(r.title)]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? "").length)));
  const color = opts.color ?? false;
  const paint = (sev: string, padded: string): string => {
    if (!color) return padded;
    const code = sev === "error" ? 31 : sev === "warning" ? 33 : 36;
    return `\u001b[${code}m${padded}\u001b[39m`;
  };
  const line = (row: string[], isHeader: boolean): string =>
    row
      .map((c, i) => {
        const padded = i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0);
        if (isHeader) return color ? `\u001b[1m${padded}\u001b[22m` : padded;
        return i === 2 ? paint(c, padded) : padded;
      })
      .join("  ")
      .trimEnd();
  const out = [line(header, true), ...rows.map((r) => line(r, false))];
  out.push("", `${sorted.length} rule${sorted.length === 1 ? "" : "s"}. Details: docs/rules.md, or \`doodba-ops rules --format markdown\`.`);
  return `${out.join("\n")}\n`;
}

/** GitHub's heading anchor for a rule id (ids are already lowercase kebab-case). */
export function anchor(id: string): string {
  return id
    .toLowerCase()
    .replace(/[^a-z0-9 _-]/g, "")
    .replace(/ /g, "-");
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, " ").trim();
}

function cell(s: string): string {
  return oneLine(s).replace(/\|/g, "\\|");
}

function fenceFor(body: string): string {
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((m) => m.length));
  return "`".repeat(Math.max(3, longest + 1));
}

function exampleLang(example: string): string {
  if (/^\s*\[[\w.-]+\]\s*$/m.test(example) && /^\s*[\w.-]+\s*=/m.test(example)) return "ini";
  if (/^\s*(FROM|ARG|RUN)\s/m.test(example)) return "dockerfile";
  if (/^\s*(server|location|upstream)\b.*\{/m.test(example)) return "nginx";
  return "yaml";
}
