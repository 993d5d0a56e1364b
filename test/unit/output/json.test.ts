import { describe, expect, it } from "vitest";
import { JSON_FORMAT_VERSION, renderJson } from "../../../src/cli/output/json.js";
import { sampleReport } from "./sample-report.js";

function keysSorted(v: unknown, path = "$"): string[] {
  const bad: string[] = [];
  if (Array.isArray(v)) v.forEach((x, i) => bad.push(...keysSorted(x, `${path}[${i}]`)));
  else if (v !== null && typeof v === "object") {
    const keys = Object.keys(v);
    if (keys.join("\u0000") !== [...keys].sort().join("\u0000")) bad.push(path);
    for (const k of keys) bad.push(...keysSorted((v as Record<string, unknown>)[k], `${path}.${k}`));
  }
  return bad;
}

describe("renderJson", () => {
  it("GIVEN a report WHEN rendering THEN it parses, is versioned, and keys are sorted at every level", () => {
    const out = renderJson(sampleReport());
    const parsed = JSON.parse(out) as Record<string, unknown>;
    expect(parsed.formatVersion).toBe(JSON_FORMAT_VERSION);
    expect(keysSorted(parsed)).toEqual([]);
    expect(out.endsWith("}\n")).toBe(true);
  });

  it("GIVEN the same project twice WHEN rendering THEN the bytes are identical and hold no timestamp", () => {
    const a = renderJson(sampleReport());
    const b = renderJson(sampleReport({ now: new Date("2030-06-01T00:00:00Z") }));
    expect(a).toBe(b);
    expect(a).not.toMatch(/\d{4}-\d{2}-\d{2}T\d{2}:/);
  });

  it("GIVEN suppressions, diagnostics and rule errors WHEN rendering THEN all are in the output", () => {
    const parsed = JSON.parse(renderJson(sampleReport())) as {
      summary: Record<string, number>;
      exitCode: number;
      findings: { ruleId: string; pos?: { file: string; line: number; col: number }; envs?: string[] }[];
      suppressed: { by: string; reason: string; finding: { ruleId: string } }[];
      diagnostics: { message: string }[];
      ruleErrors: { ruleId: string; env: string; error: string }[];
      rules: { id: string }[];
      project: { odooVersion: string; envs: string[] };
    };
    expect(parsed.summary).toEqual({ error: 1, warning: 2, info: 1, suppressed: 1 });
    expect(parsed.exitCode).toBe(1);
    expect(parsed.findings[0]).toMatchObject({
      ruleId: "image-unpinned",
      pos: { file: "common.yaml", line: 30, col: 12 },
      envs: ["devel", "test", "prod"],
    });
    expect(parsed.suppressed).toEqual([expect.objectContaining({ by: "inline", reason: "devel only", finding: expect.objectContaining({ ruleId: "secret-inline" }) })]);
    expect(parsed.diagnostics.map((d) => d.message)).toContain("env_file .docker/odoo.env is missing");
    expect(parsed.ruleErrors).toEqual([{ ruleId: "workers-zero", env: "test", error: "boom <here>" }]);
    expect(parsed.rules.map((r) => r.id)).toEqual(["image-unpinned", "list-db-enabled", "no-backup", "secret-inline", "workers-zero"]);
    expect(parsed.project).toMatchObject({ odooVersion: "17.0", envs: ["devel", "test", "prod"] });
  });
});
