/**
 * `doodba-ops init` as a user runs it: the real CLI (bin/doodba-ops.js over dist/, built by
 * `npm test` before vitest) as a child process, on temporary directories. Non-interactive runs
 * (answers file, flags, --yes), idempotence, --dry-run, --force, --add-env, and the wizard
 * driven through a real pseudo-terminal (util-linux `script`, Debian's bsdutils).
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAnswers } from "../../src/generate/answers.js";
import { REPO_ROOT } from "../helpers/project.js";

const BIN = join(REPO_ROOT, "bin", "doodba-ops.js");
const NOW = { now: new Date() };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with stdin a pipe (not a terminal), as in CI. */
function run(args: string[], input = ""): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    encoding: "utf8",
    input,
    timeout: 60_000,
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const roots: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "doodba-ops-init-cli-"));
  roots.push(d);
  return d;
}
afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});

beforeAll(() => {
  if (!existsSync(join(REPO_ROOT, "dist", "cli", "commands", "init.js"))) execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "ignore" });
});

/** Every file under dir: relative path -> content. */
function snapshot(dir: string, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of snapshot(dir, rel)) out.set(k, v);
    else out.set(rel, readFileSync(join(dir, rel), "utf8"));
  }
  return out;
}

function mtimes(dir: string): Map<string, number> {
  return new Map([...snapshot(dir).keys()].map((k) => [k, statSync(join(dir, k)).mtimeMs]));
}

function changedPaths(before: Map<string, string>, after: Map<string, string>): string[] {
  const keys = new Set([...before.keys(), ...after.keys()]);
  return [...keys].filter((k) => before.get(k) !== after.get(k)).sort();
}

/** The secret values of the generated .docker/*.env files. */
function secretValues(dir: string): string[] {
  return [...snapshot(dir)]
    .filter(([k]) => k.startsWith(".docker/"))
    .flatMap(([, text]) => text.split("\n"))
    .map((l) => /^[A-Z_]*(PASSWORD|PASSPHRASE)=(.+)$/.exec(l)?.[2])
    .filter((v): v is string => v !== undefined && v.length >= 20);
}

/** Findings of the real `check` on an environment. */
function findings(dir: string, env: string): { ruleId: string; message: string }[] {
  const r = run(["check", dir, "--env", env, "--format", "json", "--fail-on", "never"]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { findings: { ruleId: string; message: string }[] }).findings;
}

const ANSWERS = `# what a CI job would keep next to its pipeline
project_name: acme
odoo_version: 17.0
environments:
  prod:
    domains: [erp.example.com]
letsencrypt_email: ops@example.com
backup_destination: boto3+s3://acme-backups/erp
`;

describe("init, non-interactive", () => {
  const root = tmp();
  const dir = join(root, "acme");
  const answersFile = join(root, "answers.yaml");
  writeFileSync(answersFile, ANSWERS);
  let first: Run;

  beforeAll(() => {
    first = run(["init", dir, "--answers", answersFile, "--yes"]);
  });

  it("GIVEN an answers file WHEN init runs THEN it exits 0, writes the project and says what to run next", () => {
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/^Project written in .*acme: \d+ created, 0 updated\./);
    expect(first.stdout).toContain("  + prod.yaml");
    expect(first.stdout).toContain("  + .docker/odoo.env");
    expect(first.stdout).toContain(`doodba-ops check ${dir} --env prod`);
    expect(first.stdout).toContain("docker compose -f prod.yaml up -d");
    expect(first.stderr).toContain("workers = 5");
    for (const f of ["common.yaml", "devel.yaml", "test.yaml", "prod.yaml", ".env", ".gitignore", "odoo/Dockerfile", "odoo/custom/src/addons.yaml"]) {
      expect(existsSync(join(dir, f)), f).toBe(true);
    }
    expect(statSync(join(dir, "odoo/custom/src/private")).isDirectory()).toBe(true);
  });

  it("GIVEN the written project THEN the secrets are 0600, strong, and never printed", () => {
    const envFiles = readdirSync(join(dir, ".docker"));
    expect(envFiles.length).toBeGreaterThan(0);
    for (const f of envFiles) expect((statSync(join(dir, ".docker", f)).mode & 0o777).toString(8), f).toBe("600");
    const secrets = secretValues(dir);
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    for (const s of secrets) {
      expect(s).toMatch(/^[A-Za-z0-9_-]{43,}$/); // >= 32 bytes, url-safe base64
      expect(first.stdout + first.stderr).not.toContain(s);
    }
    expect(new Set(secrets).size).toBeGreaterThanOrEqual(3); // admin, database (in two files), backup
  });

  it("GIVEN the written project THEN the answers are saved, complete, with the defaults init chose", () => {
    const saved = readFileSync(join(dir, ".doodba-ops/answers.yaml"), "utf8");
    const a = parseAnswers(saved, ".doodba-ops/answers.yaml", NOW);
    expect(a).toMatchObject({ projectName: "acme", odooVersion: "17.0", postgresVersion: "17", proxy: "traefik", proxyBundled: true, users: 25 });
    expect(a.envs.find((e) => e.name === "test")?.domains).toEqual(["test.erp.example.com"]);
    expect(a.emailFrom).toBe("odoo@erp.example.com");
  });

  it("GIVEN the written project WHEN doodba-ops check audits prod and test THEN there is no finding", () => {
    expect(findings(dir, "prod")).toEqual([]);
    expect(findings(dir, "test")).toEqual([]);
  });

  it("GIVEN the written project WHEN init runs again with the same answers THEN nothing is written", () => {
    const before = mtimes(dir);
    const secrets = secretValues(dir);
    const again = run(["init", dir, "--answers", answersFile, "--yes"]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^Nothing to do: .* already matches the answers \(\d+ unchanged, \d+ secrets kept\)\.\n$/);
    expect(mtimes(dir)).toEqual(before);
    expect(secretValues(dir)).toEqual(secrets);
    // and from the saved answers alone
    const saved = run(["init", dir, "--yes"]);
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stderr).toContain("using the saved answers");
    expect(saved.stdout).toMatch(/^Nothing to do/);
  });

  it("GIVEN a changed answer given as a flag WHEN init re-runs THEN files nobody edited follow without --force", () => {
    const before = snapshot(dir);
    const r = run(["init", dir, "--users", "40"]);
    expect(r.code, r.stderr).toBe(0);
    const changed = changedPaths(before, snapshot(dir));
    expect(changed).toContain(".doodba-ops/answers.yaml");
    expect(changed).toContain("odoo/custom/conf.d/20-performance.conf");
    expect(changed.some((p) => p.startsWith(".docker/"))).toBe(false);
    expect(readFileSync(join(dir, ".doodba-ops/answers.yaml"), "utf8")).toContain("users: 40");
    expect(findings(dir, "prod")).toEqual([]);
    // back to the answers file's values for the tests below
    expect(run(["init", dir, "--answers", answersFile, "--yes", "--users", "25"]).code).toBe(0);
  });

  it("GIVEN a file edited by hand WHEN init re-runs THEN it refuses (exit 2) naming the file; --dry-run shows the diff; --force restores it, secrets kept", () => {
    const prod = join(dir, "prod.yaml");
    const original = readFileSync(prod, "utf8");
    const edited = original.replace(/restart: unless-stopped/, "restart: always");
    expect(edited).not.toBe(original);
    writeFileSync(prod, edited);
    const secrets = secretValues(dir);

    const refused = run(["init", dir, "--answers", answersFile, "--yes"]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("1 existing file would change: prod.yaml; nothing was written");
    expect(refused.stderr).toContain("--force");
    expect(refused.stderr).toContain(`try:  doodba-ops init ${dir} --dry-run --answers ${answersFile}`);
    expect(readFileSync(prod, "utf8")).toBe(edited);

    const dry = run(["init", dir, "--answers", answersFile, "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("~ update    prod.yaml");
    expect(dry.stdout).toContain("-    restart: always\n+    restart: unless-stopped");
    expect(dry.stdout).toMatch(/ {2}keep {6}\.docker\/odoo\.env {2}\(0600, <secret: \d+ bytes>, existing value kept\)/);
    for (const s of secrets) expect(dry.stdout + dry.stderr).not.toContain(s);
    expect(readFileSync(prod, "utf8")).toBe(edited);

    const forced = run(["init", dir, "--answers", answersFile, "--yes", "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stdout).toContain("  ~ prod.yaml");
    expect(readFileSync(prod, "utf8")).toBe(original);
    expect(secretValues(dir)).toEqual(secrets);
  });

  it("GIVEN the project WHEN --add-env staging runs THEN only staging.yaml and the saved answers change, and check passes on staging", () => {
    const before = snapshot(dir);
    const r = run(["init", dir, "--add-env", "staging", "--domain", "staging=staging.example.com"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Environment staging added to .*: 1 created, 1 updated/);
    expect(r.stdout).toContain(`doodba-ops check ${dir} --env staging`);
    expect(changedPaths(before, snapshot(dir))).toEqual([".doodba-ops/answers.yaml", "staging.yaml"]);
    const a = parseAnswers(readFileSync(join(dir, ".doodba-ops/answers.yaml"), "utf8"), "answers.yaml", NOW);
    expect(a.envs.at(-1)).toEqual({ name: "staging", kind: "test", domains: ["staging.example.com"], tls: "self-signed" });
    expect(findings(dir, "staging")).toEqual([]);
    // adding it twice is refused
    const twice = run(["init", dir, "--add-env", "staging"]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("Environment staging already exists");
  });
});

describe("init, refusals (exit 2, nothing written)", () => {
  it("GIVEN no terminal and no answers WHEN init runs THEN it exits 2 naming every missing answer and its flag, without prompting", () => {
    const dir = join(tmp(), "p");
    const r = run(["init", dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Answers incomplete: missing the domain of prod; the Let's Encrypt account e-mail; the backup destination");
    expect(r.stderr).toContain("--domain prod=<host name>");
    expect(r.stderr).toContain("--letsencrypt-email <address>");
    expect(r.stderr).toContain("--backup <url> (or --backup none)");
    expect(r.stdout).toBe("");
    expect(existsSync(dir)).toBe(false);
  });

  it("GIVEN an invalid value in the answers file WHEN init runs THEN the error names file:line:col and nothing is written", () => {
    const root = tmp();
    const file = join(root, "answers.yaml");
    writeFileSync(file, ANSWERS.replace("odoo_version: 17.0", "odoo_version: 17.0\npostgres_version: 11"));
    const r = run(["init", join(root, "p"), "--answers", file, "--yes"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`doodba-ops: error: ${file}:4:19: PostgreSQL 11 is below the minimum for Odoo 17.0 (12)`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(root, "p"))).toBe(false);
  });

  it("GIVEN an invalid flag value WHEN init runs THEN the error names the flag", () => {
    const r = run(["init", join(tmp(), "p"), "--yes", "--domain", "prod=erp_example", "--letsencrypt-email", "ops@example.com", "--backup", "none"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"erp_example" is not a valid host name');
    expect(r.stderr).toContain("(from --domain)");
    const unknownEnv = run(["init", join(tmp(), "p"), "--yes", "--domain", "qa=qa.example.com"]);
    expect(unknownEnv.code).toBe(2);
    expect(unknownEnv.stderr).toContain('there is no environment "qa"');
  });

  it("GIVEN a directory init did not generate WHEN --add-env runs THEN it exits 2 and says to generate the project first", () => {
    const dir = tmp();
    const r = run(["init", dir, "--add-env", "staging"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(".doodba-ops/answers.yaml not found");
    expect(r.stderr).toContain(`try:  doodba-ops init ${dir}`);
  });

  it("GIVEN a fresh directory WHEN --dry-run THEN the plan is printed, secrets by size only, and nothing is created", () => {
    const dir = join(tmp(), "p");
    const r = run(["init", dir, "--dry-run", "--yes", "--proxy", "nginx", "--domain", "erp.example.com", "--letsencrypt-email", "ops@example.com", "--backup", "none"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("+ create    prod.yaml");
    expect(r.stdout).toContain("+ create    nginx/");
    expect(r.stdout).toMatch(/\+ create {4}\.docker\/odoo\.env {2}\(0600, <secret: \d+ bytes>\)/);
    expect(r.stdout).not.toMatch(/PASSWORD=/);
    expect(r.stderr).toContain("dry run: nothing was written");
    expect(r.stderr).toContain("warning: No backup destination");
    expect(existsSync(dir)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// The wizard, on a real pseudo-terminal

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, "g");
const strip = (s: string): string => s.replace(ANSI, "").replace(/\r/g, "");

/**
 * Runs `doodba-ops init <dir>` under util-linux `script` (a real pty: stdin and stderr are
 * terminals) and answers each prompt once its text appears. Resolves with the exit code and
 * the transcript (escape sequences removed).
 */
function wizard(args: string[], steps: [string, string][], timeoutMs = 45_000): Promise<{ code: number | null; transcript: string; unanswered: string[] }> {
  const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const child = spawn("script", ["-qfec", cmd, "/dev/null"], { cwd: REPO_ROOT, env: { ...process.env, TERM: "xterm", COLUMNS: "300", LINES: "50" } });
  let out = "";
  let from = 0;
  let i = 0;
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString("utf8");
  });
  const tick = setInterval(() => {
    const step = steps[i];
    if (!step) return;
    const s = strip(out);
    const at = s.indexOf(step[0], from);
    if (at < 0) return;
    from = at + step[0].length;
    child.stdin.write(step[1]);
    i++;
  }, 40);
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearInterval(tick);
      clearTimeout(kill);
      resolve({ code, transcript: strip(out), unanswered: steps.slice(i).map((s) => s[0]) });
    });
  });
}

const ENTER = "\r";
const DOWN = "\x1b[B";
const BACKSPACES = "\x7f".repeat(30);

describe("init wizard on a terminal", () => {
  it("GIVEN a terminal WHEN the user answers a few questions and accepts the other defaults THEN the project is written and passes check", async () => {
    const dir = join(tmp(), "wizard-erp");
    const r = await wizard(
      ["init", dir],
      [
        ["Project name", ENTER],
        ["Odoo version", ENTER],
        ["PostgreSQL version", ENTER],
        ["Reverse proxy", DOWN + ENTER], // nginx
        ["Bundled or shared proxy", ENTER],
        ["Domains of prod", `erp_example${ENTER}`], // invalid: the validator answers, the user fixes it
        ["is not a valid host name", `${BACKSPACES}erp.example.com${ENTER}`],
        ["TLS for prod", ENTER],
        ["Domains of test", ENTER],
        ["TLS for test", ENTER],
        ["E-mail for Let's Encrypt", `ops@example.com${ENTER}`],
        ["Concurrent users at peak", `50${ENTER}`],
        ["CPU cores of the host", ENTER],
        ["RAM of the host", `16${ENTER}`],
        ["CIDRs allowed to reach the database manager", `203.0.113.0/24${ENTER}`],
        ["SMTP relay", ENTER],
        ["From address of outgoing mail", ENTER],
        ["Backup destination", `sftp://backup@backup.example.com/srv/erp${ENTER}`],
        ["Write these files", ENTER],
      ],
    );
    expect(r.unanswered, r.transcript.slice(-3000)).toEqual([]);
    expect(r.code, r.transcript.slice(-3000)).toBe(0);
    // the sizing reasoning is shown before the confirmation
    const sizing = r.transcript.indexOf("workers = ");
    expect(sizing).toBeGreaterThan(0);
    expect(sizing).toBeLessThan(r.transcript.indexOf("Write these files"));
    expect(r.transcript).toContain("Project written in");
    const a = parseAnswers(readFileSync(join(dir, ".doodba-ops/answers.yaml"), "utf8"), "answers.yaml", NOW);
    expect(a).toMatchObject({
      projectName: "wizard-erp",
      odooVersion: "18.0",
      postgresVersion: "17",
      proxy: "nginx",
      proxyBundled: true,
      users: 50,
      host: { cpus: 4, ramGiB: 16 },
      dbManagerAllow: ["203.0.113.0/24"],
      emailFrom: "odoo@erp.example.com",
      backupDestination: "sftp://backup@backup.example.com/srv/erp",
    });
    expect(a.smtp).toBeUndefined();
    expect(a.envs.map((e) => `${e.name} ${e.domains.join(",")} ${e.tls}`)).toEqual([
      "devel  none",
      "test test.erp.example.com self-signed",
      "prod erp.example.com letsencrypt",
    ]);
    expect(findings(dir, "prod")).toEqual([]);
  });

  it("GIVEN a terminal and answers given as flags WHEN the wizard runs THEN it asks only the rest; declining writes nothing", async () => {
    const dir = join(tmp(), "p");
    const r = await wizard(
      ["init", dir, "--project-name", "acme", "--odoo-version", "17", "--postgres-version", "16", "--proxy", "traefik", "--shared-proxy", "--domain", "prod=erp.example.com", "--tls", "prod=letsencrypt", "--domain", "test=test.example.com", "--tls", "test=self-signed", "--letsencrypt-email", "ops@example.com", "--users", "10", "--cpus", "2", "--ram-gib", "4", "--db-manager-allow", "10.0.0.0/8", "--email-from", "erp@example.com", "--backup", "none"],
      [
        ["SMTP relay", `y${ENTER}`],
        ["SMTP host", `smtp.example.com${ENTER}`],
        ["SMTP security", DOWN + ENTER], // ssl
        ["SMTP port", ENTER],
        ["SMTP user", `erp@example.com${ENTER}`],
        ["Write these files", `n${ENTER}`],
      ],
    );
    expect(r.unanswered, r.transcript.slice(-3000)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.transcript).not.toContain("Project name");
    expect(r.transcript).not.toContain("Domains of prod");
    expect(r.transcript).toContain("SMTP port (465)");
    expect(r.transcript).toContain("Nothing was written.");
    expect(existsSync(dir)).toBe(false);
  });
});
