import { describe, expect, it } from "vitest";
import { MASTER_OVERHEAD_BYTES } from "../../../src/check/lib/sizing.js";
import { MIN_LIMIT_MEMORY_SOFT } from "../../../src/check/rules/performance/memory-soft-too-low.js";
import { UserError } from "../../../src/errors.js";
import { GiB, sizeOdoo } from "../../../src/tune/odoo.js";
import { formatPgKb, renderPgConf, tunePostgres } from "../../../src/tune/postgres.js";

const hosts: [number, number, number][] = [
  [2, 4, 5],
  [2, 4, 40],
  [4, 8, 50],
  [4, 16, 60],
  [8, 32, 200],
  [16, 64, 1000],
  [64, 256, 5000],
];

describe("sizeOdoo", () => {
  it.each(hosts)("GIVEN %i CPU / %i GiB / %i users THEN the result satisfies every sizing rule of check", (cpus, ram, users) => {
    const s = sizeOdoo({ cpus, ramBytes: ram * GiB }, { users });
    expect(s.workers).toBeGreaterThanOrEqual(1);
    // workers-exceed-cpu
    expect(s.workers).toBeLessThanOrEqual(2 * s.containerCpus + 1);
    // memory-hard-exceeds-container (worst case: every process at its hard limit + master/gevent)
    expect(s.limitMemoryHard * (s.workers + s.maxCronThreads) + MASTER_OVERHEAD_BYTES).toBeLessThanOrEqual(s.containerMemory);
    // memory-soft-too-low
    expect(s.limitMemorySoft).toBeGreaterThanOrEqual(MIN_LIMIT_MEMORY_SOFT);
    expect(s.limitMemoryHard).toBeGreaterThan(s.limitMemorySoft);
    // connection-budget-exceeded
    expect((1 + s.workers + s.maxCronThreads) * s.dbMaxconn).toBeLessThanOrEqual(s.postgresMaxConnections);
    // time-limits-inconsistent; the proxy waits longer than Odoo
    expect(s.limitTimeReal).toBeGreaterThanOrEqual(s.limitTimeCpu);
    expect(s.proxyTimeout).toBeGreaterThan(s.limitTimeReal);
    // the containers fit the host
    expect(s.containerMemory + s.postgresMemory).toBeLessThanOrEqual(ram * GiB);
    expect(s.reasoning.length).toBeGreaterThanOrEqual(3);
  });

  it("follows the users when CPU and memory allow, and the CPUs when users are many", () => {
    expect(sizeOdoo({ cpus: 8, ramBytes: 32 * GiB }, { users: 12 }).workers).toBe(2);
    expect(sizeOdoo({ cpus: 8, ramBytes: 32 * GiB }, { users: 60 }).workers).toBe(10);
    expect(sizeOdoo({ cpus: 4, ramBytes: 64 * GiB }, { users: 600 }).workers).toBe(7); // 2 x 3 + 1
  });

  it("is memory-bound on small hosts and says so", () => {
    const s = sizeOdoo({ cpus: 8, ramBytes: 4 * GiB }, { users: 200 });
    expect(s.workers).toBe(1);
    expect(s.reasoning.join("\n")).toMatch(/memory-bound/);
  });

  it("refuses hosts too small for prefork Odoo and bad numbers", () => {
    expect(() => sizeOdoo({ cpus: 2, ramBytes: 3 * GiB }, { users: 5 })).toThrow(UserError);
    expect(() => sizeOdoo({ cpus: 0, ramBytes: 8 * GiB }, { users: 5 })).toThrow(/CPUs/);
    expect(() => sizeOdoo({ cpus: 2, ramBytes: 8 * GiB }, { users: 0 })).toThrow(/users/);
  });
});

describe("tunePostgres (pgtune web profile)", () => {
  it("GIVEN 2 GiB, 2 CPUs, 164 connections on SSD THEN pgtune's values", () => {
    const s = tunePostgres({ memoryBytes: 2 * GiB, cpus: 2, maxConnections: 164 });
    expect(s).toMatchObject({
      max_connections: "164",
      shared_buffers: "512MB",
      effective_cache_size: "1536MB",
      maintenance_work_mem: "128MB",
      checkpoint_completion_target: "0.9",
      wal_buffers: "16MB",
      min_wal_size: "1GB",
      max_wal_size: "4GB",
      default_statistics_target: "100",
      random_page_cost: "1.1",
      effective_io_concurrency: "200",
      huge_pages: "off",
    });
    // (2 GiB - 512 MiB) / ((164 + 8) * 3) = 3048 kB
    expect(s.work_mem).toBe("3048kB");
    expect(s.max_worker_processes).toBeUndefined();
  });
  it("adds parallel workers from 4 CPUs and huge pages from 32 GiB; HDD changes I/O costs", () => {
    const s = tunePostgres({ memoryBytes: 32 * GiB, cpus: 8, maxConnections: 300, storage: "hdd" });
    expect(s).toMatchObject({ max_worker_processes: "8", max_parallel_workers_per_gather: "4", max_parallel_workers: "8", max_parallel_maintenance_workers: "4", huge_pages: "try", random_page_cost: "4", effective_io_concurrency: "2", shared_buffers: "8GB", maintenance_work_mem: "2GB" });
  });
  it("formats kB like pgtune and renders postgresql.conf lines", () => {
    expect(formatPgKb(1048576)).toBe("1GB");
    expect(formatPgKb(3072)).toBe("3MB");
    expect(formatPgKb(3048)).toBe("3048kB");
    expect(renderPgConf({ max_connections: "100", shared_buffers: "1GB", huge_pages: "off" })).toBe("max_connections = 100\nshared_buffers = 1GB\nhuge_pages = off");
  });
});
