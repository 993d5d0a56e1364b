/**
 * The rule fixture harness: every rule in the registry has test/fixtures/rules/<id>.yaml with a
 * failing and a passing project. Each case is written to a temp dir, loaded with the real loader,
 * and only that rule runs. GIVEN the failing project THEN the rule reports the expected findings
 * (file + line); GIVEN the passing project THEN it reports none.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { allRules } from "../../../src/check/registry.js";
import type { RawFinding, Rule } from "../../../src/check/types.js";
import { cleanupProjects, loadFiles, REPO_ROOT } from "../../helpers/project.js";

interface FixtureCase {
  env?: string;
  files: Record<string, string>;
  expect?: { file: string; line: number; message?: string }[];
}

const NOW = new Date("2026-11-27T00:00:00Z");

function runRule(rule: Rule, c: FixtureCase): RawFinding[] {
  const project = loadFiles(c.files);
  const ctx = { project, now: NOW };
  if (rule.scope === "project") return rule.check(ctx);
  const envName = c.env ?? "prod";
  const env = project.envs[envName];
  if (!env) throw new Error(`fixture env ${envName} not found; envs: ${project.envNames.join(", ")}`);
  return rule.check(env, ctx);
}

afterAll(() => cleanupProjects());

describe("rule registry", () => {
  it("has at least 40 rules with unique kebab-case ids and complete metadata", () => {
    expect(allRules.length).toBeGreaterThanOrEqual(40);
    const ids = new Set<string>();
    for (const r of allRules) {
      expect(r.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(ids.has(r.id), `duplicate id ${r.id}`).toBe(false);
      ids.add(r.id);
      expect(r.title.length, r.id).toBeGreaterThan(5);
      expect(r.why.length, r.id).toBeGreaterThan(20);
      expect(r.fix.length, r.id).toBeGreaterThan(10);
      expect(["security", "reliability", "performance", "maintainability"]).toContain(r.category);
      expect(["error", "warning", "info"]).toContain(r.severity);
    }
  });
});

describe.each(allRules.map((r) => [r.id, r] as const))("rule %s", (id, rule) => {
  const path = join(REPO_ROOT, "test", "fixtures", "rules", `${id}.yaml`);
  it("has a fixture file", () => {
    expect(existsSync(path), `missing ${path}`).toBe(true);
  });
  if (!existsSync(path)) return;
  const fixture = parse(readFileSync(path, "utf8")) as Record<string, FixtureCase>;
  const cases = Object.entries(fixture).filter(([k]) => /^(fail|pass)\d*$/.test(k));
  it("has at least one failing and one passing case", () => {
    expect(cases.some(([k]) => k.startsWith("fail"))).toBe(true);
    expect(cases.some(([k]) => k.startsWith("pass"))).toBe(true);
  });
  for (const [name, c] of cases) {
    if (name.startsWith("fail")) {
      it(`${name}: reports the expected findings`, () => {
        const findings = runRule(rule, c);
        expect(findings.length, `no finding for ${name}`).toBeGreaterThan(0);
        for (const f of findings) {
          expect(f.message.length).toBeGreaterThan(10);
        }
        for (const e of c.expect ?? []) {
          const hit = findings.find((f) => f.pos?.file === e.file && f.pos.line === e.line);
          expect(hit, `expected a finding at ${e.file}:${e.line}; got ${findings.map((f) => `${f.pos?.file}:${f.pos?.line}`).join(", ")}`).toBeDefined();
          if (e.message) expect(hit?.message).toContain(e.message);
        }
      });
    } else {
      it(`${name}: reports nothing`, () => {
        const findings = runRule(rule, c);
        expect(findings.map((f) => `${f.pos?.file}:${f.pos?.line} ${f.message}`)).toEqual([]);
      });
    }
  }
});
