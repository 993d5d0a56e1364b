import { describe, expect, it } from "vitest";
import { findingsFromScan, rankDoctorFindings } from "../../../src/doctor/findings.js";
import { scanText } from "../../../src/doctor/scan/index.js";
import type { DoctorFinding } from "../../../src/doctor/types.js";

const t = (m: number, s = 0) => `2026-11-27 02:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")},000`;

describe("findings from a scan", () => {
  it("GIVEN several signatures THEN most severe first, then most frequent, with evidence (count, first/last seen, databases, samples)", () => {
    const log = [
      ...Array.from({ length: 3 }, (_, i) => `${t(1, i)} 1 INFO acme odoo.service.server: Worker (${i}) virtual memory limit (262664192) reached. `),
      `${t(2)} 1 CRITICAL ? odoo.service.server: Failed to initialize database \`nosuchdb\`. `,
      ...Array.from({ length: 5 }, (_, i) => `${t(3, i)} 1 INFO acme odoo.service.server: Worker (${i}) max request (8192) reached. `),
    ].join("\n");
    const f = findingsFromScan(scanText(log, "odoo.log"));
    expect(f.map((x) => [x.id, x.severity, x.count])).toEqual([
      ["database-init-failed", "critical", 1],
      ["worker-memory-soft-limit", "warning", 3],
      ["worker-max-request", "info", 5],
    ]);
    expect(f[1]?.evidence).toEqual([
      "3 occurrences between 2026-11-27 02:01:00 and 2026-11-27 02:01:02",
      "databases: acme",
      "odoo.log:1: 2026-11-27 02:01:00,000 1 INFO acme odoo.service.server: Worker (0) virtual memory limit (262664192) reached.",
      "odoo.log:2: 2026-11-27 02:01:01,000 1 INFO acme odoo.service.server: Worker (1) virtual memory limit (262664192) reached.",
      "odoo.log:3: 2026-11-27 02:01:02,000 1 INFO acme odoo.service.server: Worker (2) virtual memory limit (262664192) reached.",
    ]);
    expect(f[1]?.fix).toContain("limit_memory_soft");
    expect(f[1]?.origin).toBe("logs");
  });

  it("GIVEN workers recycled many times a minute THEN the memory finding becomes an error (spawn loop)", () => {
    const log = Array.from({ length: 30 }, (_, i) => `${t(1, i)} 1 INFO ? odoo.service.server: Worker (${i}) virtual memory limit (209715200) reached. `).join("\n");
    const f = findingsFromScan(scanText(log)).find((x) => x.id === "worker-memory-soft-limit");
    expect(f?.severity).toBe("error");
    expect(f?.evidence[1]).toMatch(/recycles per minute/);
  });

  it("GIVEN failed logins from one address above the threshold THEN a warning naming it; x10 THEN an error; mostly from a private address THEN proxy_mode is suspected", () => {
    const lines = (n: number, ip: string) => Array.from({ length: n }, (_, i) => `${t(4, i % 60)} 1 INFO acme odoo.addons.base.models.res_users: Login failed for db:acme login:user${i % 3} from ${ip} `);
    const warn = findingsFromScan(scanText([...lines(12, "203.0.113.7"), ...lines(2, "198.51.100.1")].join("\n"))).find((x) => x.id === "login-failed");
    expect(warn?.severity).toBe("warning");
    expect(warn?.title).toContain("203.0.113.7");
    expect(warn?.evidence[1]).toBe("203.0.113.7: 12 (logins: user0, user1, user2; databases: acme)");
    const err = findingsFromScan(scanText(lines(100, "172.18.0.5").join("\n"))).find((x) => x.id === "login-failed");
    expect(err?.severity).toBe("error");
    expect(err?.evidence.join("\n")).toContain("proxy_mode is off");
  });

  it("GIVEN 5xx answers THEN an http-5xx finding with the rate, the worst minute and the paths", () => {
    const log = [
      `${t(5)} 1 INFO acme werkzeug: 1.1.1.1 - - [x] "GET /web HTTP/1.1" 200 - 1 0.001 0.001`,
      `${t(5, 1)} 1 INFO acme werkzeug: 1.1.1.1 - - [x] "POST /jsonrpc HTTP/1.1" 500 - 1 0.001 0.001`,
      `${t(5, 2)} 1 INFO acme werkzeug: 1.1.1.1 - - [x] "POST /jsonrpc HTTP/1.1" 500 - 1 0.001 0.001`,
      `${t(6)} 1 INFO acme werkzeug: 1.1.1.1 - - [x] "GET /web/image HTTP/1.1" 503 - 1 0.001 0.001`,
    ].join("\n");
    const f = findingsFromScan(scanText(log)).find((x) => x.id === "http-5xx");
    expect(f?.severity).toBe("error");
    expect(f?.count).toBe(3);
    expect(f?.evidence).toEqual(["3 of 4 requests (75.0%) answered 5xx (500: 2, 503: 1)", "worst minute: 2026-11-27 02:05 with 2", "/jsonrpc: 2", "/web/image: 1"]);
  });

  it("GIVEN slow requests THEN the slowest with their SQL/other split, and which side dominates", () => {
    const log = `${t(7)} 1 INFO acme werkzeug: 1.1.1.1 - - [x] "POST /web/dataset/call_kw/sale.order/read HTTP/1.1" 200 - 15234 71.002 3.5`;
    const f = findingsFromScan(scanText(log)).find((x) => x.id === "slow-requests");
    expect(f?.severity).toBe("warning");
    expect(f?.evidence[0]).toBe("74.502 s /web/dataset/call_kw/sale.order/read -> 200 (15234 queries, SQL 71.002 s, other 3.500 s) at 2026-11-27 02:07:00");
    expect(f?.cause).toMatch(/SQL/);
  });

  it("GIVEN an empty scan THEN no findings", () => {
    expect(findingsFromScan(scanText(""))).toEqual([]);
  });

  it("ranking is stable: severity, then count, then id", () => {
    const mk = (id: string, severity: DoctorFinding["severity"], count: number): DoctorFinding => ({ id, severity, count, title: id, evidence: [], cause: "", fix: "", origin: "logs" });
    expect(rankDoctorFindings([mk("b", "warning", 5), mk("a", "warning", 5), mk("c", "error", 1), mk("d", "warning", 9)]).map((f) => f.id)).toEqual(["c", "d", "a", "b"]);
  });
});
