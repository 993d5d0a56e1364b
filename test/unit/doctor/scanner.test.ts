import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LogScanner, MAX_LINE, maskSecrets, scanSource, scanSources, scanText } from "../../../src/doctor/scan/index.js";
import { ODOO17 } from "../../helpers/project.js";

const WS = readFileSync(join(ODOO17, "logs", "websocket-not-routed.log"), "utf8");

/** Cuts a text into chunks of `size` bytes, splitting lines and multi-byte characters. */
function chunks(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) out.push(buf.subarray(i, i + size));
  return out;
}

describe("streaming scanner", () => {
  it("GIVEN a log in 7-byte chunks WHEN streamed THEN the result equals scanning the whole text", async () => {
    const whole = scanText(WS, "ws.log");
    const streamed = await scanSources([{ name: "ws.log", stream: Readable.from(chunks(Buffer.from(WS), 7)) }]);
    expect(streamed).toEqual(whole);
  });

  it("GIVEN a gzip stream (detected from its magic bytes, whatever the name) THEN it is inflated and scanned", async () => {
    const gz = gzipSync(Buffer.from(WS));
    const r = await scanSources([{ name: "odoo.log.1", stream: Readable.from(chunks(gz, 1000)) }]);
    expect(r.hits.find((h) => h.signatureId === "websocket-not-routed")?.count).toBe(2);
    expect(r.bytes).toBe(Buffer.byteLength(WS));
  });

  it("GIVEN several inputs THEN they add up and samples name their file and line", async () => {
    const r = await scanSources([
      { name: "a.log", stream: Readable.from([Buffer.from(WS)]) },
      { name: "b.log.gz", stream: Readable.from([gzipSync(Buffer.from(WS))]) },
    ]);
    expect(r.files).toEqual(["a.log", "b.log.gz"]);
    const hit = r.hits.find((h) => h.signatureId === "websocket-not-routed");
    expect(hit?.count).toBe(4);
    expect(hit?.samples[0]).toEqual({ file: "a.log", line: 71, text: "RuntimeError: Couldn't bind the websocket. Is the connection opened on the evented port (18072)?" });
    expect(hit?.samples.length).toBe(3);
  });

  it("GIVEN UTF-8 split across chunks and a last line without newline THEN both survive", async () => {
    const text = "2026-11-27 02:13:31,292 1 INFO acme odoo.addons.base.models.res_users: Login failed for db:acme login:jürgen@exämple.com from 10.0.0.9";
    const r = await scanSources([{ name: "-", stream: Readable.from(chunks(Buffer.from(text), 3)) }]);
    expect(r.failedLogins).toEqual([{ ip: "10.0.0.9", count: 1, logins: ["jürgen@exämple.com"], databases: ["acme"] }]);
  });

  it("GIVEN a line longer than the limit THEN it is cut, counted, and the next line is read normally", async () => {
    const long = `2026-11-27 02:13:31,292 1 ERROR acme odoo.http: ${"x".repeat(2 * MAX_LINE + 10)}\nOSError: [Errno 24] Too many open files\n`;
    const r = await scanSources([{ name: "big.log", stream: Readable.from(chunks(Buffer.from(long), 65536)) }]);
    expect(r.truncatedLines).toBe(1);
    const r2 = await scanSources([{ name: "big.log", stream: Readable.from([Buffer.from(long)]) }]);
    expect(r2.truncatedLines).toBe(1);
    expect(r2.hits.map((h) => h.signatureId)).toEqual(["too-many-open-files"]);
    expect(r.hits.map((h) => h.signatureId)).toEqual(["too-many-open-files"]);
  });

  it("GIVEN --since WHEN records are older THEN they are skipped (with their tracebacks) and counted", () => {
    const since = Date.UTC(2026, 10, 27, 2, 9, 18);
    const r = scanText(WS, "ws.log", { since });
    expect(r.hits.find((h) => h.signatureId === "websocket-not-routed")?.count).toBe(1);
    expect(r.skippedBeforeSince).toBeGreaterThan(20);
    expect(r.firstTime).toBeGreaterThanOrEqual(since);
  });

  it("GIVEN ERROR records no signature knows THEN they are grouped by exception line, numbers blanked", () => {
    const log = [1, 2, 3]
      .map((i) => `2026-11-27 02:1${i}:00,000 7 ERROR acme odoo.addons.sale.models.sale_order: Exception during confirm\nTraceback (most recent call last):\n  File "x.py", line ${i}, in f\nZeroDivisionError: division by zero (order ${i})`)
      .join("\n");
    const r = scanText(log);
    expect(r.unrecognised).toEqual([
      { key: "ZeroDivisionError: division by zero (order N)", level: "ERROR", count: 3, firstSeen: Date.UTC(2026, 10, 27, 2, 11), lastSeen: Date.UTC(2026, 10, 27, 2, 13), databases: ["acme"], sample: { file: "-", line: 1, text: "2026-11-27 02:11:00,000 7 ERROR acme odoo.addons.sale.models.sale_order: Exception during confirm" } },
    ]);
    expect(Object.keys(r.errorTimeline)).toHaveLength(3);
  });

  it("GIVEN access lines THEN status counts, 5xx per minute and the N slowest (sorted) are kept, no more", () => {
    const lines: string[] = [];
    for (let i = 0; i < 50; i++) {
      const status = i % 10 === 0 ? 502 : 200;
      lines.push(`2026-11-27 02:0${Math.floor(i / 10)}:00,000 9 INFO acme werkzeug: 1.2.3.4 - - [x] "GET /p/${i}?token=abc HTTP/1.1" ${status} - ${i} 0.${String(i).padStart(3, "0")} 1.000`);
    }
    const r = scanText(lines.join("\n"), "-", { slowest: 3 });
    expect(r.requests.total).toBe(50);
    expect(r.requests.byStatus).toEqual({ "200": 45, "502": 5 });
    expect(Object.values(r.requests.errorsPerMinute)).toEqual([1, 1, 1, 1, 1]);
    expect(r.requests.slowest.map((s) => s.path)).toEqual(["/p/49", "/p/48", "/p/47"]);
    expect(r.requests.slowest[0]).toMatchObject({ queries: 49, sqlSeconds: 0.049, otherSeconds: 1, totalSeconds: 1.049 });
  });

  it("GIVEN a huge log WHEN scanned THEN what is kept stays bounded (samples, databases)", () => {
    const sc = new LogScanner();
    sc.beginFile("x");
    for (let i = 0; i < 5000; i++) sc.line(`2026-11-27 02:00:00,000 9 ERROR db${i} odoo.service.server: WorkerHTTP (${i}) timeout after 120s `);
    sc.endFile();
    const hit = sc.result().hits[0];
    expect(hit?.count).toBe(5000);
    expect(hit?.samples).toHaveLength(3);
    expect(hit?.databases.length).toBe(20);
  });

  it("GIVEN `docker compose logs` of odoo, db and nginx interleaved THEN PostgreSQL and proxy signatures are found in their own lines", () => {
    const log = [
      "db-1     | 2026-11-27 02:10:09.331 UTC [57] FATAL:  sorry, too many clients already",
      "db-1     | 2026-11-27 02:10:09.332 UTC [58] FATAL:  remaining connection slots are reserved for roles with the SUPERUSER attribute",
      "db-1     | 2026-11-27 02:10:09.400 UTC [1] LOG:  checkpoint starting: time",
      "nginx-1  | 2026/11/27 02:10:10 [error] 31#31: *9 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 203.0.113.7, server: erp.example.com",
      "nginx-1  | 2026/11/27 02:10:11 [error] 31#31: *10 connect() failed (111: Connection refused) while connecting to upstream, client: 203.0.113.7, server: erp.example.com",
      "odoo-1   | 2026-11-27 02:10:12,000 1 INFO ? odoo.service.server: HTTP service (werkzeug) running on 0.0.0.0:8069 ",
    ].join("\n");
    const r = scanText(log);
    expect(r.hits.map((h) => [h.signatureId, h.count])).toEqual([
      ["pg-connection-slots-exhausted", 2],
      ["proxy-upstream-unreachable", 1],
      ["proxy-upstream-timeout", 1],
    ]);
    expect(r.errorTimeline).toEqual({ [String(Date.UTC(2026, 10, 27, 2, 10))]: 4 });
  });

  it("sample lines never show passwords or tokens", () => {
    expect(maskSecrets("connect postgres://odoo:hunter2@db:5432/prod?password=x&token=abc")).toBe("connect postgres://odoo:***@db:5432/prod?password=***&token=***");
  });

  it("GIVEN stdin-like input (a Readable of strings) THEN it is scanned like a file", async () => {
    const sc = new LogScanner();
    await scanSource(sc, { name: "-", stream: Readable.from(WS.split(/(?<=\n)/)) });
    expect(sc.result().records).toBe(51);
  });
});
