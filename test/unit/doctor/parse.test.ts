import { describe, expect, it } from "vitest";
import { isExceptionLine, parseAccess, parseHeader, parseOdooLine, parseRecords, unwrapLine } from "../../../src/doctor/scan/index.js";

describe("Odoo log line parser", () => {
  it("GIVEN a real Odoo 17 line WHEN parsed THEN time (UTC), pid, level, db, logger and message come out", () => {
    const h = parseOdooLine("2026-11-27 01:57:34,114 2368 INFO ? odoo.service.server: Worker (2368) CPU time limit (1) reached. ");
    expect(h).toEqual({ time: Date.UTC(2026, 10, 27, 1, 57, 34, 114), pid: 2368, level: "INFO", db: undefined, logger: "odoo.service.server", message: "Worker (2368) CPU time limit (1) reached. " });
  });

  it("GIVEN db '?' or 'None' THEN no database; a real name is kept", () => {
    expect(parseOdooLine("2026-11-27 01:54:56,997 18851 INFO None werkzeug: x")?.db).toBeUndefined();
    expect(parseOdooLine("2026-11-27 01:54:56,997 18851 INFO acme_test werkzeug: x")?.db).toBe("acme_test");
  });

  it("GIVEN lines that are not Odoo records THEN undefined (traceback frames, exception lines, blank, truncated)", () => {
    for (const l of ["Traceback (most recent call last):", '  File "/opt/odoo/src/odoo/http.py", line 2189, in __call__', "KeyError: 'socket'", "", "2026-11-27 01:54:56,997", "2026-11-27 01:54:56,997 abc INFO ? x: y", "2026-11-27 01:54:56,997 1 NOTALEVEL ? x: y"]) {
      expect(parseOdooLine(l)).toBeUndefined();
    }
  });

  it("GIVEN a record with an empty message ('logger:' at the end) THEN it is still a record", () => {
    expect(parseOdooLine("2026-11-27 02:09:31,335 13422 WARNING acme odoo.addons.base.models.ir_cron:")?.message).toBe("");
  });

  it("GIVEN a coloured level (Odoo on a TTY, Doodba devel has tty: true) THEN the colours are stripped", () => {
    const h = parseHeader("2026-11-27 01:57:34,114 2368 \u001b[1;31m\u001b[1;49mERROR\u001b[0m acme odoo.http: boom");
    expect(h).toMatchObject({ level: "ERROR", db: "acme", logger: "odoo.http", message: "boom" });
  });

  it("GIVEN `docker compose logs` and `docker logs --timestamps` wrappers THEN the Odoo record inside is parsed", () => {
    const line = "2026-11-27 01:56:48,941 988 ERROR ? odoo.service.server: WorkerHTTP (1022) timeout after 2s ";
    expect(parseHeader(`odoo-1  | ${line}`)).toMatchObject({ level: "ERROR", logger: "odoo.service.server" });
    expect(parseHeader(`myproj_odoo_1 | ${line}`)).toMatchObject({ pid: 988 });
    expect(parseHeader(`2026-11-27T01:56:48.941123456Z ${line}`)).toMatchObject({ pid: 988 });
    expect(unwrapLine("odoo-1  |   File \"x.py\", line 1")).toBe('  File "x.py", line 1');
  });

  it("GIVEN PostgreSQL (Docker log_line_prefix '%m [%p] ') and nginx error lines THEN they are records with their own logger", () => {
    expect(parseHeader("2026-11-27 02:10:09.331 UTC [57] FATAL:  remaining connection slots are reserved for non-replication superuser connections")).toMatchObject({
      time: Date.UTC(2026, 10, 27, 2, 10, 9, 331),
      pid: 57,
      level: "CRITICAL",
      logger: "postgresql",
      message: "remaining connection slots are reserved for non-replication superuser connections",
    });
    // DETAIL/STATEMENT belong to the record before
    expect(parseHeader("2026-11-27 02:10:09.331 UTC [57] STATEMENT:  SELECT 1")).toBeUndefined();
    expect(parseHeader("2026/11/27 03:00:00 [error] 31#31: *1 upstream timed out (110: Connection timed out) while reading response header from upstream")).toMatchObject({
      level: "ERROR",
      logger: "nginx",
      pid: 31,
    });
  });

  it("exception lines are the meaningful ones of a traceback (not frames, code, or the banners)", () => {
    expect(isExceptionLine("psycopg2.OperationalError: boom")).toBe(true);
    expect(isExceptionLine("Exception in thread odoo.service.cron.cron0:")).toBe(true);
    expect(isExceptionLine("\tThis probably means the server terminated abnormally")).toBe(true);
    expect(isExceptionLine('  File "x.py", line 1, in f')).toBe(false);
    expect(isExceptionLine("Traceback (most recent call last):")).toBe(false);
    expect(isExceptionLine("During handling of the above exception, another exception occurred:")).toBe(false);
    expect(isExceptionLine("")).toBe(false);
  });
});

describe("access lines", () => {
  it("GIVEN a werkzeug line with Odoo's perf columns THEN status, path without query string, queries, SQL and other time", () => {
    expect(parseAccess('127.0.0.1 - - [27/Nov/2026 01:55:14] "GET /no/such/page?db=acme&token=s3cret HTTP/1.1" 404 - 3 0.003 0.007', false)).toEqual({
      method: "GET",
      path: "/no/such/page",
      status: 404,
      queries: 3,
      sqlSeconds: 0.003,
      otherSeconds: 0.007,
      totalSeconds: 0.01,
    });
  });

  it("GIVEN a werkzeug line without perf columns (old Odoo) THEN status only; a gevent line THEN its duration", () => {
    expect(parseAccess('10.0.0.1 - - [27/Nov/2026 01:55:14] "POST /web/dataset/call_kw HTTP/1.0" 200 -', false)).toEqual({ method: "POST", path: "/web/dataset/call_kw", status: 200 });
    expect(parseAccess('127.0.0.1 - - [2026-11-27 02:09:19] "GET /websocket HTTP/1.1" 101 450 0.613348 ', true)).toMatchObject({ path: "/websocket", status: 101, totalSeconds: 0.613348 });
  });

  it("GIVEN other werkzeug messages THEN undefined", () => {
    expect(parseAccess("Error on request:", false)).toBeUndefined();
    expect(parseAccess('127.0.0.1 - - [x] code 400, message Bad request syntax ("\\x16\\x03")', false)).toBeUndefined();
  });
});

describe("records", () => {
  it("GIVEN a record followed by a traceback THEN one record with the traceback as extra lines; trailing blanks dropped", () => {
    const text = [
      "2026-11-27 02:09:16,746 11643 ERROR acme odoo.http: Exception during request handling. ",
      "Traceback (most recent call last):",
      '  File "/opt/odoo/src/odoo/addons/bus/websocket.py", line 836, in open_connection',
      "KeyError: 'socket'",
      "",
      "2026-11-27 02:09:16,749 11643 INFO acme werkzeug: x",
    ].join("\r\n");
    const recs = parseRecords(text, "ws.log");
    expect(recs).toHaveLength(2);
    expect(recs[0]).toMatchObject({ level: "ERROR", db: "acme", line: 1, file: "ws.log", message: "Exception during request handling." });
    expect(recs[0]?.extra).toEqual(["Traceback (most recent call last):", '  File "/opt/odoo/src/odoo/addons/bus/websocket.py", line 836, in open_connection', "KeyError: 'socket'"]);
    expect(recs[1]?.line).toBe(6);
  });

  it("GIVEN a file that starts mid-traceback THEN the orphan line is a record of its own, without level", () => {
    const recs = parseRecords("OSError: [Errno 98] Address already in use\n2026-11-27 02:13:06,536 18112 INFO ? odoo.service.server: Initiating shutdown \n");
    expect(recs[0]).toMatchObject({ message: "OSError: [Errno 98] Address already in use", line: 1 });
    expect(recs[0]?.level).toBeUndefined();
  });
});
