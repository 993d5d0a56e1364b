/**
 * `doodba-ops tune` as a user runs it: the real CLI (bin/doodba-ops.js over dist/, built by
 * `npm test` before vitest) as a child process. Golden tables for real projects, JSON output,
 * exit codes (0 whatever the recommendation, 2 for bad input, never 1), --dry-run, --apply
 * with --yes and on a real terminal (util-linux `script`), secrets masked in diffs, and the
 * Docker engine's absence for --from-docker.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CORPUS, REPO_ROOT } from "../helpers/project.js";

const BIN = join(REPO_ROOT, "bin", "doodba-ops.js");
const GOLDEN = join(REPO_ROOT, "test", "golden", "tune");
const UPDATE = process.env.UPDATE_GOLDEN === "1";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A clean environment: no variable of the test run leaks into compose interpolation. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tmpdir(), NO_COLOR: "1", ...extra };
}

/** Runs the CLI with stdin a pipe (not a terminal), as in CI. */
function run(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? REPO_ROOT, encoding: "utf8", timeout: 60_000, env: cleanEnv(opts.env) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const roots: string[] = [];
afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});
beforeAll(() => {
  if (!existsSync(join(REPO_ROOT, "dist", "cli", "commands", "tune.js"))) execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "ignore" });
});

function writable(p: string): void {
  const st = statSync(p);
  chmodSync(p, st.mode | 0o200 | (st.isDirectory() ? 0o100 : 0));
  if (st.isDirectory()) for (const e of readdirSync(p)) writable(join(p, e));
}

function copy(src: string, name = "project"): string {
  const root = mkdtempSync(join(tmpdir(), "doodba-ops-tune-cli-"));
  roots.push(root);
  const dir = join(root, name);
  cpSync(src, dir, { recursive: true, verbatimSymlinks: true });
  writable(dir);
  return dir;
}

function snapshot(dir: string, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of snapshot(dir, rel)) out.set(k, v);
    else if (e.isFile()) out.set(rel, readFileSync(join(dir, rel), "utf8"));
  }
  return out;
}

function golden(name: string, actual: string): void {
  const file = join(GOLDEN, `${name}.txt`);
  if (UPDATE || !existsSync(file)) {
    writeFileSync(file, actual);
    return;
  }
  expect(actual).toBe(readFileSync(file, "utf8"));
}

describe("tune: the table (golden files)", () => {
  it("examples/acme-erp, 4 CPUs / 8 GiB / 25 users", () => {
    const r = run(["tune", "examples/acme-erp", "--cpus", "4", "--memory", "8GiB", "--users", "25"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    golden("acme-erp", r.stdout);
  });

  it.skipIf(!existsSync(CORPUS))("Odoo-EC__doodba_odoo17 (conf.d driven by variables), 8 CPUs / 32 GiB / 80 users", () => {
    const r = run(["tune", "Odoo-EC__doodba_odoo17", "--cpus", "8", "--memory", "32GiB", "--users", "80"], { cwd: CORPUS });
    expect(r.code).toBe(0);
    golden("odoo-ec-doodba-odoo17", r.stdout);
  });

  it.skipIf(!existsSync(CORPUS))("be-cloud-be__horizon-upgrade (official postgres image), --split-cron --storage nvme", () => {
    const r = run(["tune", "be-cloud-be__horizon-upgrade", "--cpus", "4", "--memory", "16GiB", "--users", "30", "--split-cron", "--storage", "nvme"], { cwd: CORPUS });
    expect(r.code).toBe(0);
    golden("be-cloud-be-horizon-upgrade-split-cron", r.stdout);
  });
});

describe("tune: output and exit codes", () => {
  it("GIVEN --format json THEN stable machine-readable data, exit 0 although settings differ", () => {
    const r = run(["tune", "examples/clean", "--cpus", "4", "--memory", "8GiB", "--users", "50", "--format", "json"]);
    expect(r.code).toBe(0);
    const data = JSON.parse(r.stdout) as { env: string; changes: number; settings: { service: string; setting: string; recommended: string; current: { source: string; at?: string } }[] };
    expect(data.env).toBe("prod");
    expect(data.changes).toBeGreaterThan(0);
    expect(data.settings.find((s) => s.service === "odoo" && s.setting === "workers")).toMatchObject({ recommended: "5", current: { source: "conf.d", at: "odoo/custom/conf.d/20-performance.conf:3:1" } });
    // stable: the same run gives the same bytes
    expect(run(["tune", "examples/clean", "--cpus", "4", "--memory", "8GiB", "--users", "50", "--format", "json"]).stdout).toBe(r.stdout);
  });

  it.each([
    [["tune", "examples/clean", "--env", "staging"], /Environment "staging" not found in examples\/clean/],
    [["tune", "examples/clean", "--memory", "lots"], /--memory must be a size/],
    [["tune", "examples/clean", "--users", "0"], /--users must be a whole number/],
    [["tune", "examples/clean", "--heavy-ratio", "2"], /--heavy-ratio must be between 0 and 1/],
    [["tune", "examples/clean", "--cpus", "2", "--memory", "3GiB"], /too small for a production Odoo/],
    [["tune", "examples/clean", "--storage", "floppy"], /argument 'floppy' is invalid/],
    [["tune", "examples/clean", "--yes"], /--yes goes with --apply/],
    [["tune", "no/such/dir"], /does not exist/],
  ])("GIVEN bad input %j THEN exit 2 and a message, nothing else", (args, message) => {
    const r = run([...args, ...(args.includes("--cpus") ? [] : ["--cpus", "4"]), ...(args.includes("--memory") ? [] : ["--memory", "8GiB"])]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
  });

  it("GIVEN a compose file that does not parse THEN exit 2 naming file:line:col, nothing written", () => {
    const dir = copy(join(REPO_ROOT, "examples", "clean"));
    writeFileSync(join(dir, "prod.yaml"), "services:\n  odoo: [\n");
    const before = snapshot(dir);
    const r = run(["tune", dir, "--cpus", "4", "--memory", "8GiB", "--apply", "--yes"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/prod\.yaml:\d+:\d+: YAML syntax error/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("GIVEN --from-docker and no engine answering THEN exit 2 with the engine's complaint", () => {
    const r = run(["tune", "examples/clean", "--from-docker"], { env: { DOCKER_HOST: "unix:///nonexistent/doodba-ops-test.sock" } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--from-docker: (no Docker engine answered|the docker command is not installed)/);
    expect(r.stderr).toMatch(/--cpus N --memory 8GiB/);
  });
});

describe("tune --apply", () => {
  it("GIVEN --dry-run THEN the plan with diffs (new files too) and nothing written", () => {
    const dir = copy(join(REPO_ROOT, "examples", "acme-erp"));
    const before = snapshot(dir);
    const r = run(["tune", dir, "--cpus", "4", "--memory", "8GiB", "--users", "25", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("+ create    odoo/custom/conf.d/99-doodba-ops-tune.conf");
    expect(r.stdout).toContain("+++ b/odoo/custom/conf.d/99-doodba-ops-tune.conf");
    expect(r.stdout).toContain("-    command: [odoo, --workers=0]\n+    command: [odoo, --workers=5]");
    expect(r.stderr).toMatch(/dry run: nothing was written/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("GIVEN --apply without a terminal and without --yes THEN exit 2, the plan shown, nothing written", () => {
    const dir = copy(join(REPO_ROOT, "examples", "acme-erp"));
    const before = snapshot(dir);
    const r = run(["tune", dir, "--cpus", "4", "--memory", "8GiB", "--apply"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("~ update    prod.yaml");
    expect(r.stderr).toMatch(/no terminal to ask on; nothing was written/);
    expect(r.stderr).toMatch(/--apply --yes/);
    expect(snapshot(dir)).toEqual(before);
  });

  it("GIVEN --split-cron --apply --yes THEN written, secrets masked in the diff, check clean of sizing findings, docker-compose accepts it", () => {
    const dir = copy(join(REPO_ROOT, "examples", "acme-erp"));
    const r = run(["tune", dir, "--cpus", "8", "--memory", "32GiB", "--users", "80", "--split-cron", "--apply", "--yes"]);
    expect(r.code).toBe(0);
    // acme-erp writes an SMTP password inline; the cron service copies the environment, and the diff shows it masked
    expect(r.stdout).toContain("+      SMTP_PASSWORD: ********");
    expect(r.stdout).not.toContain("Sup3rS3cret-relay");
    expect(readFileSync(join(dir, "prod.yaml"), "utf8")).toContain("  odoo-cron:\n");
    expect(r.stdout).toMatch(/Written into .*: 1 created, 1 updated\./);
    const check = run(["check", dir, "--env", "prod", "--format", "json", "--fail-on", "never"]);
    const findings = (JSON.parse(check.stdout) as { findings: { ruleId: string }[] }).findings.map((f) => f.ruleId);
    for (const id of ["memory-hard-exceeds-container", "no-memory-limit", "connection-budget-exceeded", "memory-soft-too-low", "time-limits-inconsistent", "workers-exceed-cpu", "workers-not-set", "cron-on-every-replica"]) {
      expect(findings).not.toContain(id);
    }
    if (spawnSync("docker-compose", ["version"]).status === 0) {
      const c = spawnSync("docker-compose", ["-f", "prod.yaml", "config", "--quiet"], { cwd: dir, encoding: "utf8", env: cleanEnv() });
      expect(c.status, c.stderr).toBe(0);
    }
    const again = run(["tune", dir, "--cpus", "8", "--memory", "32GiB", "--users", "80", "--split-cron", "--apply", "--yes"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Nothing to change: prod already has the recommended values/);
    expect(again.stderr).toMatch(/nothing to write/);
  });

  const hasScript = spawnSync("script", ["--version"]).status === 0;
  it.skipIf(!hasScript)("GIVEN a terminal THEN it asks; no writes nothing, yes writes", async () => {
    const dir = copy(join(REPO_ROOT, "examples", "clean"));
    const before = snapshot(dir);
    const ask = (answer: string): Promise<{ code: number | null; out: string }> => {
      const cmd = [process.execPath, BIN, "tune", dir, "--cpus", "4", "--memory", "8GiB", "--apply"].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
      const child = spawn("script", ["-qfec", cmd, "/dev/null"], { cwd: REPO_ROOT, env: { ...cleanEnv(), TERM: "xterm", COLUMNS: "300", LINES: "50" } });
      let out = "";
      let answered = false;
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString("utf8");
        if (!answered && out.includes("Write these changes into")) {
          answered = true;
          child.stdin.write(answer);
        }
      });
      return new Promise((resolve) => {
        const kill = setTimeout(() => child.kill("SIGKILL"), 45_000);
        child.on("close", (code) => {
          clearTimeout(kill);
          resolve({ code, out });
        });
      });
    };
    const no = await ask("n\r");
    expect(no.code).toBe(0);
    expect(no.out).toMatch(/nothing was written/);
    expect(snapshot(dir)).toEqual(before);
    const yes = await ask("y\r");
    expect(yes.code).toBe(0);
    expect(yes.out).toMatch(/Written into/);
    expect(snapshot(dir).get("odoo/custom/conf.d/99-doodba-ops-tune.conf")).toMatch(/^; Written by `doodba-ops tune --env prod --apply`/);
  });
});

describe("tune analyze", () => {
  it("is registered under tune with its own options", () => {
    const r = run(["tune", "analyze", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--db <url>/);
    expect(r.stdout).toMatch(/--format <format>/);
  });
});
