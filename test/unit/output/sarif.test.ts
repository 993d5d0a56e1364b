import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import { describe, expect, it } from "vitest";
import { FINGERPRINT_KEY, buildSarif, renderSarif, toUri } from "../../../src/cli/output/sarif.js";
import type { CheckReport } from "../../../src/check/index.js";
import { cleanReport, sampleReport } from "./sample-report.js";

// the SARIF 2.1.0 schema declares draft-07: Ajv's default class
const schemaPath = new URL("../../../../shared/schemas/sarif-schema-2.1.0.json", import.meta.url);
const schema = JSON.parse(readFileSync(schemaPath, "utf8")) as Record<string, unknown>;
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;
// unicodeRegExp off: one `pattern` of the official schema is not valid with the `u` flag
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(schema);

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId: string }; region: { startLine: number; startColumn: number } } }[];
  partialFingerprints: Record<string, string>;
  suppressions?: { kind: string; justification?: string; location?: unknown }[];
}
interface SarifLog {
  $schema: string;
  version: string;
  runs: {
    tool: { driver: { name: string; version: string; informationUri: string; rules: { id: string; helpUri: string; defaultConfiguration: { level: string }; properties: { tags: string[]; precision: string }; fullDescription: { text: string }; help: { text: string; markdown: string } }[] } };
    originalUriBaseIds: Record<string, { uri: string }>;
    invocations: { executionSuccessful: boolean; toolExecutionNotifications?: { level: string; message: { text: string } }[] }[];
    results: SarifResult[];
  }[];
}

const sarifOf = (r: CheckReport): SarifLog => JSON.parse(renderSarif(r)) as SarifLog;

describe("renderSarif", () => {
  it("GIVEN a report with findings, suppressions and errors WHEN rendering THEN it validates against the SARIF 2.1.0 schema", () => {
    const log = sarifOf(sampleReport());
    const ok = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(log.version).toBe("2.1.0");
    expect(log.$schema).toMatch(/sarif-schema-2\.1\.0\.json$/);
  });

  it("GIVEN a broken log WHEN validating THEN the schema catches it (the check above is real)", () => {
    const log = sarifOf(sampleReport()) as unknown as { runs: { results: Record<string, unknown>[] }[] };
    const first = log.runs[0]?.results[0];
    if (first) first.level = "fatal";
    expect(validate(log)).toBe(false);
  });

  it("GIVEN a clean report WHEN rendering THEN it validates and has no results", () => {
    const log = sarifOf(cleanReport());
    expect(validate(log)).toBe(true);
    expect(log.runs[0]?.results).toEqual([]);
    expect(log.runs[0]?.invocations[0]?.executionSuccessful).toBe(true);
  });

  it("GIVEN rules that ran WHEN rendering THEN the driver describes each with docs link, level, tags and precision", () => {
    const run = sarifOf(sampleReport()).runs[0];
    const driver = run?.tool.driver;
    expect(driver?.name).toBe("doodba-ops");
    expect(driver?.rules.map((r) => r.id)).toEqual(["image-unpinned", "list-db-enabled", "no-backup", "secret-inline", "workers-zero"]);
    const listDb = driver?.rules[1];
    expect(listDb?.helpUri).toMatch(/docs\/rules\.md#list-db-enabled$/);
    expect(listDb?.defaultConfiguration.level).toBe("error");
    expect(listDb?.properties).toMatchObject({ tags: ["security"], precision: "high" });
    expect(listDb?.fullDescription.text).toContain("/web/database/manager");
    expect(listDb?.help.text).toContain('Set LIST_DB: "false".');
    expect(driver?.rules[2]?.defaultConfiguration.level).toBe("note");
  });

  it("GIVEN findings WHEN rendering THEN each result points at its rule, level, file and region", () => {
    const run = sarifOf(sampleReport()).runs[0];
    const rules = run?.tool.driver.rules ?? [];
    for (const r of run?.results ?? []) expect(rules[r.ruleIndex]?.id).toBe(r.ruleId);
    const listDb = run?.results.find((r) => r.ruleId === "list-db-enabled");
    expect(listDb?.level).toBe("error");
    expect(listDb?.message.text).toBe('LIST_DB is "true" on service odoo');
    expect(listDb?.locations[0]?.physicalLocation).toEqual({
      artifactLocation: { uri: "prod.yaml", uriBaseId: "%SRCROOT%" },
      region: { startLine: 12, startColumn: 7 },
    });
    expect(run?.results.find((r) => r.ruleId === "no-backup")?.level).toBe("note");
    expect(run?.originalUriBaseIds["%SRCROOT%"]?.uri).toBe("file:///proj/");
  });

  it("GIVEN a finding without a position WHEN rendering THEN it still has a location (a compose file, line 1)", () => {
    const noBackup = sarifOf(sampleReport()).runs[0]?.results.find((r) => r.ruleId === "no-backup");
    expect(noBackup?.locations).toHaveLength(1);
    expect(noBackup?.locations[0]?.physicalLocation.artifactLocation.uri).toBe("devel.yaml");
    expect(noBackup?.locations[0]?.physicalLocation.region).toEqual({ startLine: 1, startColumn: 1 });
  });

  it("GIVEN suppressed findings WHEN rendering THEN they are results with an inSource/external suppression", () => {
    const results = sarifOf(sampleReport()).runs[0]?.results ?? [];
    const sup = results.find((r) => r.ruleId === "secret-inline");
    expect(sup?.suppressions).toEqual([
      {
        kind: "inSource",
        justification: "devel only",
        location: {
          physicalLocation: { artifactLocation: { uri: "devel.yaml", uriBaseId: "%SRCROOT%" }, region: { startLine: 4, startColumn: 7 } },
        },
      },
    ]);
    expect(results.find((r) => r.ruleId === "list-db-enabled")?.suppressions).toEqual([]);

    const report = sampleReport();
    const moved = report.suppressed[0];
    if (moved) moved.by = "config";
    expect(buildSarif(report).runs).toBeDefined();
    const ext = sarifOf(report).runs[0]?.results.find((r) => r.ruleId === "secret-inline");
    expect(ext?.suppressions?.[0]?.kind).toBe("external");
  });

  it("GIVEN a finding that moves to another line WHEN rendering THEN its fingerprint is unchanged; another message changes it", () => {
    const a = sampleReport();
    const b = sampleReport();
    const c = sampleReport();
    const fb = b.findings.find((f) => f.ruleId === "list-db-enabled");
    const fc = c.findings.find((f) => f.ruleId === "list-db-enabled");
    if (fb?.pos) fb.pos.line = 40;
    if (fc) fc.message = "LIST_DB is \"1\" on service odoo";
    const fp = (r: CheckReport): string | undefined =>
      sarifOf(r).runs[0]?.results.find((x) => x.ruleId === "list-db-enabled")?.partialFingerprints[FINGERPRINT_KEY];
    expect(fp(a)).toMatch(/^[0-9a-f]{32}$/);
    expect(fp(b)).toBe(fp(a));
    expect(fp(c)).not.toBe(fp(a));
  });

  it("GIVEN identical rule+file+message twice WHEN rendering THEN fingerprints stay unique", () => {
    const r = sampleReport();
    const f = r.findings.find((x) => x.ruleId === "list-db-enabled");
    if (f) r.findings.push({ ...f, pos: { file: "prod.yaml", line: 20, col: 7 } });
    const fps = (sarifOf(r).runs[0]?.results ?? []).map((x) => x.partialFingerprints[FINGERPRINT_KEY]);
    expect(new Set(fps).size).toBe(fps.length);
    expect(validate(sarifOf(r))).toBe(true);
  });

  it("GIVEN a crashed rule and loader warnings WHEN rendering THEN the invocation reports them", () => {
    const inv = sarifOf(sampleReport()).runs[0]?.invocations[0];
    expect(inv?.executionSuccessful).toBe(false);
    const texts = (inv?.toolExecutionNotifications ?? []).map((n) => `${n.level}: ${n.message.text}`);
    expect(texts).toContain("error: Rule workers-zero crashed in env test: boom <here>");
    expect(texts).toContain("warning: env_file .docker/odoo.env is missing");
  });

  it("toUri makes forward-slash, percent-encoded relative URIs", () => {
    expect(toUri("odoo/custom/conf.d/20 workers.conf")).toBe("odoo/custom/conf.d/20%20workers.conf");
    expect(toUri("odoo\\custom\\x.conf")).toBe("odoo/custom/x.conf");
    expect(toUri("./prod.yaml")).toBe("prod.yaml");
  });
});
