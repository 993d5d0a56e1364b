/**
 * The human and JSON reports of `tune analyze`, rendered from the snapshot recorded on the real
 * loaded Odoo 17 database. Golden files in test/fixtures/tune/ (UPDATE_GOLDEN=1 refreshes them;
 * review the diff).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildReport, type DbSnapshot } from "../../../src/tune/analyze/index.js";
import { renderHuman, renderJson, type RenderTarget } from "../../../src/tune/analyze/render.js";
import { REPO_ROOT } from "../../helpers/project.js";

const DIR = join(REPO_ROOT, "test", "fixtures", "tune");
const RECORDED = JSON.parse(readFileSync(join(DIR, "snapshot-odoo17-loaded.json"), "utf8")) as DbSnapshot;
const TARGET: RenderTarget = { url: "postgres://odoo:***@127.0.0.1:5432/acme_load", source: "url" };
const THRESHOLDS = { idleInTransactionSeconds: 1, longQuerySeconds: 1 };
// The golden files are rendered without --memory, so that they do not move with the PostgreSQL
// calculator (src/tune/postgres.ts has its own reference tests); the comparison is checked below.
const report = buildReport(RECORDED, { thresholds: THRESHOLDS });
const withMemory = buildReport(RECORDED, { memoryBytes: 8 * 1024 ** 3, cpus: 4, storage: "ssd", thresholds: THRESHOLDS });

function golden(name: string, actual: string): void {
  const file = join(DIR, name);
  if (process.env.UPDATE_GOLDEN || !existsSync(file)) {
    writeFileSync(file, actual);
    if (!process.env.UPDATE_GOLDEN) throw new Error(`golden file ${file} was missing; written, review it`);
  }
  expect(actual).toBe(readFileSync(file, "utf8"));
}

describe("renderHuman", () => {
  const text = renderHuman(report, TARGET);

  it("GIVEN the recorded report THEN it matches the golden file", () => {
    golden("report-odoo17-loaded.txt", text);
  });

  it("puts the target, the server line and the findings first, then the sections", () => {
    const lines = text.split("\n");
    expect(lines[0]).toBe("tune analyze: postgres://odoo:***@127.0.0.1:5432/acme_load");
    expect(lines[1]).toMatch(/^PostgreSQL 15\.\d+ · database acme_load \(.+\) · Odoo 17\.0\.\d+\.\d+ · role postgres \(superuser\)/);
    expect(lines[3]).toMatch(/^Findings \(\d+ warnings?(, \d+ info)?\)$/);
    const heads = ["Findings (", "Settings (", "Cache and activity", "Top queries (", "Largest tables", "Connections and sessions", "Odoo (base"].map((h) => text.indexOf(h));
    expect([...heads].sort((a, b) => a - b)).toEqual(heads);
  });

  it("aligns each finding's evidence and remedy under its message", () => {
    const lines = text.split("\n");
    const first = lines.findIndex((l) => /^ {2}(error|warning|info) +\S+ {2}/.test(l));
    const msgCol = /^( {2}\S+ +\S+ +)/.exec(lines[first] ?? "")?.[1]?.length;
    expect(msgCol).toBeGreaterThan(20);
    expect(lines[first + 1]?.indexOf("evidence: ")).toBe(msgCol);
    expect(lines[first + 2]?.indexOf("remedy:   ")).toBe(msgCol);
  });

  it("GIVEN --memory THEN it lists the CONF_EXTRA block to apply the off settings at once", () => {
    const t = renderHuman(withMemory, TARGET);
    expect(t).toContain("Settings (pgtune \"web\" workload for 8 GiB RAM, 4 CPUs, ssd storage, max_connections 30, PostgreSQL 15)");
    expect(t).toContain("  to apply, in the db service of the project (postgres-autoconf; restart PostgreSQL afterwards):\n    environment:\n      CONF_EXTRA: |\n        shared_buffers = 2GB");
  });

  it("GIVEN no memory THEN the settings section says how to get a recommendation", () => {
    expect(text).toContain("Settings (no recommendation: pass --memory, --cpus and --storage for the server's resources)");
    expect(text).not.toContain("to apply, in the db service");
  });
});

describe("renderJson", () => {
  const json = renderJson(report, TARGET);

  it("GIVEN the recorded report THEN it matches the golden file", () => {
    golden("report-odoo17-loaded.json", json);
  });

  it("is a stable document: fixed top-level order, summary counts, thresholds echoed", () => {
    const doc = JSON.parse(json) as { schema: string; summary: Record<string, number>; findings: { severity: string }[]; thresholds: Record<string, number> };
    expect(doc.schema).toBe("doodba-ops/tune-analyze@1");
    expect(doc.summary.warning).toBe(doc.findings.filter((f) => f.severity === "warning").length);
    expect(doc.thresholds.busOldSeconds).toBe(86400);
    expect(renderJson(buildReport(structuredClone(RECORDED), { thresholds: THRESHOLDS }), TARGET)).toBe(json);
    const basis = (JSON.parse(renderJson(withMemory, TARGET)) as { settings: { basis: unknown } }).settings.basis;
    expect(basis).toEqual({ memoryBytes: 8 * 1024 ** 3, cpus: 4, storage: "ssd", maxConnections: 30, version: 15 });
  });
});
