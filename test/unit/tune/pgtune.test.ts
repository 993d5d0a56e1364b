/**
 * The PostgreSQL calculator against pgtune's own expected values.
 *
 * Source of the expectations: le0pard/pgtune,
 * src/features/configuration/__tests__/configurationSlice.test.js (the selector tests of
 * pgtune's configuration slice; the revisions with `nvme` storage and the 8 GB
 * maintenance_work_mem cap). Each case below names the pgtune test it reproduces. pgtune's
 * selectors answer in kB (memory) or plain numbers; tunePostgres renders them the way pgtune's
 * configuration view does (GB / MB when divisible, else kB).
 */
import { describe, expect, it } from "vitest";
import { UserError } from "../../../src/errors.js";
import { GiB } from "../../../src/tune/odoo.js";
import { formatPgKb, pgConfLine, pgNumeric, renderPgConf, samePgValue, tunePostgres, tunePostgresExplained, type PgWorkload } from "../../../src/tune/postgres.js";

const base = { memoryBytes: 4 * GiB, cpus: 2 };

describe("tunePostgres reproduces pgtune's configurationSlice tests", () => {
  it.each<[PgWorkload, string]>([
    ["web", "200"],
    ["oltp", "300"],
    ["dw", "40"],
    ["desktop", "20"],
    ["mixed", "100"],
  ])("selectMaxConnections: %s app -> %s when no connection count is given", (workload, expected) => {
    expect(tunePostgres({ ...base, workload }).max_connections).toBe(expected);
  });

  it.each<[PgWorkload, string]>([
    ["web", "100"],
    ["oltp", "100"],
    ["dw", "500"],
    ["desktop", "100"],
    ["mixed", "100"],
  ])("selectDefaultStatisticsTarget: %s app -> %s", (workload, expected) => {
    expect(tunePostgres({ ...base, workload }).default_statistics_target).toBe(expected);
  });

  it("selectRandomPageCost: hdd 4, ssd 1.1, san 1.1, nvme 1.1", () => {
    expect(tunePostgres({ ...base, storage: "hdd" }).random_page_cost).toBe("4");
    expect(tunePostgres({ ...base, storage: "ssd" }).random_page_cost).toBe("1.1");
    expect(tunePostgres({ ...base, storage: "san" }).random_page_cost).toBe("1.1");
    expect(tunePostgres({ ...base, storage: "nvme" }).random_page_cost).toBe("1.1");
  });

  it("selectEffectiveIoConcurrency (linux): hdd 2, ssd 200, san 300, nvme 1000", () => {
    expect(tunePostgres({ ...base, storage: "hdd" }).effective_io_concurrency).toBe("2");
    expect(tunePostgres({ ...base, storage: "ssd" }).effective_io_concurrency).toBe("200");
    expect(tunePostgres({ ...base, storage: "san" }).effective_io_concurrency).toBe("300");
    expect(tunePostgres({ ...base, storage: "nvme" }).effective_io_concurrency).toBe("1000");
  });

  const parallel = (s: Record<string, string>): Record<string, string> =>
    Object.fromEntries(Object.entries(s).filter(([k]) => k.startsWith("max_worker") || k.startsWith("max_parallel")));

  it("selectParallelSettings: 'less 2 cpu provided' (1 CPU) -> none", () => {
    expect(parallel(tunePostgres({ ...base, cpus: 1, version: 14 }))).toEqual({});
  });
  it("selectParallelSettings: 'postgresql 13' with 12 CPUs -> 12 / 4 / 12 / 4", () => {
    expect(parallel(tunePostgres({ ...base, cpus: 12, version: 13 }))).toEqual({
      max_worker_processes: "12",
      max_parallel_workers_per_gather: "4",
      max_parallel_workers: "12",
      max_parallel_maintenance_workers: "4",
    });
  });
  it("selectParallelSettings: 'postgresql 10' with 12 CPUs -> no maintenance workers (11+)", () => {
    expect(parallel(tunePostgres({ ...base, cpus: 12, version: 10 }))).toEqual({
      max_worker_processes: "12",
      max_parallel_workers_per_gather: "4",
      max_parallel_workers: "12",
    });
  });
  it("selectParallelSettings: 'postgresql 10 with 31 cpu' -> workers per gather capped at 4", () => {
    expect(parallel(tunePostgres({ ...base, cpus: 31, version: 10 }))).toEqual({
      max_worker_processes: "31",
      max_parallel_workers_per_gather: "4",
      max_parallel_workers: "31",
    });
  });
  it("selectParallelSettings: 'postgresql 12 with 31 cpu and DWH' -> 16 workers per gather", () => {
    expect(parallel(tunePostgres({ ...base, cpus: 31, version: 12, workload: "dw" }))).toEqual({
      max_worker_processes: "31",
      max_parallel_workers_per_gather: "16",
      max_parallel_workers: "31",
      max_parallel_maintenance_workers: "4",
    });
  });

  it("selectWalLevel: desktop app -> wal_level minimal, max_wal_senders 0; web app -> nothing", () => {
    expect(tunePostgres({ ...base, workload: "desktop" })).toMatchObject({ wal_level: "minimal", max_wal_senders: "0" });
    const web = tunePostgres({ ...base, workload: "web" });
    expect(web.wal_level).toBeUndefined();
    expect(web.max_wal_senders).toBeUndefined();
  });

  it("selectMaintenanceWorkMem: 'caps at 8GB for linux servers with extreme memory' (256 GB, web, 17) -> 8388608 kB", () => {
    const s = tunePostgres({ memoryBytes: 256 * GiB, cpus: 4, workload: "web", version: 17 });
    expect(pgNumeric(s.maintenance_work_mem ?? "")).toBe(8388608);
    expect(s.maintenance_work_mem).toBe("8GB");
  });
  it("selectMaintenanceWorkMem: 'calculates properly below the limit cap' (16 GB / 16) -> 1048576 kB", () => {
    const s = tunePostgres({ memoryBytes: 16 * GiB, cpus: 4, workload: "web", version: 15 });
    expect(pgNumeric(s.maintenance_work_mem ?? "")).toBe(1048576);
  });

  it("selectSharedBuffers: 'web app with 2GB RAM (standard 25%)' -> 524288 kB", () => {
    expect(pgNumeric(tunePostgres({ memoryBytes: 2 * GiB, cpus: 2, workload: "web", version: 18 }).shared_buffers ?? "")).toBe(524288);
  });
  it("selectSharedBuffers: 'web app with 128GB RAM (stays 25%)' -> 33554432 kB", () => {
    expect(pgNumeric(tunePostgres({ memoryBytes: 128 * GiB, cpus: 2, workload: "web", version: 18 }).shared_buffers ?? "")).toBe(33554432);
  });
});

describe("tunePostgres: the whole pgtune output for Odoo-sized servers", () => {
  it("GIVEN 2 GiB, 2 CPUs, 164 connections on SSD THEN pgtune's web values", () => {
    const s = tunePostgres({ memoryBytes: 2 * GiB, cpus: 2, maxConnections: 164 });
    expect(s).toEqual({
      checkpoint_completion_target: "0.9",
      default_statistics_target: "100",
      effective_cache_size: "1536MB",
      effective_io_concurrency: "200",
      huge_pages: "off",
      maintenance_work_mem: "128MB",
      max_connections: "164",
      max_wal_size: "4GB",
      min_wal_size: "1GB",
      random_page_cost: "1.1",
      shared_buffers: "512MB",
      // 3% of 512 MB = 15.36 MB, between 14 and 16 MB: rounded up to 16 MB
      wal_buffers: "16MB",
      // (2 GiB - 512 MiB) / ((164 + 8 default worker processes) x 3) = 3048 kB
      work_mem: "3048kB",
    });
  });

  it("GIVEN 32 GiB, 8 CPUs, 300 connections on HDD THEN parallel workers, huge pages and spinning-disk costs", () => {
    const s = tunePostgres({ memoryBytes: 32 * GiB, cpus: 8, maxConnections: 300, storage: "hdd" });
    expect(s).toMatchObject({
      max_worker_processes: "8",
      max_parallel_workers_per_gather: "4",
      max_parallel_workers: "8",
      max_parallel_maintenance_workers: "4",
      huge_pages: "try",
      random_page_cost: "4",
      effective_io_concurrency: "2",
      shared_buffers: "8GB",
      effective_cache_size: "24GB",
      maintenance_work_mem: "2GB",
      // (32 GiB - 8 GiB) / ((300 + 8) x 3) = 27235 kB
      work_mem: "27235kB",
    });
  });

  it("GIVEN the oltp, mixed and dw workloads THEN their WAL sizes and work_mem divisors", () => {
    expect(tunePostgres({ ...base, workload: "oltp" })).toMatchObject({ min_wal_size: "2GB", max_wal_size: "8GB" });
    expect(tunePostgres({ ...base, workload: "dw" })).toMatchObject({ min_wal_size: "4GB", max_wal_size: "16GB", maintenance_work_mem: "512MB" });
    const web = pgNumeric(tunePostgres({ ...base, maxConnections: 100 }).work_mem ?? "") ?? 0;
    const mixed = pgNumeric(tunePostgres({ ...base, maxConnections: 100, workload: "mixed" }).work_mem ?? "") ?? 0;
    expect(mixed).toBe(Math.floor(((4 * 1024 * 1024 - 1024 * 1024) / (108 * 3)) / 2));
    expect(web).toBe(Math.floor((4 * 1024 * 1024 - 1024 * 1024) / (108 * 3)));
  });

  it("GIVEN many connections on little memory THEN work_mem stays at 64 kB at least", () => {
    expect(tunePostgres({ memoryBytes: GiB / 2, cpus: 1, maxConnections: 5000 }).work_mem).toBe("64kB");
  });

  it("explains every setting with the rule that produced it", () => {
    const r = tunePostgresExplained({ memoryBytes: 8 * GiB, cpus: 4, maxConnections: 140 });
    expect(Object.keys(r.why)).toEqual(Object.keys(r.settings));
    for (const v of Object.values(r.why)) expect(v).toMatch(/\w/);
    expect(r.why.shared_buffers).toBe("pgtune: 1/4 of the 8GB PostgreSQL gets");
  });

  it("refuses PostgreSQL older than 9.5", () => {
    expect(() => tunePostgres({ ...base, version: 9.4 })).toThrow(UserError);
  });
});

describe("PostgreSQL values", () => {
  it("formats kB like pgtune and renders postgresql.conf lines", () => {
    expect(formatPgKb(1048576)).toBe("1GB");
    expect(formatPgKb(3072)).toBe("3MB");
    expect(formatPgKb(3048)).toBe("3048kB");
    expect(renderPgConf({ max_connections: "100", shared_buffers: "1GB", huge_pages: "off" })).toBe("max_connections = 100\nshared_buffers = 1GB\nhuge_pages = off");
    expect(pgConfLine("log_line_prefix", "%m [%p] ")).toBe("log_line_prefix = '%m [%p] '");
  });
  it("compares values across units", () => {
    expect(samePgValue("512MB", "524288kB")).toBe(true);
    expect(samePgValue("1GB", "1024MB")).toBe(true);
    expect(samePgValue("On", "on")).toBe(true);
    expect(samePgValue("4MB", "4854kB")).toBe(false);
  });
});
