/**
 * The real CLI (bin/doodba-ops.js over dist/, built by `npm test` before vitest) run as a child
 * process: exit codes, streams, formats, and the README's promises.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, writeProject } from "../helpers/project.js";

const BIN = join(REPO_ROOT, "bin", "doodba-ops.js");

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(REPO_ROOT, "dist", "cli", "main.js"))) execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "ignore" });
});

describe("doodba-ops CLI", () => {
  it("--version prints the package version", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    const r = run(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it("check on the sample project with problems shows a mix of findings and exits 1", () => {
    const r = run(["check", "examples/acme-erp"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/error\s+\S+/);
    expect(r.stdout).toMatch(/warning\s+\S+/);
    const categories = new Set(JSON.parse(run(["check", "examples/acme-erp", "--format", "json"]).stdout).findings.map((f: { category: string }) => f.category));
    expect([...categories].sort()).toEqual(["maintainability", "performance", "reliability", "security"]);
  });

  it("check on the clean sample project exits 0", () => {
    const r = run(["check", "examples/clean"]);
    expect(r.stdout + r.stderr).not.toMatch(/ error /);
    expect(r.code).toBe(0);
  });

  it("--fail-on never exits 0 and --fail-on info fails on any finding", () => {
    expect(run(["check", "examples/acme-erp", "--fail-on", "never"]).code).toBe(0);
    expect(run(["check", "examples/acme-erp", "--fail-on", "info", "--rule", "compose-version-obsolete,image-unpinned"]).code).toBe(1);
  });

  it("--rule and --skip select rules; an unknown rule id is a usage error (exit 2)", () => {
    const only = JSON.parse(run(["check", "examples/acme-erp", "--format", "json", "--rule", "postgres-port-public"]).stdout) as { findings: { ruleId: string }[] };
    expect(only.findings.length).toBeGreaterThan(0);
    expect(new Set(only.findings.map((f) => f.ruleId))).toEqual(new Set(["postgres-port-public"]));
    const skipped = JSON.parse(run(["check", "examples/acme-erp", "--format", "json", "--skip", "postgres-port-public"]).stdout) as { findings: { ruleId: string }[] };
    expect(skipped.findings.some((f) => f.ruleId === "postgres-port-public")).toBe(false);
    const bad = run(["check", "examples/acme-erp", "--rule", "postgres-port-publik"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("postgres-port-public");
  });

  it("a YAML syntax error exits 2 with file:line:col, a hint and no stack trace", () => {
    const dir = writeProject({ "prod.yaml": "services:\n  odoo:\n    image: odoo:17\n   ports: [8069]\n" });
    const r = run(["check", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/prod\.yaml:\d+:\d+/);
    expect(r.stderr).toContain("hint:");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe("");
  });

  it("a missing extends file and an unknown environment exit 2", () => {
    const dir = writeProject({ "prod.yaml": "services:\n  odoo:\n    extends: {file: common.yaml, service: odoo}\n" });
    const r = run(["check", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("prod.yaml:3:");
    expect(run(["check", "examples/clean", "--env", "staging"]).code).toBe(2);
  });

  it("--format json / sarif / junit produce parseable output; --output writes the file", () => {
    const json = JSON.parse(run(["check", "examples/acme-erp", "--format", "json"]).stdout) as { findings: unknown[]; exitCode: number };
    expect(json.findings.length).toBeGreaterThan(5);
    expect(json.exitCode).toBe(1);
    const sarif = JSON.parse(run(["check", "examples/acme-erp", "--format", "sarif"]).stdout) as { version: string; runs: { results: unknown[] }[] };
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0]!.results.length).toBe(json.findings.length);
    expect(run(["check", "examples/acme-erp", "--format", "junit"]).stdout).toMatch(/^<\?xml[^>]*>\s*<testsuites/);
    const out = join(mkdtempSync(join(tmpdir(), "doodba-ops-out-")), "report.sarif");
    const r = run(["check", "examples/acme-erp", "--format", "sarif", "--output", out]);
    expect(r.code).toBe(1);
    expect(JSON.parse(readFileSync(out, "utf8")).version).toBe("2.1.0");
    rmSync(out);
  });

  it("config prints the merged compose model and the effective odoo.conf with sources, secrets masked", () => {
    const compose = run(["config", "examples/clean", "--env", "prod"]);
    expect(compose.code).toBe(0);
    expect(compose.stdout).toContain("services:");
    expect(compose.stdout).toContain("condition: service_healthy");
    expect(compose.stdout).not.toContain("9d2e8a7b6c5f4e3d2c1b0a9f8e7d6c5b");
    const odoo = run(["config", "examples/clean", "--env", "prod", "--odoo", "--sources"]);
    expect(odoo.stdout).toMatch(/^workers = 5 +; conf\.d odoo\/custom\/conf\.d\/20-performance\.conf:3:1$/m);
    expect(odoo.stdout).toMatch(/^admin_passwd = \*{8}/m);
    expect(run(["config", "examples/clean", "--env", "prod", "--odoo", "--show-secrets"]).stdout).toContain("4f1c7b0e9a3d52c86e0b7a1f2d9c3e58");
  });

  it("rules lists every rule, and docs/rules.md is the generated markdown (not stale)", () => {
    const md = run(["rules", "--format", "markdown"]);
    expect(md.code).toBe(0);
    const committed = readFileSync(join(REPO_ROOT, "docs", "rules.md"), "utf8");
    expect(committed, "docs/rules.md is stale: run npm run docs:rules").toBe(md.stdout);
    const list = JSON.parse(run(["rules", "--format", "json"]).stdout) as { id: string }[];
    expect(list.length).toBeGreaterThanOrEqual(40);
  });

  it("unknown commands and options are usage errors", () => {
    expect(run(["frobnicate"]).code).toBe(2);
    expect(run(["check", "--format", "xml"]).code).toBe(2);
  });
});
