/**
 * `doodba-ops init` with Traefik, end to end without the CLI: answers -> planInit (the real
 * scaffold and the real Traefik renderer) -> files on disk -> the real `check` for prod and test
 * (zero findings), Debian's real docker-compose v1 (`config`), and what Traefik will do with the
 * result (the network it reaches Odoo on, the routes check's proxy analysis reads back).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCheck } from "../../src/check/index.js";
import { analyzeProxy } from "../../src/check/lib/proxy.js";
import { formatPos } from "../../src/errors.js";
import { TLS_DYNAMIC_FILE } from "../../src/generate/proxy/traefik.js";
import { generateSecrets, planInit } from "../../src/generate/scaffold.js";
import type { EnvAnswers, FilePlan, InitAnswers } from "../../src/generate/types.js";
import { nodePlatform } from "../../src/platform/index.js";
import { loadProject } from "../../src/project/index.js";

const NOW = new Date("2026-11-27T00:00:00Z");
const platform = { ...nodePlatform(), environ: {} };
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Test double for crypto.randomBytes: deterministic, so runs are reproducible. */
function fakeRandom(n: number): Buffer {
  return Buffer.alloc(n, 0x5a);
}

const DEVEL: EnvAnswers = { name: "devel", kind: "devel", domains: [], tls: "none" };

function answers(over: Partial<InitAnswers> & Pick<InitAnswers, "odooVersion" | "postgresVersion">, test: Partial<EnvAnswers> = {}, prod: Partial<EnvAnswers> = {}): InitAnswers {
  return {
    projectName: "acme",
    proxy: "traefik",
    proxyBundled: true,
    envs: [
      DEVEL,
      { name: "test", kind: "test", domains: ["test.erp.acme.example"], tls: "self-signed", ...test },
      { name: "prod", kind: "prod", domains: ["erp.acme.example", "www.erp.acme.example"], tls: "letsencrypt", ...prod },
    ],
    letsencryptEmail: "ops@acme.example",
    dbManagerAllow: [],
    host: { cpus: 4, ramGiB: 8 },
    users: 50,
    emailFrom: "odoo@acme.example",
    smtp: { host: "smtp.acme.example", port: 587, user: "odoo@acme.example", security: "starttls" },
    backupDestination: "boto3+s3://acme-backups/odoo",
    ...over,
  };
}

const FILES = { tlsCertFile: "/etc/ssl/acme/fullchain.pem", tlsKeyFile: "/etc/ssl/acme/privkey.pem" };

const SETS: Record<string, InitAnswers> = {
  "bundled, letsencrypt, Odoo 17": answers({ odooVersion: "17.0", postgresVersion: "16" }),
  "bundled, certificate files in prod and test, Odoo 18": answers({ odooVersion: "18.0", postgresVersion: "16", ...FILES }, { tls: "files" }, { tls: "files" }),
  "bundled, letsencrypt in test too, admin CIDR, Odoo 16": answers(
    { odooVersion: "16.0", postgresVersion: "15", dbManagerAllow: ["10.8.0.0/24", "2001:db8::/48"] },
    { tls: "letsencrypt" },
  ),
  "bundled, Odoo 15 (/longpolling)": answers({ odooVersion: "15.0", postgresVersion: "16" }),
  "shared, letsencrypt, Odoo 16": answers({ odooVersion: "16.0", postgresVersion: "15", proxyBundled: false }),
  "shared, certificate files, admin CIDR, Odoo 17": answers({ odooVersion: "17.0", postgresVersion: "16", proxyBundled: false, dbManagerAllow: ["203.0.113.7"], ...FILES }, {}, { tls: "files" }),
  "shared, Odoo 15 (/longpolling), backup to a folder": answers({ odooVersion: "15.0", postgresVersion: "15", proxyBundled: false, backupDestination: "file:///mnt/backups" }),
};

function write(plan: FilePlan): string {
  const dir = mkdtempSync(join(tmpdir(), "doodba-ops-init-traefik-"));
  dirs.push(dir);
  for (const d of plan.dirs ?? []) mkdirSync(join(dir, d), { recursive: true });
  for (const f of plan.files) {
    const p = join(dir, f.path);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.content);
    if (f.mode !== undefined) chmodSync(p, f.mode);
  }
  return dir;
}

const generated = new Map<string, { dir: string; plan: FilePlan }>();
function project(name: string): { dir: string; plan: FilePlan } {
  let hit = generated.get(name);
  if (!hit) {
    const a = SETS[name];
    if (!a) throw new Error(`no answer set ${name}`);
    const plan = planInit(a, generateSecrets(fakeRandom));
    hit = { dir: write(plan), plan };
    generated.set(name, hit);
  }
  return hit;
}

function composeOf(dir: string, env: string): { services: Record<string, Record<string, unknown>>; networks?: Record<string, Record<string, unknown> | null> } {
  return parse(readFileSync(join(dir, `${env}.yaml`), "utf8")) as ReturnType<typeof composeOf>;
}

describe.each(Object.keys(SETS))("init with Traefik: %s", (name) => {
  it.each(["prod", "test"])("GIVEN the generated project WHEN `check --env %s` runs THEN it reports zero findings about the infrastructure", (env) => {
    const { dir } = project(name);
    const report = runCheck(platform, { dir, envs: [env], now: NOW, noConfig: true, failOn: "never" });
    const lines = report.findings.map((f) => `${f.ruleId} ${formatPos(f.pos)}: ${f.message}`);
    expect(lines.filter((l) => !l.startsWith("odoo-version-end-of-life ")), lines.join("\n")).toEqual([]);
    // The one finding a correct project can have: the user chose a series Odoo S.A. no longer supports.
    const eol = Number.parseFloat(SETS[name]?.odooVersion ?? "0") < 17;
    expect(report.findings.map((f) => f.ruleId)).toEqual(eol ? ["odoo-version-end-of-life"] : []);
    expect(report.ruleErrors).toEqual([]);
  });

  it("GIVEN the generated project WHEN check's proxy analysis reads prod THEN Odoo is reached over TLS, the bus on 8072 and /web/database is blocked", () => {
    const { dir } = project(name);
    const a = SETS[name];
    const p = loadProject(dir, { platform, envs: ["prod"] });
    const prod = p.envs.prod;
    expect(prod).toBeDefined();
    if (!prod || !a) return;
    const an = analyzeProxy(prod, p);
    expect(an.present).toBe(true);
    expect(an.dbManagerBlocked).toBe(true);
    const bus = Number.parseFloat(a.odooVersion) >= 16 ? "/websocket" : "/longpolling";
    expect(an.routes.some((r) => r.service === "odoo" && r.pathPrefix === bus && r.port === 8072 && r.tls === true)).toBe(true);
  });

  it("GIVEN the generated compose files WHEN Traefik looks up the Odoo container's network THEN the label names a Docker network Odoo is on", () => {
    // Traefik matches traefik.docker.network against Docker's network names (with the compose
    // project prefix unless the network has an explicit name or is external): a mismatch makes it
    // fall back to "the first" network of the container, possibly the internal backend.
    const { dir } = project(name);
    for (const env of ["prod", "test"]) {
      const c = composeOf(dir, env);
      const odoo = c.services.odoo ?? {};
      const label = (odoo.labels as Record<string, string>)["traefik.docker.network"];
      expect(label).toBeTruthy();
      const decl = Object.entries(c.networks ?? {}).find(([key, n]) => (n?.name ?? (n?.external ? key : undefined)) === label);
      expect(decl, `${env}.yaml declares no network whose Docker name is ${label}`).toBeDefined();
      expect(odoo.networks as string[]).toContain(decl?.[0]);
      if (SETS[name]?.proxyBundled) expect(c.services.traefik?.networks as string[]).toContain(decl?.[0]);
    }
  });

  it("GIVEN the generated compose files WHEN Debian's docker-compose v1 reads them THEN `config` accepts them", () => {
    const { dir } = project(name);
    for (const env of ["prod", "test"]) {
      const r = spawnSync("docker-compose", ["-f", `${env}.yaml`, "config", "--quiet"], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "" } });
      expect(r.error, "docker-compose is not installed (Debian package docker-compose)").toBeUndefined();
      expect(`${r.stderr}`.split("\n").filter((l) => /error|invalid|unsupported/i.test(l))).toEqual([]);
      expect(r.status).toBe(0);
    }
  });
});

describe("init with Traefik: certificate files", () => {
  it("GIVEN tls: files with a bundled Traefik WHEN generated THEN the dynamic config is in the plan and mounted read-only with the host's certificate and key", () => {
    const { dir, plan } = project("bundled, certificate files in prod and test, Odoo 18");
    expect(plan.files.filter((f) => f.path === TLS_DYNAMIC_FILE)).toHaveLength(1);
    const traefik = composeOf(dir, "prod").services.traefik ?? {};
    expect(traefik.volumes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ source: `./${TLS_DYNAMIC_FILE}`, read_only: true }),
        expect.objectContaining({ source: FILES.tlsCertFile, read_only: true }),
        expect.objectContaining({ source: FILES.tlsKeyFile, read_only: true }),
      ]),
    );
  });
});
