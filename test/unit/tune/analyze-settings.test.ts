/**
 * Current pg_settings against the PostgreSQL calculator (src/tune/postgres.ts). The current
 * values are those the real PostgreSQL 15 of the integration test reported (recorded snapshot).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareSettings, parsePgValue, pgMajorOf, type RecommendationBasis } from "../../../src/tune/analyze/settings.js";
import type { DbSnapshot, PgSettingRow } from "../../../src/tune/analyze/types.js";
import { tunePostgres } from "../../../src/tune/postgres.js";
import { REPO_ROOT } from "../../helpers/project.js";

const RECORDED = JSON.parse(readFileSync(join(REPO_ROOT, "test", "fixtures", "tune", "snapshot-odoo17-loaded.json"), "utf8")) as DbSnapshot;
const GiB = 1024 ** 3;
const basis = (b: Partial<RecommendationBasis> = {}): RecommendationBasis => ({ memoryBytes: 8 * GiB, cpus: 4, storage: "ssd", maxConnections: 100, version: 15, ...b });
const row = (name: string, display: string, context = "user"): PgSettingRow => ({ name, setting: display, unit: null, display, source: "configuration file", context });

describe("parsePgValue", () => {
  it("reads PostgreSQL's printed units as kB, and plain numbers as they are", () => {
    expect(parsePgValue("128MB")).toBe(131072);
    expect(parsePgValue("2GB")).toBe(2 * 1024 * 1024);
    expect(parsePgValue("20164kB")).toBe(20164);
    expect(parsePgValue("1.1")).toBe(1.1);
    expect(parsePgValue("off")).toBeUndefined();
    expect(pgMajorOf(150018)).toBe(15);
    expect(pgMajorOf(90624)).toBe(9.6);
    expect(pgMajorOf(100023)).toBe(10);
  });
});

describe("compareSettings", () => {
  it("GIVEN PostgreSQL 15 at its defaults and 8 GiB / 4 CPUs / ssd THEN the recommendation is tunePostgres's and the memory settings are low", () => {
    const rows = compareSettings(RECORDED.settings, basis());
    const by = Object.fromEntries(rows.map((r) => [r.name, r]));
    const rec = tunePostgres({ memoryBytes: 8 * GiB, cpus: 4, maxConnections: 100, storage: "ssd", version: 15 });
    expect(by.shared_buffers).toMatchObject({ current: "128MB", recommended: rec.shared_buffers, status: "low", restart: true });
    expect(by.work_mem).toMatchObject({ current: "4MB", recommended: rec.work_mem, status: "low" });
    expect(by.effective_cache_size).toMatchObject({ current: "4GB", recommended: "6GB", status: "ok" }); // within half..twice
    expect(by.random_page_cost).toMatchObject({ current: "4", recommended: "1.1", status: "high" });
    expect(by.max_connections).toMatchObject({ status: "not-compared", recommended: null });
    expect(by.max_worker_processes).toMatchObject({ current: "8", recommended: "4", status: "ok" }); // more than pgtune's is harmless
    expect(by.autovacuum?.status).toBe("not-compared");
  });

  it("GIVEN no RAM THEN every setting is shown, none compared, and the rule says which flag is missing", () => {
    const rows = compareSettings(RECORDED.settings, null);
    expect(rows.length).toBeGreaterThan(15);
    expect(rows.every((r) => r.status === "not-compared" && r.recommended === null)).toBe(true);
    expect(rows.find((r) => r.name === "shared_buffers")?.rule).toContain("--memory");
  });

  it("GIVEN RAM but no CPUs THEN the parallel worker settings are not compared", () => {
    const rows = compareSettings(RECORDED.settings, basis({ cpus: undefined }));
    expect(rows.find((r) => r.name === "max_parallel_workers")).toMatchObject({ status: "not-compared", rule: "CPUs unknown: pass --cpus" });
  });

  it("GIVEN hdd storage THEN random_page_cost 4 is right", () => {
    expect(compareSettings(RECORDED.settings, basis({ storage: "hdd" })).find((r) => r.name === "random_page_cost")?.status).toBe("ok");
  });

  it("GIVEN work_mem far above the recommendation THEN it is high (out-of-memory risk with many connections)", () => {
    const rows = compareSettings({ ...RECORDED.settings, work_mem: row("work_mem", "256MB") }, basis());
    expect(rows.find((r) => r.name === "work_mem")?.status).toBe("high");
  });

  it("GIVEN a bigger max_wal_size than recommended THEN it is fine; a much smaller one is low", () => {
    expect(compareSettings({ ...RECORDED.settings, max_wal_size: row("max_wal_size", "16GB") }, basis()).find((r) => r.name === "max_wal_size")?.status).toBe("ok");
    expect(compareSettings({ ...RECORDED.settings, max_wal_size: row("max_wal_size", "1GB") }, basis()).find((r) => r.name === "max_wal_size")?.status).toBe("low");
  });
});
