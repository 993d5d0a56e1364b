/**
 * `--format junit`: JUnit XML for CI test-report views (GitLab, Jenkins, Azure DevOps).
 *
 * One `<testsuite>` per checked environment, plus one named `project` for project-level rules;
 * one `<testcase>` per rule that ran there; a `<failure>` per finding at or above the fail-on
 * threshold; findings below it and suppressed findings go to the testcase's `<system-out>`; a
 * rule that crashed gets an `<error>`. `failures`/`errors` count testcases (a testcase with two
 * failing findings is one failed test), as JUnit consumers expect.
 */
import { formatPos } from "../../errors.js";
import { failsAt } from "../../check/index.js";
import type { CheckReport, ReportRule, RuleError } from "../../check/index.js";
import type { Finding } from "../../check/types.js";
import { findingEnvs, findingFile } from "./common.js";

export const PROJECT_SUITE = "project";

interface Case {
  rule: ReportRule | { id: string; category: string };
  failures: Finding[];
  output: string[];
  errors: RuleError[];
}

export function renderJunit(report: CheckReport, _opts: Record<string, never> = {}): string {
  const suites = new Map<string, Map<string, Case>>();
  const suite = (name: string): Map<string, Case> => {
    let s = suites.get(name);
    if (!s) {
      s = new Map();
      suites.set(name, s);
    }
    return s;
  };
  for (const env of report.project.envs) suite(env);

  for (const r of report.rules) {
    const names = r.scope === "project" ? [PROJECT_SUITE] : r.envs;
    for (const n of names) suite(n).set(r.id, { rule: r, failures: [], output: [], errors: [] });
  }
  const caseFor = (suiteName: string, f: { ruleId: string; category?: string }): Case => {
    const s = suite(suiteName);
    let c = s.get(f.ruleId);
    if (!c) {
      c = { rule: { id: f.ruleId, category: f.category ?? "" }, failures: [], output: [], errors: [] };
      s.set(f.ruleId, c);
    }
    return c;
  };
  const suitesOf = (f: Finding): string[] => {
    const envs = findingEnvs(f);
    return envs.length > 0 ? envs : [PROJECT_SUITE];
  };

  for (const f of report.findings) {
    for (const n of suitesOf(f)) {
      const c = caseFor(n, f);
      if (failsAt(f.severity, report.failOn)) c.failures.push(f);
      else c.output.push(`${f.severity}: ${describe(report, f)}`);
    }
  }
  for (const s of report.suppressed) {
    for (const n of suitesOf(s.finding)) {
      caseFor(n, s.finding).output.push(
        `suppressed (${s.by}${s.reason ? `: ${s.reason}` : ""}) ${s.finding.severity}: ${describe(report, s.finding)}`,
      );
    }
  }
  for (const e of report.ruleErrors) caseFor(e.env ?? PROJECT_SUITE, { ruleId: e.ruleId }).errors.push(e);

  let totalTests = 0;
  let totalFailures = 0;
  let totalErrors = 0;
  const body: string[] = [];
  const order = [...report.project.envs, ...[...suites.keys()].filter((k) => !report.project.envs.includes(k)).sort()];
  for (const name of order) {
    const cases = [...(suites.get(name)?.values() ?? [])].sort((a, b) => (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : 0));
    if (name === PROJECT_SUITE && cases.length === 0) continue;
    const tests = cases.length;
    const failures = cases.filter((c) => c.failures.length > 0).length;
    const errors = cases.filter((c) => c.errors.length > 0).length;
    totalTests += tests;
    totalFailures += failures;
    totalErrors += errors;
    const file = report.project.envFiles[name];
    body.push(
      `  <testsuite name="${attr(name)}" tests="${tests}" failures="${failures}" errors="${errors}" skipped="0">`,
    );
    if (file !== undefined) {
      body.push(`    <properties>`, `      <property name="compose-file" value="${attr(file)}"/>`, `    </properties>`);
    }
    for (const c of cases) {
      const open = `    <testcase name="${attr(c.rule.id)}" classname="${attr(`${name}.${c.rule.category || "rules"}`)}"`;
      if (c.failures.length === 0 && c.errors.length === 0 && c.output.length === 0) {
        body.push(`${open}/>`);
        continue;
      }
      body.push(`${open}>`);
      for (const f of c.failures) {
        body.push(
          `      <failure message="${attr(f.message)}" type="${attr(f.severity)}">${text(
            `${locationOf(report, f)}\n${f.message}\nfix: ${f.fix}`,
          )}</failure>`,
        );
      }
      for (const e of c.errors) {
        body.push(`      <error message="${attr(e.error)}" type="rule-crash">${text(`rule ${e.ruleId} crashed: ${e.error}`)}</error>`);
      }
      if (c.output.length > 0) body.push(`      <system-out>${text(c.output.join("\n"))}</system-out>`);
      body.push(`    </testcase>`);
    }
    body.push(`  </testsuite>`);
  }

  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="${attr(`${report.tool.name} check`)}" tests="${totalTests}" failures="${totalFailures}" errors="${totalErrors}">`,
    ...body,
    `</testsuites>`,
    "",
  ].join("\n");
}

function locationOf(report: CheckReport, f: Finding): string {
  if (f.pos) return formatPos(f.pos);
  return f.env === undefined ? "(project)" : findingFile(report, f);
}

function describe(report: CheckReport, f: Finding): string {
  return `${locationOf(report, f)} ${f.message} (fix: ${f.fix})`;
}

// XML 1.0 allows tab, LF, CR and everything from U+0020 except surrogates (paired ones are
// fine) and U+FFFE/U+FFFF
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Escapes character data. */
export function text(s: string): string {
  return s.replace(INVALID_XML, "\uFFFD").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Escapes an attribute value (double-quoted); newlines and tabs survive as character references. */
export function attr(s: string): string {
  return text(s)
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;")
    .replace(/\n/g, "&#10;")
    .replace(/\r/g, "&#13;")
    .replace(/\t/g, "&#9;");
}
