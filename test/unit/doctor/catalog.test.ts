import { describe, expect, it } from "vitest";
import { SignatureMatcher, parseHeader } from "../../../src/doctor/scan/index.js";
import { SIGNATURES, signatureById } from "../../../src/doctor/signatures/index.js";

describe("signature catalog", () => {
  it("has at least 25 signatures with unique kebab-case ids and every field filled", () => {
    expect(SIGNATURES.length).toBeGreaterThanOrEqual(25);
    expect(new Set(SIGNATURES.map((s) => s.id)).size).toBe(SIGNATURES.length);
    for (const s of SIGNATURES) {
      expect(s.id).toMatch(/^[a-z0-9]+(?:-[a-z0-9]+)*$/);
      expect(s.patterns.length, s.id).toBeGreaterThan(0);
      for (const text of [s.title, s.meaning, s.cause, s.fix, s.example ?? ""]) expect(text.trim().length, s.id).toBeGreaterThan(5);
      expect(s.category, s.id).toBeDefined();
      for (const p of [...s.patterns, ...(s.exclude ?? [])]) expect(p.global || p.sticky, `${s.id} ${p}`).toBe(false);
    }
  });

  it("covers every area the issue names", () => {
    expect(new Set(SIGNATURES.map((s) => s.category))).toEqual(new Set(["workers", "server", "cron", "postgresql", "database", "modules", "reports", "mail", "filesystem", "proxy", "security"]));
  });

  it("GIVEN each signature's own example line WHEN matched (as a record line or a traceback line) THEN it is recognised as that signature", () => {
    const m = new SignatureMatcher(SIGNATURES);
    for (const s of SIGNATURES) {
      const ex = s.example ?? "";
      const h = parseHeader(ex);
      const got = h ? m.match(h.level, h.logger, h.message, []) : m.match("ERROR", "odoo.http", "Exception during request handling. ", [ex]);
      expect(got.map((x) => x.signature.id), `${s.id}: ${ex}`).toContain(s.id);
    }
  });

  it("GIVEN the fallback for request errors WHEN a specific signature explains the traceback THEN only the specific one counts", () => {
    const m = new SignatureMatcher(SIGNATURES);
    const specific = m.match("ERROR", "odoo.http", "Exception during request handling. ", ["RuntimeError: Couldn't bind the websocket. Is the connection opened on the evented port (8072)?"]);
    expect(specific.map((x) => x.signature.id)).toEqual(["websocket-not-routed"]);
    const generic = m.match("ERROR", "odoo.http", "Exception during request handling. ", ["ZeroDivisionError: division by zero"]);
    expect(generic.map((x) => x.signature.id)).toEqual(["request-exception"]);
  });

  it("GIVEN an INFO line of a logger no signature names WHEN matched THEN nothing is tested (fast path)", () => {
    const m = new SignatureMatcher(SIGNATURES);
    expect(m.candidates("INFO", "odoo.modules.loading")).toEqual([]);
    expect(m.candidates("INFO", "werkzeug")).toEqual([]);
    expect(m.candidates("INFO", "odoo.service.server").map((s) => s.id)).toContain("worker-timeout");
  });

  it("GIVEN text that only looks similar THEN no false positive (a healthy start, PostgreSQL's normal shutdown LOG line)", () => {
    const m = new SignatureMatcher(SIGNATURES);
    expect(m.match("INFO", "odoo.service.server", "HTTP service (werkzeug) running on 127.0.0.1:18069 ", [])).toEqual([]);
    expect(m.match("INFO", "odoo.service.server", "Worker WorkerHTTP (19581) alive ", [])).toEqual([]);
    expect(m.match("INFO", "postgresql", "database system is shut down", [])).toEqual([]);
    expect(m.match("INFO", "odoo.addons.base.models.res_users", "Login successful for db:acme login:admin from 127.0.0.1 ", [])).toEqual([]);
    expect(signatureById("worker-timeout")?.severity).toBe("error");
  });
});
