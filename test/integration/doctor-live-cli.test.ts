/**
 * `doodba-ops doctor` live mode as a child process (bin/doodba-ops.js over dist/) on the sample
 * project examples/acme-erp with no Docker engine (DOCKER_HOST points at a socket where nothing
 * listens, whatever runs on this machine) and no database (its published 127.0.0.1:5432 refuses):
 * the exit code, every live probe listed as skipped with its reason, and the formats.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ODOO17, REPO_ROOT } from "../helpers/project.js";

const BIN = join(REPO_ROOT, "bin", "doodba-ops.js");
const NO_ENGINE = "unix:///nonexistent/doodba-ops-cli/docker.sock";
const out = mkdtempSync(join(tmpdir(), "doodba-ops-doctor-cli-"));

function run(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, encoding: "utf8", env: { ...process.env, NO_COLOR: "1", DOCKER_HOST: NO_ENGINE } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(join(REPO_ROOT, "dist", "cli", "commands", "doctor.js"))) execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "ignore" });
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

// the proxy probe is skipped: the sample's domain erp.acme.example must not be looked up from a test
const ACME = ["doctor", "examples/acme-erp", "--env", "prod", "--skip", "proxy"];

describe("doodba-ops doctor (child process, no engine, no database)", () => {
  it("lists every probe that could not run as skipped with its reason, says nothing live was examined, exits 0 (no finding)", () => {
    const r = run(ACME);
    expect(r.code).toBe(0);
    const probes = r.stdout.split("\n").filter((l) => /^ {2}(ok|problem|skipped) /.test(l));
    const status = Object.fromEntries(probes.map((l) => l.trim().split(/\s+/).slice(0, 2).reverse()));
    expect(status).toEqual({
      "docker-engine": "skipped",
      containers: "skipped",
      "odoo-logs": "skipped",
      "web-health-direct": "skipped",
      "websocket-direct": "skipped",
      "web-health-proxy": "skipped",
      "websocket-proxy": "skipped",
      postgres: "skipped",
      "pg-connections": "skipped",
      "pg-locks": "skipped",
      "pg-sessions": "skipped",
      "pg-size": "skipped",
      "pg-cron": "skipped",
      disk: "skipped",
      check: "problem",
    });
    // the CLI's own reason (or, on a machine without the docker CLI, that it is missing)
    expect(r.stdout).toMatch(/skipped {2}docker-engine +(no Docker engine answers: Cannot connect to the Docker daemon at unix:\/\/\/nonexistent\/doodba-ops-cli\/docker\.sock|the docker CLI is not installed)/);
    expect(r.stdout).toMatch(/skipped {2}postgres +cannot connect to postgres:\/\/odoo:\*\*\*@127\.0\.0\.1:5432\/prod: /);
    expect(r.stdout).toMatch(/skipped {2}web-health-proxy +skipped by --skip/);
    expect(r.stdout).toContain("No finding, but no live probe could run: the deployment itself was not examined");
    expect(r.stdout).toMatch(/0 critical, 0 errors, 0 warnings, 0 info; 15 probes: 0 ok, 1 problem, 14 skipped/);
    expect(r.stdout + r.stderr).not.toContain("odoopassword");
    expect(r.stderr).toBe("");
  });

  it("--format json is the report with every probe; --format html -o writes a self-contained file; --fail-on never", () => {
    const j = run([...ACME, "--format", "json"]);
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout) as { probes: { id: string; status: string; detail: string }[]; target: Record<string, string>; summary: { probes: Record<string, number> } };
    expect(doc.summary.probes).toEqual({ ok: 0, problem: 1, skipped: 14 });
    expect(doc.target).toMatchObject({ env: "prod", db: "postgres://odoo:***@127.0.0.1:5432/prod", since: "1h" });
    expect(doc.probes.every((p) => p.status !== "skipped" || p.detail.length > 0)).toBe(true);

    const file = join(out, "doctor.html");
    const h = run([...ACME, "--format", "html", "--output", file]);
    expect(h.code).toBe(0);
    expect(h.stdout).toBe("");
    expect(h.stderr).toContain(`report written to ${file}`);
    const html = readFileSync(file, "utf8");
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|<link /i);
    expect(html).toContain("No logs were scanned");

    const md = run([...ACME, "--format", "markdown"]);
    expect(md.stdout).toMatch(/^# doodba-ops doctor: examples\/acme-erp, environment prod/);
    expect(run([...ACME, "--fail-on", "never"]).code).toBe(0);
  });

  it("usage errors exit 2 with a hint: an unknown probe, environment, --since or --db", () => {
    const skip = run(["doctor", "examples/acme-erp", "--skip", "proxies"]);
    expect(skip.code).toBe(2);
    expect(skip.stderr).toMatch(/--skip proxies: no such probe or group\n {2}hint: Groups: /);
    const env = run(["doctor", "examples/acme-erp", "--env", "staging"]);
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/Environment "staging" not found/);
    expect(run(["doctor", "examples/acme-erp", "--since", "yesterday"]).code).toBe(2);
    const db = run(["doctor", "examples/acme-erp", "--db", "mysql://u:p@h/d", "--skip", "proxy"]);
    expect(db.code).toBe(2);
    expect(db.stderr).toContain("--db must be a postgres:// or postgresql:// URL");
  });

  it("doctor signatures lists the catalog (human, json, and the markdown of docs/doctor-signatures.md)", () => {
    const human = run(["doctor", "signatures"]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^ID +CATEGORY +SEVERITY +TITLE/);
    const json = JSON.parse(run(["doctor", "signatures", "--format", "json"]).stdout) as { id: string; patterns: string[] }[];
    expect(json.length).toBeGreaterThanOrEqual(25);
    expect(json.find((s) => s.id === "websocket-not-routed")?.patterns[0]).toContain("Couldn't bind the websocket");
    expect(run(["doctor", "signatures", "--format", "markdown"]).stdout).toBe(readFileSync(join(REPO_ROOT, "docs", "doctor-signatures.md"), "utf8"));
  });

  it("doctor logs is reachable as a subcommand with its own --format", () => {
    const r = run(["doctor", "logs", join(ODOO17, "logs", "websocket-not-routed.log"), "--format", "json"]);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { findings: { id: string }[] }).findings.map((f) => f.id)).toContain("websocket-not-routed");
  });
});
