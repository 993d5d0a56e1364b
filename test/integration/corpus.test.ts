/**
 * Real public Doodba projects (../shared/corpus/doodba-projects): every project is loaded for
 * every environment it has and checked with every rule. No internal error and no rule crash is
 * allowed; a genuinely broken project must fail with a UserError that names file:line. The
 * findings of each project are kept as a golden file (reviewed by a human) in
 * test/golden/corpus/<project>.txt; refresh with UPDATE_GOLDEN=1 after reviewing the diff.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCheck } from "../../src/check/index.js";
import { formatPos, UserError } from "../../src/errors.js";
import { nodePlatform } from "../../src/platform/index.js";
import { CORPUS, REPO_ROOT } from "../helpers/project.js";

const NOW = new Date("2026-11-27T00:00:00Z");
const projects = existsSync(CORPUS)
  ? readdirSync(CORPUS, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()
  : [];

function summarise(name: string): string {
  const platform = { ...nodePlatform(), environ: {} };
  try {
    const report = runCheck(platform, { dir: join(CORPUS, name), now: NOW, noConfig: true, failOn: "never" });
    expect(report.ruleErrors, `rule crashed on ${name}`).toEqual([]);
    const lines = [`# ${name}: odoo ${report.project.odooVersion ?? "?"}, envs: ${report.project.envs.join(", ") || "(none)"}`];
    for (const f of report.findings) {
      lines.push(`${f.severity.padEnd(7)} ${f.ruleId.padEnd(32)} ${formatPos(f.pos) || "-"} [${(f.envs ?? (f.env ? [f.env] : [])).join(",")}] ${f.message}`);
    }
    for (const d of report.diagnostics.filter((x) => x.level === "warning")) lines.push(`diag    ${formatPos(d.pos) || "-"} ${d.message}`);
    return lines.join("\n") + "\n";
  } catch (e) {
    if (e instanceof UserError) return `# ${name}: user error\n${formatPos(e.pos)} ${e.message}\n`;
    throw e;
  }
}

describe("real Doodba projects (corpus)", () => {
  it("the corpus is present", () => {
    expect(projects.length).toBeGreaterThanOrEqual(12);
  });
  it.each(projects)("%s: checks without internal error and matches its golden findings", (name) => {
    const out = summarise(name);
    const golden = join(REPO_ROOT, "test", "golden", "corpus", `${name}.txt`);
    if (process.env.UPDATE_GOLDEN || !existsSync(golden)) {
      writeFileSync(golden, out);
      if (!process.env.UPDATE_GOLDEN) throw new Error(`golden file ${golden} was missing; written, review it`);
    }
    expect(out).toBe(readFileSync(golden, "utf8"));
  });
});
