import { describe, expect, it } from "vitest";
import { anchor, appliesText, renderRulesMarkdown, renderRulesTable } from "../../../src/check/docs.js";
import { allRules } from "../../../src/check/registry.js";
import type { Rule } from "../../../src/check/types.js";
import { envRule, projectRule } from "./fake-project.js";

const RULES: Rule[] = [
  projectRule("repos-unpinned", () => [], {
    category: "maintainability",
    severity: "warning",
    title: "repos.yaml merges | a branch",
    why: "A branch moves: two builds of the same commit get different code.",
    fix: "Pin each merge to a commit SHA.",
  }),
  envRule("list-db-enabled", () => [], {
    category: "security",
    severity: "error",
    title: "Database manager listing enabled",
    why: "Anyone who reaches /web/database/manager sees every database name.",
    fix: 'Set `LIST_DB: "false"` in prod.yaml.',
    appliesTo: { envs: ["prod"], odoo: ">=8" },
    example: 'services:\n  odoo:\n    environment:\n      LIST_DB: "true"\n',
  }),
  envRule("workers-zero", () => [], {
    category: "performance",
    severity: "warning",
    title: "Odoo runs threaded",
    why: "One process serves every request.",
    fix: "Set workers in conf.d.",
    appliesTo: { envs: ["any-non-devel"] },
    example: "[options]\nworkers = 0\n",
  }),
];

describe("renderRulesMarkdown", () => {
  const md = renderRulesMarkdown(RULES);

  it("GIVEN rules WHEN rendering THEN the summary table has one linked row per rule, by category then id", () => {
    const rows = md.split("\n").filter((l) => l.startsWith("| [`"));
    expect(rows).toEqual([
      "| [`list-db-enabled`](#list-db-enabled) | security | error | prod; Odoo >=8 | Database manager listing enabled |",
      "| [`workers-zero`](#workers-zero) | performance | warning | every env but devel | Odoo runs threaded |",
      "| [`repos-unpinned`](#repos-unpinned) | maintainability | warning | all | repos.yaml merges \\| a branch |",
    ]);
  });

  it("GIVEN rules WHEN rendering THEN each has a section headed by its id with why, fix, versions and envs", () => {
    const section = md.slice(md.indexOf("### list-db-enabled"), md.indexOf("## Performance"));
    expect(section).toContain("**Database manager listing enabled**");
    expect(section).toContain("- Severity: `error`");
    expect(section).toContain("- Environments: prod");
    expect(section).toContain("- Odoo versions: `>=8`");
    expect(section).toContain("Anyone who reaches /web/database/manager sees every database name.");
    expect(section).toContain('**How to fix:** Set `LIST_DB: "false"` in prod.yaml.');
    expect(section).toContain('```yaml\nservices:\n  odoo:\n    environment:\n      LIST_DB: "true"\n```');
    expect(md).toContain("```ini\n[options]\nworkers = 0\n```");
    expect(md.indexOf("## Security")).toBeLessThan(md.indexOf("## Performance"));
    expect(md.indexOf("## Performance")).toBeLessThan(md.indexOf("## Maintainability"));
  });

  it("GIVEN the same rules in another order WHEN rendering THEN the bytes are the same", () => {
    expect(renderRulesMarkdown([...RULES].reverse())).toBe(md);
    expect(md.startsWith("# doodba-ops check rules\n")).toBe(true);
    expect(md.endsWith("\n")).toBe(true);
  });

  it("GIVEN the real registry WHEN rendering THEN every rule has a section whose anchor is its id", () => {
    const real = renderRulesMarkdown(allRules);
    for (const r of allRules) {
      expect(real).toContain(`\n### ${r.id}\n`);
      expect(anchor(r.id)).toBe(r.id);
    }
  });
});

describe("renderRulesTable", () => {
  it("GIVEN rules WHEN listing THEN rows are aligned and sorted by id, with a count", () => {
    const out = renderRulesTable(RULES);
    const lines = out.split("\n");
    expect(lines[0]).toMatch(/^ID\s+CATEGORY\s+SEVERITY\s+APPLIES TO\s+TITLE$/);
    expect(lines.slice(1, 4).map((l) => l.split(/\s{2,}/)[0])).toEqual(["list-db-enabled", "repos-unpinned", "workers-zero"]);
    const titleCol = new Set(lines.slice(0, 4).map((l) => l.search(/(TITLE|Database|repos\.yaml|Odoo runs)/)));
    expect(titleCol.size).toBe(1);
    expect(out).toContain("3 rules.");
  });

  it("GIVEN color WHEN listing THEN severities are coloured; without, no escape codes", () => {
    expect(renderRulesTable(RULES)).not.toContain("\u001b[");
    expect(renderRulesTable(RULES, { color: true })).toContain("\u001b[31merror");
  });

  it("appliesText summarises envs and versions", () => {
    expect(appliesText({ appliesTo: {} })).toBe("all");
    expect(appliesText({ appliesTo: { odoo: "<16" } })).toBe("Odoo <16");
    expect(appliesText({ appliesTo: { envs: ["prod", "test"], odoo: ">=16" } })).toBe("prod, test; Odoo >=16");
  });
});
