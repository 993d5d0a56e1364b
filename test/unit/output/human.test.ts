import { describe, expect, it } from "vitest";
import { renderHuman, summaryLine } from "../../../src/cli/output/human.js";
import { cleanReport, sampleReport } from "./sample-report.js";

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[\d+m/g;

describe("renderHuman", () => {
  it("GIVEN findings in several files WHEN rendering THEN each is `file:line:col  severity  rule  message` with aligned columns", () => {
    const out = renderHuman(sampleReport());
    const rows = out.split("\n").filter((l) => /^\S+\s{2,}(error|warning|info)\s+[a-z-]+\s{2}/.test(l) && !l.includes("Ignore comment"));
    expect(rows).toHaveLength(4);
    expect(rows[0]).toMatch(/^common\.yaml:30:12\s+warning\s+image-unpinned\s+Image postgres has no tag <latest> & will drift$/);
    // columns line up: severity and rule id start at the same offset on every row
    const sevCol = new Set(rows.map((r) => r.search(/(error|warning|info) /)));
    const idCol = new Set(rows.map((r) => r.search(/(image-unpinned|workers-zero|list-db-enabled|no-backup)/)));
    expect(sevCol.size).toBe(1);
    expect(idCol.size).toBe(1);
  });

  it("GIVEN a finding WHEN rendering THEN its fix follows, and its envs when not found in every env", () => {
    const lines = renderHuman(sampleReport()).split("\n");
    const i = lines.findIndex((l) => l.startsWith("odoo/custom/conf.d/20-workers.conf:2:1"));
    expect(lines[i + 1]).toBe("  fix: Fix for workers-zero.");
    expect(lines[i + 2]).toBe("  envs: prod");
    // image-unpinned (common.yaml) was found in all three envs: no env line
    const j = lines.findIndex((l) => l.startsWith("common.yaml:30:12"));
    expect(lines[j + 2]).toBe("");
  });

  it("GIVEN a finding of one env in that env's own compose file WHEN rendering THEN no env line repeats the file", () => {
    const lines = renderHuman(sampleReport()).split("\n");
    const i = lines.findIndex((l) => l.startsWith("prod.yaml:12:7"));
    expect(lines[i + 1]).toBe('  fix: Set LIST_DB: "false" on odoo.');
    expect(lines[i + 2]).not.toMatch(/envs:/);
  });

  it("GIVEN a multi-line fix WHEN rendering THEN its lines stay indented under fix:", () => {
    const r = sampleReport();
    const f = r.findings.find((x) => x.ruleId === "list-db-enabled");
    if (f) f.fix = "Add under `services.odoo`:\nhealthcheck:\n  interval: 30s\n";
    const out = renderHuman(r);
    expect(out).toContain("  fix: Add under `services.odoo`:\n       healthcheck:\n         interval: 30s\n");
  });

  it("GIVEN findings in different files WHEN rendering THEN groups are separated by a blank line", () => {
    const lines = renderHuman(sampleReport()).split("\n");
    const i = lines.findIndex((l) => l.startsWith("odoo/custom/conf.d/20-workers.conf"));
    expect(lines[i - 1]).toBe("");
  });

  it("GIVEN diagnostics and a crashed rule WHEN rendering THEN they come after the findings, then the summary", () => {
    const out = renderHuman(sampleReport());
    const diag = out.indexOf("prod.yaml:3:5  warning  env_file .docker/odoo.env is missing");
    const crash = out.indexOf("rule crashed  workers-zero (env test): boom <here>");
    const summary = out.indexOf("1 error, 2 warnings, 1 info (1 suppressed) in 3 environments (devel, test, prod)");
    expect(diag).toBeGreaterThan(out.indexOf("no-backup"));
    expect(crash).toBeGreaterThan(diag);
    expect(summary).toBeGreaterThan(crash);
    expect(out.endsWith("(devel, test, prod)\n")).toBe(true);
    expect(out).toContain('Ignore comment names unknown rule "not-a-rule"');
  });

  it("GIVEN showSuppressed WHEN rendering THEN suppressed findings are listed with how and why", () => {
    expect(renderHuman(sampleReport())).not.toContain("Suppressed:");
    const out = renderHuman(sampleReport(), { showSuppressed: true });
    expect(out).toMatch(/devel\.yaml:5:7\s+warning\s+secret-inline\s+PGPASSWORD is written in devel\.yaml \(inline: devel only\)/);
  });

  it("GIVEN color WHEN rendering THEN ANSI codes are used, and none without", () => {
    const plain = renderHuman(sampleReport());
    const colored = renderHuman(sampleReport(), { color: true });
    expect(plain).not.toMatch(ANSI);
    expect(colored).toContain("\u001b[31merror");
    expect(colored.replace(ANSI, "")).toBe(plain);
  });

  it("GIVEN no findings WHEN rendering THEN a tick line names the rule and env counts", () => {
    expect(renderHuman(cleanReport())).toBe("✓ No findings in /proj (2 rules, 2 environments)\n");
  });

  it("GIVEN one of each WHEN summarising THEN words agree with counts", () => {
    expect(summaryLine(sampleReport({ envs: ["prod"] }))).toBe("1 error, 2 warnings, 1 info in 1 environment (prod)");
    expect(summaryLine(sampleReport({ envs: ["devel"] }))).toBe("0 errors, 1 warning, 1 info (1 suppressed) in 1 environment (devel)");
  });
});
