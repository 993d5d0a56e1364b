/**
 * Every real Odoo 17 log in ../shared/fixtures/odoo17/logs/ is recognised for what it is: the
 * signatures the README says the capture shows, and no unrelated error or critical one.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findingsFromScan } from "../../src/doctor/findings.js";
import { scanText } from "../../src/doctor/scan/index.js";
import { signatureById } from "../../src/doctor/signatures/index.js";
import type { ScanResult } from "../../src/doctor/types.js";
import { ODOO17 } from "../helpers/project.js";

const LOGS = join(ODOO17, "logs");

function scan(name: string): ScanResult {
  return scanText(readFileSync(join(LOGS, name), "utf8"), name);
}

function ids(r: ScanResult): string[] {
  return r.hits.map((h) => h.signatureId).sort();
}

function count(r: ScanResult, id: string): number {
  return r.hits.find((h) => h.signatureId === id)?.count ?? 0;
}

/** Hits of severity error or critical that are not in `allowed`. */
function unrelatedSevere(r: ScanResult, allowed: string[]): string[] {
  return r.hits
    .map((h) => h.signatureId)
    .filter((id) => !allowed.includes(id))
    .filter((id) => {
      const sev = signatureById(id)?.severity;
      return sev === "critical" || sev === "error";
    });
}

// Every capture ran without wkhtmltopdf (README: "No wkhtmltopdf"), so that warning is expected everywhere.
const ALWAYS = ["wkhtmltopdf-missing"];

describe("real Odoo 17 logs are recognised", () => {
  it("covers every fixture log", () => {
    const covered = ["address-in-use.log", "cpu-limit.log", "db-down.log", "db-not-exist.log", "install-mail.log", "login-failed.log", "memory-limit.log", "missing-module.log", "startup-threaded.log", "startup-workers.log", "too-many-connections.log", "websocket-not-routed.log", "worker-timeout.log"];
    expect(readdirSync(LOGS).filter((f) => f.endsWith(".log")).sort()).toEqual(covered);
  });

  it("startup-threaded.log: a healthy start is clean (only the missing wkhtmltopdf), 7 requests parsed", () => {
    const r = scan("startup-threaded.log");
    expect(ids(r)).toEqual(ALWAYS);
    expect(r.unrecognised).toBeUndefined();
    expect(r.requests.total).toBe(7);
    expect(r.requests.byStatus).toEqual({ "200": 6, "404": 1 });
    expect(r.requests.slowest[0]).toMatchObject({ path: "/jsonrpc", status: 200, queries: 17, sqlSeconds: 0.01, otherSeconds: 0.33, totalSeconds: 0.34 });
  });

  it("startup-workers.log: a healthy prefork start is clean; the gevent access line counts (websocket health)", () => {
    const r = scan("startup-workers.log");
    expect(ids(r)).toEqual(ALWAYS);
    expect(r.requests.total).toBe(8);
    expect(r.requests.slowest.some((s) => s.path === "/websocket/health" && s.totalSeconds === 0.417326)).toBe(true);
  });

  it("install-mail.log (--logfile, 23 modules installed) is clean", () => {
    const r = scan("install-mail.log");
    expect(ids(r)).toEqual(ALWAYS);
    expect(r.errorTimeline).toEqual({});
  });

  it("worker-timeout.log: limit_time_real kills, several PIDs, escalated to critical because 2 s is below the heartbeat", () => {
    const r = scan("worker-timeout.log");
    expect(ids(r)).toEqual(["wkhtmltopdf-missing", "worker-timeout"]);
    expect(count(r, "worker-timeout")).toBe(17);
    const f = findingsFromScan(r).find((x) => x.id === "worker-timeout");
    expect(f?.severity).toBe("critical");
    expect(f?.evidence.join("\n")).toContain("below the prefork heartbeat");
    expect(Object.values(r.errorTimeline).reduce((a, b) => a + b, 0)).toBe(17);
  });

  it("cpu-limit.log: three CPU-limit kills; the worker's exit traceback is explained, not a separate error", () => {
    const r = scan("cpu-limit.log");
    expect(ids(r)).toEqual(["wkhtmltopdf-missing", "worker-cpu-limit"]);
    expect(count(r, "worker-cpu-limit")).toBe(3);
    expect(r.unrecognised).toBeUndefined();
  });

  it("memory-limit.log: two soft-limit recycles (the VMS is in the line), in database acme", () => {
    const r = scan("memory-limit.log");
    expect(ids(r)).toEqual(["wkhtmltopdf-missing", "worker-memory-soft-limit"]);
    const hit = r.hits.find((h) => h.signatureId === "worker-memory-soft-limit");
    expect(hit?.count).toBe(2);
    expect(hit?.databases).toEqual(["acme"]);
    expect(hit?.samples[0]?.text).toContain("virtual memory limit (262664192) reached");
  });

  it("websocket-not-routed.log: two 500s on /websocket at the HTTP port, recognised as the routing problem", () => {
    const r = scan("websocket-not-routed.log");
    expect(ids(r)).toEqual(["websocket-not-routed", "wkhtmltopdf-missing"]);
    expect(count(r, "websocket-not-routed")).toBe(2);
    expect(r.requests.byStatus["500"]).toBe(2);
    expect(r.requests.errorPaths).toEqual([{ path: "/websocket", count: 2 }]);
    const findings = findingsFromScan(r).map((f) => f.id);
    expect(findings).toContain("http-5xx");
    expect(unrelatedSevere(r, ["websocket-not-routed"])).toEqual([]);
  });

  it("db-down.log: PostgreSQL unreachable, and the threaded cron threads died", () => {
    const r = scan("db-down.log");
    expect(ids(r)).toEqual(["cron-thread-died", "db-unreachable", "wkhtmltopdf-missing"]);
    expect(count(r, "cron-thread-died")).toBe(2);
    expect(count(r, "db-unreachable")).toBe(3);
    expect(r.unrecognised).toBeUndefined();
  });

  it("too-many-connections.log: connection slots exhausted (both PostgreSQL messages), nothing unrelated", () => {
    const r = scan("too-many-connections.log");
    expect(ids(r)).toEqual(["pg-connection-slots-exhausted", "wkhtmltopdf-missing"]);
    const hit = r.hits.find((h) => h.signatureId === "pg-connection-slots-exhausted");
    expect(hit?.count).toBeGreaterThanOrEqual(8);
    expect(hit?.samples.some((s) => s.text.includes("remaining connection slots are reserved"))).toBe(true);
    expect(r.unrecognised).toBeUndefined();
  });

  it("missing-module.log: module not loadable, unknown module name, and the field it defined", () => {
    const r = scan("missing-module.log");
    expect(ids(r)).toEqual(["field-missing", "module-not-loadable", "module-unknown-name", "wkhtmltopdf-missing"]);
    expect(r.hits.find((h) => h.signatureId === "module-not-loadable")?.databases).toEqual(["acme_test"]);
    expect(unrelatedSevere(r, ["field-missing", "module-not-loadable"])).toEqual([]);
  });

  it("db-not-exist.log: database not found, start-up initialisation failed, role without CREATEDB", () => {
    const r = scan("db-not-exist.log");
    for (const id of ["database-not-found", "database-init-failed", "db-create-denied"]) expect(ids(r)).toContain(id);
    // the acme_test database of this capture also lacks acme_extra (README): that one is real too
    expect(unrelatedSevere(r, ["database-not-found", "database-init-failed", "module-not-loadable"])).toEqual([]);
    expect(r.unrecognised).toBeUndefined();
  });

  it("address-in-use.log: both attempts (threaded and prefork) are recognised", () => {
    const r = scan("address-in-use.log");
    expect(ids(r)).toEqual(["address-in-use", "wkhtmltopdf-missing"]);
    expect(count(r, "address-in-use")).toBe(2);
  });

  it("login-failed.log: six failed logins, five from 127.0.0.1 and one from n/a (RPC); below the threshold: info", () => {
    const r = scan("login-failed.log");
    expect(ids(r)).toEqual(["login-failed", "wkhtmltopdf-missing"]);
    expect(r.failedLogins).toEqual([
      { ip: "127.0.0.1", count: 5, logins: ["admin", "ghost@example.com"], databases: ["acme"] },
      { ip: "n/a", count: 1, logins: ["admin"], databases: ["acme"] },
    ]);
    const f = findingsFromScan(r).find((x) => x.id === "login-failed");
    expect(f?.severity).toBe("info");
    expect(findingsFromScan(r, { failedLoginThreshold: 5 }).find((x) => x.id === "login-failed")?.severity).toBe("warning");
  });

  it("the same log through `docker compose logs` (service prefix) or `docker logs --timestamps` gives the same findings", () => {
    const text = readFileSync(join(LOGS, "db-down.log"), "utf8");
    const plain = scan("db-down.log");
    const prefixed = scanText(text.replace(/^(?=.)/gm, "odoo-1  | "), "db-down.log");
    const stamped = scanText(text.replace(/^(?=.)/gm, "2026-11-27T02:09:29.318123456Z "), "db-down.log");
    for (const r of [prefixed, stamped]) {
      expect(r.hits).toEqual(plain.hits.map((h) => ({ ...h, samples: r.hits.find((x) => x.signatureId === h.signatureId)?.samples })));
      expect(r.requests).toEqual(plain.requests);
    }
  });

  it("all logs at once: one result, every expected signature, records counted across files", () => {
    const names = readdirSync(LOGS).filter((f) => f.endsWith(".log")).sort();
    const text = names.map((n) => readFileSync(join(LOGS, n), "utf8")).join("");
    const r = scanText(text, "all.log");
    expect(ids(r)).toEqual(
      expect.arrayContaining(["address-in-use", "cron-thread-died", "database-init-failed", "database-not-found", "db-unreachable", "login-failed", "module-not-loadable", "pg-connection-slots-exhausted", "websocket-not-routed", "worker-cpu-limit", "worker-memory-soft-limit", "worker-timeout"]),
    );
    expect(r.unrecognised).toBeUndefined();
  });
});
