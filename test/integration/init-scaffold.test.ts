/**
 * `doodba-ops init` end to end, without the CLI: answers -> planInit -> files on disk, then the
 * real `check`, the Compose specification schema, and Debian's real docker-compose v1.
 * Golden files of the generated trees live in test/golden/init/<answer-set>.txt
 * (UPDATE_GOLDEN=1 refreshes them; review the diff).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Ajv } from "ajv";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCheck } from "../../src/check/index.js";
import { formatPos } from "../../src/errors.js";
import { validateAnswers } from "../../src/generate/answers.js";
import { generateSecrets, planInit } from "../../src/generate/scaffold.js";
import type { FilePlan, InitAnswers } from "../../src/generate/types.js";
import { nodePlatform } from "../../src/platform/index.js";
import { REPO_ROOT, SHARED } from "../helpers/project.js";

const NOW = new Date("2026-11-27T00:00:00Z");

/** Test double for crypto.randomBytes: deterministic bytes so golden files are stable. */
function deterministicRandom(seed: number): (n: number) => Buffer {
  let x = seed;
  return (n) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      b[i] = x & 0xff;
    }
    return b;
  };
}

function answers(over: Partial<InitAnswers> & Pick<InitAnswers, "proxy" | "odooVersion" | "postgresVersion">): InitAnswers {
  return {
    projectName: "acme",
    proxyBundled: true,
    envs: [
      { name: "devel", kind: "devel", domains: [], tls: "none" },
      { name: "test", kind: "test", domains: ["test.erp.acme-corp.com"], tls: "self-signed" },
      { name: "prod", kind: "prod", domains: ["erp.acme-corp.com", "www.erp.acme-corp.com"], tls: "letsencrypt" },
    ],
    letsencryptEmail: "ops@acme-corp.com",
    dbManagerAllow: [],
    host: { cpus: 4, ramGiB: 8 },
    users: 50,
    emailFrom: "odoo@acme-corp.com",
    smtp: { host: "smtp.acme-corp.com", port: 587, user: "odoo@acme-corp.com", security: "starttls" },
    backupDestination: "boto3+s3://acme-backups/odoo",
    ...over,
  };
}

const SETS: Record<string, InitAnswers> = {
  "traefik-bundled-odoo17": answers({ proxy: "traefik", odooVersion: "17.0", postgresVersion: "16" }),
  "traefik-shared-odoo16": answers({ proxy: "traefik", proxyBundled: false, odooVersion: "16.0", postgresVersion: "15", dbManagerAllow: ["10.8.0.0/24"] }),
  "traefik-bundled-odoo18-files": answers({
    proxy: "traefik",
    odooVersion: "18.0",
    postgresVersion: "17",
    tlsCertFile: "/etc/ssl/acme/erp.crt",
    tlsKeyFile: "/etc/ssl/acme/erp.key",
    envs: [
      { name: "devel", kind: "devel", domains: [], tls: "none" },
      { name: "test", kind: "test", domains: ["test.erp.acme-corp.com"], tls: "self-signed" },
      { name: "prod", kind: "prod", domains: ["erp.acme-corp.com"], tls: "files" },
    ],
    host: { cpus: 8, ramGiB: 32 },
    users: 200,
  }),
  "nginx-bundled-odoo18": answers({ proxy: "nginx", odooVersion: "18.0", postgresVersion: "16", smtp: undefined, backupDestination: "file:///srv/backups/acme" }),
  "nginx-shared-odoo17": answers({ proxy: "nginx", proxyBundled: false, odooVersion: "17.0", postgresVersion: "16", host: { cpus: 2, ramGiB: 4 }, users: 10 }),
  "nginx-bundled-odoo16-allow": answers({ proxy: "nginx", odooVersion: "16.0", postgresVersion: "15", dbManagerAllow: ["192.0.2.0/24", "2001:db8::/32"] }),
};

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function writePlan(plan: FilePlan): string {
  const dir = mkdtempSync(join(tmpdir(), "doodba-ops-init-"));
  dirs.push(dir);
  for (const d of plan.dirs ?? []) mkdirSync(join(dir, d), { recursive: true });
  for (const f of plan.files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.content);
    chmodSync(join(dir, f.path), f.mode ?? 0o644);
  }
  return dir;
}

function renderTree(plan: FilePlan): string {
  return plan.files.map((f) => `=== ${f.path} (${(f.mode ?? 0o644).toString(8)}${f.keepExisting ? ", kept when present" : ""})\n${f.content}`).join("\n");
}

// The schema names its meta-schema as "https://json-schema.org/draft-07/schema", a URI Ajv does
// not register (it knows "http://json-schema.org/draft-07/schema#"); it is draft-07, Ajv's default.
const { $schema: _metaSchema, ...composeSchema } = JSON.parse(readFileSync(join(SHARED, "schemas", "compose-spec.json"), "utf8")) as Record<string, unknown>;
const ajv = new Ajv({ allErrors: true, strict: false });
const validateCompose = ajv.compile(composeSchema);
const hasDockerCompose = spawnSync("docker-compose", ["version"], { encoding: "utf8" }).status === 0;

describe.each(Object.entries(SETS))("init answer set %s", (name, a) => {
  const plan = planInit(a, generateSecrets(deterministicRandom(42)));

  it("is a valid answer set (the same validation the CLI and the wizard apply)", () => {
    expect(() => validateAnswers(a, NOW)).not.toThrow();
  });

  it("matches its golden tree", () => {
    const golden = join(REPO_ROOT, "test", "golden", "init", `${name}.txt`);
    const out = renderTree(plan);
    if (process.env.UPDATE_GOLDEN || !existsSync(golden)) {
      writeFileSync(golden, out);
      if (!process.env.UPDATE_GOLDEN) throw new Error(`golden ${golden} was missing; written, review it`);
    }
    expect(out).toBe(readFileSync(golden, "utf8"));
  });

  it("is a Doodba layout with secrets only in 0600 .docker files that .gitignore covers", () => {
    const paths = plan.files.map((f) => f.path);
    for (const p of ["common.yaml", "devel.yaml", "test.yaml", "prod.yaml", ".env", ".gitignore", "odoo/Dockerfile", "odoo/custom/src/addons.yaml", "odoo/custom/src/repos.yaml", "odoo/custom/conf.d/20-performance.conf", ".docker/odoo.env", ".docker/db-access.env", ".docker/db-creation.env"]) {
      expect(paths).toContain(p);
    }
    const secrets = generateSecrets(deterministicRandom(42));
    for (const f of plan.files) {
      const holdsSecret = [secrets.adminPassword, secrets.dbPassword, secrets.backupPassphrase].some((s) => f.content.includes(s));
      if (holdsSecret) {
        expect(f.path, `${f.path} holds a secret`).toMatch(/^\.docker\//);
        expect(f.mode).toBe(0o600);
        expect(f.keepExisting).toBe(true);
      }
    }
    expect(plan.files.find((f) => f.path === ".gitignore")?.content).toMatch(/^\/\.docker\/$/m);
  });

  it("passes doodba-ops check in prod and test with zero findings", () => {
    const dir = writePlan(plan);
    // Odoo 16.0 left Odoo S.A.'s support when 19.0 came out: that finding is true, and init
    // says so when it is asked for 16.0; every other rule must be silent.
    const skip = Number.parseFloat(a.odooVersion) < 17 ? ["odoo-version-end-of-life"] : [];
    const report = runCheck({ ...nodePlatform(), environ: {} }, { dir, envs: ["prod", "test"], now: NOW, noConfig: true, skip });
    expect(report.ruleErrors).toEqual([]);
    expect(report.findings.map((f) => `${f.ruleId} ${formatPos(f.pos)} ${f.message}`)).toEqual([]);
    expect(report.diagnostics.filter((d) => d.level === "warning")).toEqual([]);
    // the whole project (devel included) loads and checks without errors either
    const all = runCheck({ ...nodePlatform(), environ: {} }, { dir, now: NOW, noConfig: true, skip });
    expect(all.exitCode).toBe(0);
  });

  it("every compose file validates against the Compose specification schema", () => {
    for (const f of plan.files.filter((x) => /^[^/]+\.yaml$/.test(x.path))) {
      const doc = parse(f.content) as unknown;
      const ok = validateCompose(doc);
      expect(ok, `${f.path}: ${ajv.errorsText(validateCompose.errors)}`).toBe(true);
    }
  });

  it.skipIf(!hasDockerCompose)("is accepted by the real docker-compose config (Debian's docker-compose v1)", () => {
    const dir = writePlan(plan);
    for (const env of a.envs) {
      const r = spawnSync("docker-compose", ["-f", `${env.name}.yaml`, "config", "--quiet"], { cwd: dir, encoding: "utf8" });
      expect(r.stderr, `${env.name}.yaml`).not.toMatch(/ERROR/);
      expect(r.status, `${env.name}.yaml: ${r.stderr}`).toBe(0);
    }
  });

  it("sizes workers and limits consistently between conf.d and the container limits", () => {
    const dir = writePlan(plan);
    const report = runCheck({ ...nodePlatform(), environ: {} }, { dir, envs: ["prod"], now: NOW, noConfig: true, only: ["memory-hard-exceeds-container", "connection-budget-exceeded", "workers-not-set", "workers-exceed-cpu", "memory-soft-too-low"] });
    expect(report.findings).toEqual([]);
    const conf = readFileSync(join(dir, "odoo/custom/conf.d/20-performance.conf"), "utf8");
    expect(conf).toMatch(/^workers = [1-9]\d*$/m);
    expect(statSync(join(dir, ".docker/odoo.env")).mode & 0o777).toBe(0o600);
  });
});
