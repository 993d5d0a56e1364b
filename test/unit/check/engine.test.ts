import { describe, expect, it } from "vitest";
import { UserError } from "../../../src/errors.js";
import { closestIds, envMatches, runRules, versionInRange } from "../../../src/check/engine.js";
import { exitCodeFor, failsAt, runCheck } from "../../../src/check/index.js";
import type { Finding } from "../../../src/check/types.js";
import { DIR, at, envRule, fakePlatform, fakeProject, memFs, projectRule } from "./fake-project.js";

const now = new Date("2026-01-15T00:00:00Z");

describe("runRules: environment filtering", () => {
  it("GIVEN a prod-only rule WHEN the project has devel, test, prod and egov-prod THEN it runs in prod and egov-prod only", () => {
    const project = fakeProject({ envs: ["devel", "test", "prod", "egov-prod"] });
    const seen: string[] = [];
    const rule = envRule("r", (env) => (seen.push(env.name), []), { appliesTo: { envs: ["prod"] } });

    const res = runRules(project, [rule], { now });

    expect(seen).toEqual(["prod", "egov-prod"]);
    expect(res.runs).toEqual([{ ruleId: "r", severity: "warning", scope: "env", envs: ["prod", "egov-prod"] }]);
  });

  it("GIVEN an any-non-devel rule WHEN envs are devel, test, prod, inverseproxy THEN it skips devel only", () => {
    const project = fakeProject({ envs: ["devel", "test", "prod", "inverseproxy"] });
    const seen: string[] = [];
    const rule = envRule("r", (env) => (seen.push(env.name), []), { appliesTo: { envs: ["any-non-devel"] } });

    runRules(project, [rule], { now });

    expect(seen).toEqual(["test", "prod", "inverseproxy"]);
  });

  it("GIVEN envs selected WHEN running THEN only those run, in project order", () => {
    const project = fakeProject();
    const seen: string[] = [];
    const rule = envRule("r", (env) => (seen.push(env.name), []));

    const res = runRules(project, [rule], { now, envs: ["prod", "devel"] });

    expect(seen).toEqual(["devel", "prod"]);
    expect(res.envs).toEqual(["devel", "prod"]);
  });

  it("GIVEN an unknown env WHEN running THEN a UserError lists the project's envs", () => {
    const project = fakeProject();
    const run = (): unknown => runRules(project, [], { now, envs: ["production"] });
    expect(run).toThrow(UserError);
    expect(run).toThrow(/production/);
    try {
      run();
    } catch (e) {
      expect((e as UserError).hint).toContain("devel, test, prod");
    }
  });

  it("GIVEN a project rule WHEN there are three envs THEN it runs once and its findings have no env", () => {
    const project = fakeProject();
    let calls = 0;
    const rule = projectRule("p", () => (calls++, [at("m", "odoo/custom/src/addons.yaml", 3)]));

    const res = runRules(project, [rule], { now });

    expect(calls).toBe(1);
    expect(res.findings).toHaveLength(1);
    expect(res.findings[0]?.env).toBeUndefined();
    expect(res.findings[0]?.envs).toBeUndefined();
  });

  it("envMatches classifies names like envKind", () => {
    expect(envMatches("production", ["prod"])).toBe(true);
    expect(envMatches("staging", ["test"])).toBe(true);
    expect(envMatches("setup-devel", ["devel"])).toBe(true);
    expect(envMatches("docker-compose", ["any-non-devel"])).toBe(true);
    expect(envMatches("devel", ["any-non-devel"])).toBe(false);
    expect(envMatches("anything", undefined)).toBe(true);
  });
});

describe("runRules: Odoo version filtering", () => {
  const rule = envRule("v16", () => [at("m", "prod.yaml", 1)], { appliesTo: { odoo: ">=16" } });

  it("GIVEN a >=16 rule WHEN the project is Odoo 15 THEN it does not run", () => {
    const res = runRules(fakeProject({ odooMajor: 15, envs: ["prod"] }), [rule], { now });
    expect(res.findings).toEqual([]);
    expect(res.runs).toEqual([]);
  });

  it("GIVEN a >=16 rule WHEN the project is Odoo 17 THEN it runs", () => {
    const res = runRules(fakeProject({ odooMajor: 17, envs: ["prod"] }), [rule], { now });
    expect(res.findings).toHaveLength(1);
  });

  it("GIVEN a >=16 rule WHEN the version is unknown THEN it runs", () => {
    const res = runRules(fakeProject({ envs: ["prod"] }), [rule], { now });
    expect(res.findings).toHaveLength(1);
  });

  it("versionInRange reads comparators, conjunctions and alternatives", () => {
    expect(versionInRange(16, ">=16")).toBe(true);
    expect(versionInRange(15, ">=16")).toBe(false);
    expect(versionInRange(15, "<16")).toBe(true);
    expect(versionInRange(12, ">=8 <13")).toBe(true);
    expect(versionInRange(13, ">=8 <13")).toBe(false);
    expect(versionInRange(8, ">=8.0")).toBe(true);
    expect(versionInRange(17, "17")).toBe(true);
    expect(versionInRange(17, "<=16 || >=18")).toBe(false);
    expect(versionInRange(18, "<=16 || >=18")).toBe(true);
    expect(() => versionInRange(17, "~17")).toThrow(/bad Odoo version range/);
  });

  it("GIVEN a rule with an unreadable range WHEN running THEN it is a rule error, not a crash", () => {
    const bad = envRule("bad", () => [], { appliesTo: { odoo: "seventeen" } });
    const res = runRules(fakeProject({ odooMajor: 17 }), [bad], { now });
    expect(res.ruleErrors).toEqual([{ ruleId: "bad", error: expect.stringContaining("seventeen") }]);
  });
});

describe("runRules: de-duplication and order", () => {
  it("GIVEN a value in common.yaml reported by every env WHEN running THEN one finding lists all envs", () => {
    const project = fakeProject();
    const rule = envRule("r", () => [at("LIST_DB is true on odoo", "common.yaml", 12, 7)]);

    const res = runRules(project, [rule], { now });

    expect(res.findings).toHaveLength(1);
    expect(res.findings[0]).toMatchObject({ env: "devel", envs: ["devel", "test", "prod"], pos: { file: "common.yaml", line: 12 } });
  });

  it("GIVEN the same message at different places WHEN running THEN findings stay apart", () => {
    const project = fakeProject();
    const rule = envRule("r", (env) => [at("same", `${env.name}.yaml`, 3)]);

    const res = runRules(project, [rule], { now });

    expect(res.findings.map((f) => [f.pos?.file, f.envs])).toEqual([
      ["devel.yaml", ["devel"]],
      ["prod.yaml", ["prod"]],
      ["test.yaml", ["test"]],
    ]);
  });

  it("GIVEN findings without a position WHEN identical across envs THEN they are kept per env", () => {
    const rule = envRule("r", () => [{ message: "no position" }]);
    const res = runRules(fakeProject(), [rule], { now });
    expect(res.findings.map((f) => f.env)).toEqual(["devel", "test", "prod"]);
  });

  it("GIVEN findings in any order WHEN running THEN they sort by file, line, col, rule id; unpositioned last", () => {
    const project = fakeProject({ envs: ["prod"] });
    const b = envRule("b-rule", () => [at("x", "prod.yaml", 5, 3), at("y", "common.yaml", 9), { message: "z" }]);
    const a = envRule("a-rule", () => [at("x", "prod.yaml", 5, 3), at("w", "prod.yaml", 5, 1)]);

    const res = runRules(project, [b, a], { now });

    expect(res.findings.map((f) => `${f.pos?.file ?? "-"}:${f.pos?.line ?? 0}:${f.pos?.col ?? 0}:${f.ruleId}`)).toEqual([
      "common.yaml:9:1:b-rule",
      "prod.yaml:5:1:a-rule",
      "prod.yaml:5:3:a-rule",
      "prod.yaml:5:3:b-rule",
      "-:0:0:b-rule",
    ]);
  });

  it("GIVEN a finding-specific fix WHEN running THEN it replaces the rule's fix", () => {
    const rule = envRule("r", () => [{ ...at("m", "prod.yaml", 1), fix: "Set LIST_DB: \"false\"" }, at("n", "prod.yaml", 2)]);
    const res = runRules(fakeProject({ envs: ["prod"] }), [rule], { now });
    expect(res.findings.map((f) => f.fix)).toEqual(['Set LIST_DB: "false"', "Fix for r."]);
  });
});

describe("runRules: crash isolation", () => {
  it("GIVEN a rule that throws in prod WHEN running THEN the error is recorded and other rules still report", () => {
    const project = fakeProject();
    const boom = envRule("boom", (env) => {
      if (env.name === "prod") throw new TypeError("cannot read properties of undefined");
      return [at("ok", `${env.name}.yaml`, 1)];
    });
    const fine = envRule("fine", () => [at("fine", "common.yaml", 2)]);

    const res = runRules(project, [boom, fine], { now });

    expect(res.ruleErrors).toEqual([{ ruleId: "boom", env: "prod", error: "cannot read properties of undefined" }]);
    expect(res.findings.map((f) => f.ruleId).sort()).toEqual(["boom", "boom", "fine"]);
  });

  it("GIVEN a rule that returns garbage WHEN running THEN it is a rule error", () => {
    const weird = projectRule("weird", () => undefined as unknown as []);
    const res = runRules(fakeProject(), [weird], { now });
    expect(res.ruleErrors[0]).toMatchObject({ ruleId: "weird", error: expect.stringContaining("not an array") });
  });
});

describe("runRules: selection and severities", () => {
  const rules = [
    envRule("list-db-enabled", () => [at("a", "prod.yaml", 1)], { severity: "error" }),
    envRule("image-unpinned", () => [at("b", "prod.yaml", 2)]),
    projectRule("no-backup", () => [at("c", "prod.yaml", 3)]),
  ];
  const project = fakeProject({ envs: ["prod"] });

  it("GIVEN a severity override WHEN running THEN findings carry it", () => {
    const res = runRules(project, rules, { now, severities: { "list-db-enabled": "info" } });
    expect(res.findings.find((f) => f.ruleId === "list-db-enabled")?.severity).toBe("info");
    expect(res.runs.find((r) => r.ruleId === "list-db-enabled")?.severity).toBe("info");
  });

  it("GIVEN a rule turned off WHEN running THEN it does not run, unless named by --rule", () => {
    const off = runRules(project, rules, { now, severities: { "image-unpinned": "off" } });
    expect(off.findings.map((f) => f.ruleId)).toEqual(["list-db-enabled", "no-backup"]);

    const forced = runRules(project, rules, { now, only: ["image-unpinned"], severities: { "image-unpinned": "off" } });
    expect(forced.findings.map((f) => [f.ruleId, f.severity])).toEqual([["image-unpinned", "warning"]]);
  });

  it("GIVEN --rule and --skip WHEN running THEN only the selection runs", () => {
    expect(runRules(project, rules, { now, only: ["no-backup"] }).findings.map((f) => f.ruleId)).toEqual(["no-backup"]);
    expect(runRules(project, rules, { now, skip: ["no-backup"] }).findings.map((f) => f.ruleId)).toEqual([
      "list-db-enabled",
      "image-unpinned",
    ]);
  });

  it("GIVEN a misspelt id WHEN running THEN a UserError suggests the closest ids", () => {
    for (const opts of [{ only: ["list-db-enable"] }, { skip: ["list-db-enable"] }, { severities: { "list-db-enable": "off" as const } }]) {
      let err: unknown;
      try {
        runRules(project, rules, { now, ...opts });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).message).toContain("list-db-enable");
      expect((err as UserError).hint).toMatch(/^Did you mean: list-db-enabled/);
    }
  });

  it("closestIds ranks by edit distance", () => {
    expect(closestIds("imag-unpined", ["list-db-enabled", "image-unpinned", "no-backup"], 1)).toEqual(["image-unpinned"]);
  });
});

describe("runCheck: config, suppressions and exit code", () => {
  const rules = [
    envRule("list-db-enabled", () => [at("LIST_DB is true", "prod.yaml", 4, 7)], {
      severity: "error",
      appliesTo: { envs: ["prod"] },
    }),
    envRule("image-unpinned", (env) => [at("image latest", `${env.name}.yaml`, 2, 5)]),
  ];
  const prodYaml = "services:\n  odoo:\n    image: x\n    LIST_DB: true\n";

  const check = (files: Record<string, string>, opts: Partial<Parameters<typeof runCheck>[1]> = {}) =>
    runCheck(fakePlatform(memFs(files)), {
      dir: DIR,
      now,
      rules,
      load: (_dir, o) => fakeProject({ envs: o.envs ?? ["devel", "prod"] }),
      ...opts,
    });

  it("GIVEN an error finding WHEN fail-on is the default THEN exit code is 1", () => {
    const r = check({ "prod.yaml": prodYaml });
    expect(r.exitCode).toBe(1);
    expect(r.failOn).toBe("error");
    expect(r.summary).toEqual({ error: 1, warning: 2, info: 0, suppressed: 0 });
    expect(r.project.envFiles).toEqual({ devel: "devel.yaml", prod: "prod.yaml" });
  });

  it("GIVEN the error is suppressed inline WHEN fail-on is error THEN exit code is 0 and it is counted", () => {
    const r = check({ "prod.yaml": prodYaml.replace("LIST_DB: true", "LIST_DB: true  # doodba-ops: ignore[list-db-enabled] -- VPN only") });
    expect(r.exitCode).toBe(0);
    expect(r.summary.suppressed).toBe(1);
    expect(r.suppressed[0]).toMatchObject({ by: "inline", reason: "VPN only", finding: { ruleId: "list-db-enabled" } });
  });

  it("GIVEN fail-on warning in the config WHEN only warnings remain THEN exit code is 1; the flag overrides it", () => {
    const files = {
      "prod.yaml": prodYaml,
      ".doodba-ops.yaml": "check:\n  fail-on: warning\n  rules:\n    list-db-enabled: off\n",
    };
    expect(check(files).exitCode).toBe(1);
    expect(check(files).project.configFile).toBe(".doodba-ops.yaml");
    expect(check(files, { failOn: "error" }).exitCode).toBe(0);
    expect(check(files, { failOn: "never" }).exitCode).toBe(0);
  });

  it("GIVEN config envs WHEN no --env is passed THEN the config's envs are checked; --env wins", () => {
    const files = { ".doodba-ops.yaml": "check:\n  envs: [devel]\n" };
    expect(check(files).project.envs).toEqual(["devel"]);
    expect(check(files, { envs: ["prod"] }).project.envs).toEqual(["prod"]);
  });

  it("GIVEN config envs naming a missing env WHEN checking THEN the UserError points into the config", () => {
    const files = { ".doodba-ops.yaml": "check:\n  envs: [prod, staging]\n" };
    let err: UserError | undefined;
    try {
      check(files, { load: () => fakeProject({ envs: ["devel", "prod"] }) });
    } catch (e) {
      err = e as UserError;
    }
    expect(err?.message).toContain("staging");
    expect(err?.pos).toEqual({ file: ".doodba-ops.yaml", line: 2, col: 9 });
  });

  it("GIVEN a config naming an unknown rule WHEN checking THEN the UserError points at it", () => {
    const files = { ".doodba-ops.yaml": "check:\n  rules:\n    list-db-enbled: off\n" };
    expect(() => check(files)).toThrow(/list-db-enbled/);
  });

  it("GIVEN a config ignore entry WHEN its glob matches THEN the finding is suppressed by config", () => {
    const files = {
      ".doodba-ops.yaml": 'check:\n  ignore:\n    - rule: image-unpinned\n      paths: ["devel.yaml"]\n      reason: devel only\n',
    };
    const r = check(files);
    expect(r.suppressed.map((s) => [s.by, s.finding.pos?.file, s.reason])).toEqual([["config", "devel.yaml", "devel only"]]);
    expect(r.findings.map((f) => f.pos?.file)).toEqual(["prod.yaml", "prod.yaml"]);
  });

  it("failsAt / exitCodeFor follow the threshold", () => {
    expect(failsAt("warning", "error")).toBe(false);
    expect(failsAt("error", "warning")).toBe(true);
    expect(failsAt("info", "info")).toBe(true);
    expect(failsAt("error", "never")).toBe(false);
    const f = { severity: "info" } as Finding;
    expect(exitCodeFor([f], "warning")).toBe(0);
    expect(exitCodeFor([f], "info")).toBe(1);
    expect(exitCodeFor([], "info")).toBe(0);
  });

  it("reports the tool version from package.json", () => {
    const r = check({});
    expect(r.tool.name).toBe("doodba-ops");
    expect(r.tool.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe("closestIds", () => {
  const ids = ["list-db-enabled", "image-unpinned", "no-backup", "repo-merges-unpinned", "workers-not-set"];

  it("GIVEN a typo or a fragment WHEN suggesting THEN close ids come first and far ones are left out", () => {
    expect(closestIds("image-unpined", ids)).toEqual(["image-unpinned"]);
    expect(closestIds("list-db", ids)).toEqual(["list-db-enabled"]);
    expect(closestIds("unpinned", ids)).toEqual(["image-unpinned", "repo-merges-unpinned"]);
    expect(closestIds("totally-unrelated", ids)).toEqual([]);
  });
});
