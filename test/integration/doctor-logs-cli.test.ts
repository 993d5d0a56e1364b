/**
 * `doodba-ops doctor logs` as a child process (bin/doodba-ops.js over the built dist/): exit
 * codes, stdout/stderr, stdin, gzip, several files, --since, --output, usage errors.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { beforeAll, describe, expect, it } from "vitest";
import { ODOO17, REPO_ROOT } from "../helpers/project.js";

const BIN = join(REPO_ROOT, "bin", "doodba-ops.js");
const LOGS = join(ODOO17, "logs");

function run(args: string[], input?: Buffer | string) {
  const r = spawnSync(process.execPath, [BIN, "doctor", "logs", ...args], { cwd: REPO_ROOT, input, env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout.toString("utf8"), stderr: r.stderr.toString("utf8") };
}

beforeAll(() => {
  if (!existsSync(join(REPO_ROOT, "dist", "cli", "commands", "doctor-logs.js"))) execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "ignore" });
});

describe("doodba-ops doctor logs (child process)", () => {
  it("names the cause and the fix of a real failure, data on stdout, progress on stderr, exit 1 for an error finding", () => {
    const r = run([join(LOGS, "websocket-not-routed.log")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("websocket-not-routed");
    expect(r.stdout).toMatch(/8072/);
    expect(r.stderr).toMatch(/scanned 1 input, 125 lines/);
  });

  it("exits 0 on a healthy log", () => {
    const r = run([join(LOGS, "startup-threaded.log")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("wkhtmltopdf-missing");
  });

  it("--format json is the whole report: ranked findings and the scan", () => {
    const r = run([join(LOGS, "too-many-connections.log"), "--format", "json"]);
    expect(r.code).toBe(1);
    const rep = JSON.parse(r.stdout) as { tool: { name: string }; findings: { id: string; severity: string }[]; scan: { hits: { signatureId: string }[]; records: number } };
    expect(rep.tool.name).toBe("doodba-ops");
    expect(rep.findings[0]).toMatchObject({ id: "pg-connection-slots-exhausted", severity: "critical" });
    expect(rep.scan.records).toBe(66);
  });

  it("reads stdin with -, gzip or not, and several inputs at once", () => {
    const text = readFileSync(join(LOGS, "db-down.log"));
    const plain = JSON.parse(run(["-", "--format", "json"], text).stdout) as { findings: { id: string }[]; scan: { files: string[] } };
    expect(plain.scan.files).toEqual(["-"]);
    expect(plain.findings.map((f) => f.id)).toEqual(expect.arrayContaining(["db-unreachable", "cron-thread-died"]));
    const gz = JSON.parse(run(["-", "--format", "json"], gzipSync(text)).stdout) as { findings: { id: string }[] };
    expect(gz.findings.map((f) => f.id)).toEqual(plain.findings.map((f) => f.id));
    const dir = mkdtempSync(join(tmpdir(), "doodba-ops-doctor-"));
    writeFileSync(join(dir, "odoo.log.2.gz"), gzipSync(readFileSync(join(LOGS, "login-failed.log"))));
    const both = JSON.parse(run([join(LOGS, "db-down.log"), join(dir, "odoo.log.2.gz"), "--format", "json"]).stdout) as { scan: { files: string[]; failedLogins: { ip: string }[] } };
    expect(both.scan.files).toHaveLength(2);
    expect(both.scan.failedLogins.map((l) => l.ip)).toEqual(["127.0.0.1", "n/a"]);
  });

  it("--since keeps only recent records; a bad value is a usage error (exit 2)", () => {
    const r = JSON.parse(run([join(LOGS, "worker-timeout.log"), "--since", "2026-11-27 01:56:52", "--format", "json"]).stdout) as { scan: { hits: { signatureId: string; count: number }[] } };
    expect(r.scan.hits.find((h) => h.signatureId === "worker-timeout")?.count).toBe(10);
    const bad = run([join(LOGS, "worker-timeout.log"), "--since", "yesterday-ish"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--since");
  });

  it("--help documents the command; no file at all is a usage error", () => {
    const help = run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: doodba-ops doctor logs/);
    expect(run([]).code).toBe(2);
  });

  it("a missing file is a usage error (exit 2) with a hint, nothing on stdout", () => {
    const r = run([join(LOGS, "nope.log")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope\.log: no such file/);
    expect(r.stderr).toContain("hint:");
    expect(r.stdout).toBe("");
  });

  it("--output writes the report to a file", () => {
    const out = join(mkdtempSync(join(tmpdir(), "doodba-ops-doctor-")), "report.md");
    const r = run([join(LOGS, "memory-limit.log"), "--format", "markdown", "--output", out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(readFileSync(out, "utf8")).toContain("worker-memory-soft-limit");
  });
});
