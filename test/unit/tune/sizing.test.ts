import { describe, expect, it } from "vitest";
import { MASTER_OVERHEAD_BYTES, MiB } from "../../../src/check/lib/sizing.js";
import { MIN_LIMIT_MEMORY_SOFT } from "../../../src/check/rules/performance/memory-soft-too-low.js";
import { UserError } from "../../../src/errors.js";
import { GiB, MIN_HARD, perWorkerEstimate, sizeOdoo, type OdooSizing } from "../../../src/tune/odoo.js";

const hosts: [number, number, number][] = [
  [1, 4, 5],
  [2, 4, 5],
  [2, 4, 40],
  [4, 8, 50],
  [4, 16, 60],
  [8, 32, 200],
  [16, 64, 1000],
  [64, 256, 5000],
];

/** The check rules' conditions, on the numbers alone. */
function satisfiesSizingRules(s: OdooSizing, hostRam: number): void {
  const webProcesses = s.workers + s.maxCronThreads;
  // workers-exceed-cpu
  expect(s.workers).toBeLessThanOrEqual(2 * s.containerCpus + 1);
  // memory-hard-exceeds-container (worst case: every process at its hard limit + master/gevent)
  expect(s.limitMemoryHard * webProcesses + MASTER_OVERHEAD_BYTES).toBeLessThanOrEqual(s.containerMemory);
  if (s.cron) expect(s.limitMemoryHard * s.cron.threads + MASTER_OVERHEAD_BYTES).toBeLessThanOrEqual(s.cron.containerMemory);
  // memory-soft-too-low
  expect(s.limitMemorySoft).toBeGreaterThanOrEqual(MIN_LIMIT_MEMORY_SOFT);
  expect(s.limitMemoryHard).toBeGreaterThan(s.limitMemorySoft);
  // connection-budget-exceeded: every pool full, web (workers + cron + gevent) and the cron instance
  const demand = (s.workers + s.maxCronThreads) * s.dbMaxconn + (s.dbMaxconnGevent ?? s.dbMaxconn) + (s.cron ? s.cron.threads * s.dbMaxconn : 0);
  expect(demand).toBeLessThanOrEqual(s.postgresMaxConnections);
  // time-limits-inconsistent; the proxy waits longer than Odoo
  expect(s.limitTimeReal).toBeGreaterThanOrEqual(s.limitTimeCpu);
  expect(s.limitTimeReal).toBeGreaterThanOrEqual(10);
  expect(s.proxyTimeout).toBeGreaterThan(s.limitTimeReal);
  // the containers fit the host
  expect(s.containerMemory + (s.cron?.containerMemory ?? 0) + s.postgresMemory).toBeLessThanOrEqual(hostRam);
  // every value says why
  for (const [k, v] of Object.entries(s.why)) expect(v, k).not.toBe("");
}

describe("sizeOdoo: Odoo's documentation, worked example", () => {
  // odoo/documentation, administration/on_premise/deploy.rst, "Builtin server > Worker number
  // calculation / Memory size calculation / Sample configuration" (shared/reference/odoo-ops.md
  // section 2): a server with 4 CPUs and 60 concurrent users; PostgreSQL on another server.
  it("GIVEN 4 CPUs, 60 users, PostgreSQL elsewhere, enough RAM THEN the docs' odoo.conf", () => {
    // "Enough RAM": the docs do not let memory cap the limits; 16 GiB leaves 15.25 GiB to Odoo,
    // and 9 processes x 1600 MiB + 150 MiB master = 14.2 GiB fits.
    const s = sizeOdoo({ cpus: 4, ramBytes: 16 * GiB }, { users: 60 }, { postgres: "elsewhere" });
    // workers: 60 users / 6 = 10 needed; (4 x 2) + 1 = 9 at most; the cron worker needs CPU too,
    // so the 9 processes are 8 HTTP workers + 1 cron: min(9 - 1, 10) = 8.
    expect(s.workers).toBe(8);
    // "We'll use 8 workers + 1 for cron": one cron worker below 8 CPUs.
    expect(s.maxCronThreads).toBe(1);
    // The docs' limits for the default mix (80% light requests ~150 MB, 20% heavy ~1 GB):
    // RAM per worker ~ 0.8 x 150 + 0.2 x 1024 = 324.8 MB. The mix is the docs' own, so the scale
    // factor is 1 and the sample's 600 MiB / 1600 MiB come out as they are; memory does not cap
    // them (15.25 GiB - 150 MiB master) / 9 processes = 1718 MiB > 1600 MiB.
    expect(s.limitMemorySoft).toBe(629145600);
    expect(s.limitMemoryHard).toBe(1677721600);
    // A worker is recycled after 8192 requests; 600 s of CPU, 1200 s of wall clock per request.
    expect(s.limitRequest).toBe(8192);
    expect(s.limitTimeCpu).toBe(600);
    expect(s.limitTimeReal).toBe(1200);
    // PostgreSQL elsewhere: Odoo keeps every CPU, and nothing is set aside for a database here.
    expect(s.containerCpus).toBe(4);
    expect(s.postgresMemory).toBe(0);
    satisfiesSizingRules(s, 16 * GiB);
  });

  it("GIVEN the docs' RAM estimate THEN 9 processes need about 3 GB, as the docs say", () => {
    // "RAM = 9 * ((0.8*150) + (0.2*1024)) ~= 3Go RAM for Odoo"
    expect((9 * perWorkerEstimate(0.2)) / GiB).toBeCloseTo(2.85, 2);
  });
});

describe("sizeOdoo: rules", () => {
  it.each(hosts)("GIVEN %i CPU / %i GiB / %i users THEN the result satisfies every sizing rule of check", (cpus, ram, users) => {
    for (const opts of [{}, { postgres: "elsewhere" as const }, { splitCron: true }, { odooMajor: 17 }, { heavyRatio: 0.5, splitCron: true, odooMajor: 18 }]) {
      const s = sizeOdoo({ cpus, ramBytes: ram * GiB }, { users }, opts);
      expect(s.workers).toBeGreaterThanOrEqual(1);
      satisfiesSizingRules(s, ram * GiB);
      expect(s.reasoning.length).toBeGreaterThanOrEqual(3);
    }
  });

  it("GIVEN few users THEN users decide, at least 2 workers in production (1 elsewhere)", () => {
    expect(sizeOdoo({ cpus: 8, ramBytes: 32 * GiB }, { users: 12 }).workers).toBe(2);
    expect(sizeOdoo({ cpus: 8, ramBytes: 32 * GiB }, { users: 3 }).workers).toBe(2);
    expect(sizeOdoo({ cpus: 8, ramBytes: 32 * GiB }, { users: 3 }, { production: false }).workers).toBe(1);
    expect(sizeOdoo({ cpus: 8, ramBytes: 32 * GiB }, { users: 60 }).workers).toBe(10);
  });

  it("GIVEN many users THEN the CPUs decide, minus the cron workers and a core left to PostgreSQL", () => {
    // 4 CPUs, PostgreSQL on the host: 3 for Odoo -> 2 x 3 + 1 = 7 processes, 1 of them cron.
    const s = sizeOdoo({ cpus: 4, ramBytes: 64 * GiB }, { users: 600 });
    expect([s.workers, s.maxCronThreads, s.containerCpus]).toEqual([6, 1, 3]);
    expect(s.why.workers).toContain("2 x 3 CPU + 1 - 1 cron = 6");
    // 8 CPUs: 2 cron workers.
    const b = sizeOdoo({ cpus: 8, ramBytes: 64 * GiB }, { users: 600 });
    expect([b.workers, b.maxCronThreads]).toEqual([13, 2]);
  });

  it("GIVEN a small host THEN memory decides and says so; below the production minimum it warns", () => {
    const s = sizeOdoo({ cpus: 8, ramBytes: 4 * GiB }, { users: 200 });
    expect(s.workers).toBe(1);
    expect(s.why.workers).toMatch(/memory-bound/);
    expect(s.warnings.join("\n")).toMatch(/below the production minimum of 2/);
    // 4 GiB - 1 GiB PostgreSQL - 768 MiB = 2304 MiB; (2304 - 150) / 2 processes = 1077 MiB
    expect(s.limitMemoryHard).toBe(1077 * MiB);
  });

  it("GIVEN more heavy requests THEN the limits scale with the docs' per-worker estimate", () => {
    const base = sizeOdoo({ cpus: 4, ramBytes: 64 * GiB }, { users: 60 }, { postgres: "elsewhere" });
    const heavy = sizeOdoo({ cpus: 4, ramBytes: 64 * GiB }, { users: 60 }, { postgres: "elsewhere", heavyRatio: 0.5 });
    // 0.5 x 150 + 0.5 x 1024 = 587 MiB per worker, 1.807 times the 80/20 mix's 324.8 MiB
    expect(heavy.limitMemoryHard).toBe(Math.floor((1600 * 587) / 324.8) * MiB);
    expect(heavy.limitMemorySoft).toBe(Math.floor((600 * 587) / 324.8) * MiB);
    expect(heavy.limitMemoryHard).toBeGreaterThan(base.limitMemoryHard);
    // all light: the soft limit stays at the measured floor, the hard one at 768 MiB
    const light = sizeOdoo({ cpus: 4, ramBytes: 64 * GiB }, { users: 60 }, { heavyRatio: 0 });
    expect(light.limitMemorySoft).toBe(MIN_LIMIT_MEMORY_SOFT);
    expect(light.limitMemoryHard).toBe(MIN_HARD);
  });

  it("GIVEN --split-cron THEN the web instance runs no cron and a cron-only instance gets its own memory and CPU", () => {
    const s = sizeOdoo({ cpus: 8, ramBytes: 32 * GiB }, { users: 80 }, { splitCron: true, odooMajor: 17 });
    expect(s.maxCronThreads).toBe(0);
    expect(s.cron).toMatchObject({ threads: 2, containerCpus: 2 });
    // the cron workers still count against the CPU budget: 2 x 7 + 1 - 2 = 13
    expect(s.workers).toBe(13);
    // pools: 13 workers x 8 + gevent 16 + cron 2 x 8 = 136, + 20 reserve
    expect(s.postgresMaxConnections).toBe(156);
    expect(s.why.max_connections).toContain("13 workers x 8 + gevent 16 + cron instance 2 x 8 = 136");
  });

  it("GIVEN Odoo 17+ THEN db_maxconn is small and the gevent pool is sized apart; before 17 they share", () => {
    const v17 = sizeOdoo({ cpus: 4, ramBytes: 16 * GiB }, { users: 60 }, { odooMajor: 17 });
    expect([v17.dbMaxconn, v17.dbMaxconnGevent]).toEqual([8, 16]);
    const v16 = sizeOdoo({ cpus: 4, ramBytes: 16 * GiB }, { users: 60 }, { odooMajor: 16 });
    expect([v16.dbMaxconn, v16.dbMaxconnGevent]).toEqual([16, undefined]);
  });

  it("GIVEN PostgreSQL elsewhere THEN Odoo gets the whole host minus the OS reserve", () => {
    const shared = sizeOdoo({ cpus: 4, ramBytes: 8 * GiB }, { users: 50 });
    const elsewhere = sizeOdoo({ cpus: 4, ramBytes: 8 * GiB }, { users: 50 }, { postgres: "elsewhere" });
    expect(shared.postgresMemory).toBe(2 * GiB);
    expect(elsewhere.containerMemory).toBeGreaterThan(shared.containerMemory);
    expect(elsewhere.why.memory).toContain("PostgreSQL runs elsewhere");
  });

  it("refuses hosts too small for prefork Odoo and bad numbers", () => {
    expect(() => sizeOdoo({ cpus: 2, ramBytes: 3 * GiB }, { users: 5 })).toThrow(UserError);
    expect(() => sizeOdoo({ cpus: 0, ramBytes: 8 * GiB }, { users: 5 })).toThrow(/CPUs/);
    expect(() => sizeOdoo({ cpus: 2, ramBytes: 8 * GiB }, { users: 0 })).toThrow(/users/);
    expect(() => sizeOdoo({ cpus: 2, ramBytes: 8 * GiB }, { users: 5 }, { heavyRatio: 1.5 })).toThrow(/heavy-request ratio/);
  });
});
