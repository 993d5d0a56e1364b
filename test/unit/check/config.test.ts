import { describe, expect, it } from "vitest";
import { UserError } from "../../../src/errors.js";
import { loadCheckConfig, parseCheckConfig, validateConfigRuleIds } from "../../../src/check/config.js";
import { DIR, memFs } from "./fake-project.js";

function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error("expected a UserError");
}

describe("loadCheckConfig", () => {
  it("GIVEN no config file WHEN loading THEN the config is empty", () => {
    expect(loadCheckConfig(memFs({ "prod.yaml": "services: {}\n" }), DIR)).toEqual({ rules: {}, ignore: [], rulePos: {} });
  });

  it("GIVEN the full documented shape WHEN loading THEN every setting is read", () => {
    const text = [
      "check:",
      "  envs: [prod, test]",
      "  fail-on: warning",
      "  rules:",
      "    list-db-enabled: off",
      "    image-unpinned: error",
      "  ignore:",
      "    - rule: inline-secret-in-compose",
      '      paths: ["devel.yaml"]',
      '      reason: "devel only"',
      "",
    ].join("\n");
    const cfg = loadCheckConfig(memFs({ ".doodba-ops.yaml": text }), DIR);
    expect(cfg).toMatchObject({
      file: ".doodba-ops.yaml",
      envs: ["prod", "test"],
      failOn: "warning",
      rules: { "list-db-enabled": "off", "image-unpinned": "error" },
      ignore: [
        {
          rule: "inline-secret-in-compose",
          paths: ["devel.yaml"],
          reason: "devel only",
          pos: { file: ".doodba-ops.yaml", line: 8, col: 7 },
        },
      ],
      rulePos: { "list-db-enabled": { file: ".doodba-ops.yaml", line: 5, col: 5 } },
    });
  });

  it("GIVEN a .yml file WHEN loading THEN it is read", () => {
    expect(loadCheckConfig(memFs({ ".doodba-ops.yml": "check:\n  fail-on: never\n" }), DIR).failOn).toBe("never");
  });

  it("GIVEN both .yaml and .yml WHEN loading THEN it is an error", () => {
    const err = userError(() =>
      loadCheckConfig(memFs({ ".doodba-ops.yaml": "check: {}\n", ".doodba-ops.yml": "check: {}\n" }), DIR),
    );
    expect(err.message).toMatch(/Both .doodba-ops.yaml and .doodba-ops.yml/);
  });

  it("GIVEN an empty file or an empty check section WHEN parsing THEN defaults apply", () => {
    expect(parseCheckConfig("")).toMatchObject({ rules: {}, ignore: [] });
    expect(parseCheckConfig("check:\n")).toMatchObject({ rules: {}, ignore: [] });
    expect(parseCheckConfig("# only a comment\n").failOn).toBeUndefined();
  });

  it("GIVEN `false` as a severity WHEN parsing THEN it means off", () => {
    expect(parseCheckConfig("check:\n  rules:\n    a: false\n").rules).toEqual({ a: "off" });
  });
});

describe("parseCheckConfig errors carry file:line:col and the fix", () => {
  it("GIVEN an invalid severity WHEN parsing THEN the error points at the value and lists valid ones", () => {
    const err = userError(() => parseCheckConfig("check:\n  rules:\n    list-db-enabled: warn\n"));
    expect(err.message).toBe('Invalid value "warn" for check.rules.list-db-enabled');
    expect(err.pos).toEqual({ file: ".doodba-ops.yaml", line: 3, col: 22 });
    expect(err.hint).toBe("Valid values: off | info | warning | error.");
  });

  it("GIVEN an invalid fail-on WHEN parsing THEN the error points at it", () => {
    const err = userError(() => parseCheckConfig("check:\n  fail-on: errors\n", ".doodba-ops.yml"));
    expect(err.pos).toEqual({ file: ".doodba-ops.yml", line: 2, col: 12 });
    expect(err.hint).toContain("error | warning | info | never");
  });

  it("GIVEN a typo in a key WHEN parsing THEN the error names it and suggests the right key", () => {
    const err = userError(() => parseCheckConfig("check:\n  failon: warning\n"));
    expect(err.message).toBe('Unknown key "failon" in check');
    expect(err.pos).toEqual({ file: ".doodba-ops.yaml", line: 2, col: 3 });
    expect(err.hint).toContain('Did you mean "fail-on"?');
  });

  it("GIVEN an unknown top-level section WHEN parsing THEN it is an error", () => {
    const err = userError(() => parseCheckConfig("chek:\n  envs: [prod]\n"));
    expect(err.message).toContain('"chek"');
    expect(err.pos?.line).toBe(1);
  });

  it("GIVEN an unknown key in an ignore entry WHEN parsing THEN it is an error at that key", () => {
    const err = userError(() => parseCheckConfig("check:\n  ignore:\n    - rule: x\n      path: [a]\n"));
    expect(err.message).toBe('Unknown key "path" in check.ignore[0]');
    expect(err.pos).toEqual({ file: ".doodba-ops.yaml", line: 4, col: 7 });
    expect(err.hint).toContain('"paths"');
  });

  it("GIVEN an ignore entry without rule WHEN parsing THEN it is an error", () => {
    expect(userError(() => parseCheckConfig("check:\n  ignore:\n    - paths: [a]\n")).message).toContain("has no rule");
  });

  it("GIVEN ignore as a mapping WHEN parsing THEN the error shows the list form", () => {
    const err = userError(() => parseCheckConfig("check:\n  ignore:\n    rule: x\n"));
    expect(err.pos?.line).toBe(3);
    expect(err.hint).toContain("- rule:");
  });

  it("GIVEN envs as a mapping WHEN parsing THEN it is an error", () => {
    expect(userError(() => parseCheckConfig("check:\n  envs: {prod: 1}\n")).message).toContain("check.envs must be a list");
  });

  it("GIVEN broken YAML WHEN parsing THEN the error has a position", () => {
    const err = userError(() => parseCheckConfig("check:\n  rules: [a\n"));
    expect(err.message).toMatch(/not valid YAML/);
    expect(err.pos?.file).toBe(".doodba-ops.yaml");
    expect(err.pos?.line).toBeGreaterThanOrEqual(2);
  });

  it("GIVEN a duplicated key WHEN parsing THEN it is an error", () => {
    expect(() => parseCheckConfig("check:\n  fail-on: error\n  fail-on: never\n")).toThrow(UserError);
  });
});

describe("validateConfigRuleIds", () => {
  const ids = ["list-db-enabled", "image-unpinned"];

  it("GIVEN known ids WHEN validating THEN nothing happens", () => {
    const cfg = parseCheckConfig("check:\n  rules:\n    image-unpinned: off\n  ignore:\n    - rule: '*'\n");
    expect(() => validateConfigRuleIds(cfg, ids)).not.toThrow();
  });

  it("GIVEN an unknown id in rules WHEN validating THEN the error points at the key and suggests", () => {
    const cfg = parseCheckConfig("check:\n  rules:\n    image-unpined: off\n");
    const err = userError(() => validateConfigRuleIds(cfg, ids));
    expect(err.pos).toEqual({ file: ".doodba-ops.yaml", line: 3, col: 5 });
    expect(err.hint).toMatch(/^Did you mean: image-unpinned/);
  });

  it("GIVEN an unknown id in ignore WHEN validating THEN the error points at the entry", () => {
    const cfg = parseCheckConfig("check:\n  ignore:\n    - rule: nope\n");
    expect(userError(() => validateConfigRuleIds(cfg, ids)).pos?.line).toBe(3);
  });
});
