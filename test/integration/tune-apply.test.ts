/**
 * `tune --apply` round trips on real projects: the examples and copies (temp dirs) of the real
 * public Doodba projects of ../shared/corpus/doodba-projects that have a prod environment.
 * After the apply: every comment line of the original files is still there, nothing but the
 * keys tune owns changed (parsed YAML compared minus those keys), common.yaml is untouched, the
 * real `check` finds none of its sizing findings, `tune` recommends nothing more, a second
 * --apply writes nothing, and Debian's real docker-compose v1 still accepts the file when it
 * accepted the original.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Ajv } from "ajv";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runCheck } from "../../src/check/index.js";
import { tuneCommand, type TuneCliOptions } from "../../src/cli/commands/tune.js";
import { nodePlatform, type Platform } from "../../src/platform/index.js";
import { CORPUS, REPO_ROOT, SHARED } from "../helpers/project.js";

const SIZING_RULES = [
  "memory-hard-exceeds-container",
  "no-memory-limit",
  "connection-budget-exceeded",
  "memory-soft-too-low",
  "time-limits-inconsistent",
  "workers-exceed-cpu",
  "workers-not-set",
];

const PROJECTS: [string, string][] = [
  ["examples/acme-erp", join(REPO_ROOT, "examples", "acme-erp")],
  ["examples/clean", join(REPO_ROOT, "examples", "clean")],
  ...(existsSync(CORPUS) ? readdirSync(CORPUS).sort() : [])
    .filter((n) => existsSync(join(CORPUS, n, "prod.yaml")))
    .map((n): [string, string] => [n, join(CORPUS, n)]),
];

// The Compose specification schema (draft-07; its $schema URI is one Ajv does not register).
const { $schema: _metaSchema, ...composeSchema } = JSON.parse(readFileSync(join(SHARED, "schemas", "compose-spec.json"), "utf8")) as Record<string, unknown>;
const ajv = new Ajv({ allErrors: true, strict: false });
const validateCompose = ajv.compile(composeSchema);

const hasDockerCompose = spawnSync("docker-compose", ["version"], { encoding: "utf8" }).status === 0;

const roots: string[] = [];
afterAll(() => {
  for (const d of roots) rmSync(d, { recursive: true, force: true });
});

function makeWritable(p: string): void {
  const st = statSync(p);
  chmodSync(p, st.mode | 0o200 | (st.isDirectory() ? 0o100 : 0));
  if (st.isDirectory()) for (const e of readdirSync(p)) makeWritable(join(p, e));
}

/**
 * A writable copy of a project (the corpus is read-only), symlinks kept as symlinks. The
 * git-ignored env_file secrets (.docker/*.env) the corpus does not have are created empty, so
 * that docker-compose can read the compose files at all.
 */
function copy(src: string): string {
  const root = mkdtempSync(join(tmpdir(), "doodba-ops-tune-"));
  roots.push(root);
  const dir = join(root, "project");
  cpSync(src, dir, { recursive: true, verbatimSymlinks: true });
  makeWritable(dir);
  for (const f of ["common.yaml", "prod.yaml"]) {
    if (!existsSync(join(dir, f))) continue;
    for (const m of readFileSync(join(dir, f), "utf8").matchAll(/^\s*-\s*(\.docker\/[\w.-]+\.env)\s*$/gm)) {
      const envFile = join(dir, m[1] ?? "");
      if (!existsSync(envFile)) {
        mkdirSync(dirname(envFile), { recursive: true });
        writeFileSync(envFile, "");
      }
    }
  }
  return dir;
}

/** Every regular file under dir (relative path -> content); .git and node_modules skipped. */
function snapshot(dir: string, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of snapshot(dir, rel)) out.set(k, v);
    else if (e.isFile()) out.set(rel, readFileSync(join(dir, rel), "utf8"));
  }
  return out;
}

function platform(): { p: Platform; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return { p: { ...nodePlatform(), environ: {}, isTTY: false, stdout: (s) => (out += s), stderr: (s) => (err += s) }, out: () => out, err: () => err };
}

async function tune(dir: string, opts: Partial<TuneCliOptions>): Promise<{ code: number; out: string; err: string }> {
  const c = platform();
  const code = await tuneCommand(c.p, dir, { env: "prod", format: "human", ...opts }, { hostFromOs: () => ({ cpus: 2, memoryBytes: 8 * 1024 ** 3, source: "test" }) });
  return { code, out: c.out(), err: c.err() };
}

/** Full-line comments of a YAML or conf.d file. */
function commentLines(text: string): string[] {
  return text.split("\n").filter((l) => /^\s*[#;]/.test(l));
}

/** `$VAR` / `${VAR}` names that conf.d files use (tune may set them in the environment). */
function confdVars(files: Map<string, string>): Set<string> {
  const out = new Set<string>();
  for (const [path, text] of files) {
    if (!path.startsWith("odoo/custom/conf.d/")) continue;
    for (const m of text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g)) out.add(m[1] ?? "");
  }
  return out;
}

/** The data of a compose file minus everything tune may set. */
function withoutTunedKeys(data: unknown, vars: Set<string>, newServices: Set<string>): unknown {
  const d = structuredClone(data) as { services?: Record<string, Record<string, unknown>> };
  for (const [name, svc] of Object.entries(d.services ?? {})) {
    if (newServices.has(name)) {
      delete d.services?.[name];
      continue;
    }
    if (!svc || typeof svc !== "object") continue;
    for (const k of ["mem_limit", "cpus", "shm_size", "command"]) delete svc[k];
    const limits = ((svc.deploy as Record<string, unknown> | undefined)?.resources as Record<string, unknown> | undefined)?.limits as Record<string, unknown> | undefined;
    if (limits) {
      delete limits.memory;
      delete limits.cpus;
    }
    const env = svc.environment;
    if (Array.isArray(env)) svc.environment = env.filter((x) => { const k = String(x).split("=")[0] ?? ""; return k !== "CONF_EXTRA" && !vars.has(k); });
    else if (env && typeof env === "object") {
      const e = env as Record<string, unknown>;
      delete e.CONF_EXTRA;
      for (const v of vars) delete e[v];
      if (Object.keys(e).length === 0) delete svc.environment;
    }
  }
  return JSON.parse(JSON.stringify(d, (_k, v: unknown) => (v && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0 ? undefined : v))) as unknown;
}

function composeConfigOk(dir: string, file: string): boolean {
  const r = spawnSync("docker-compose", ["-f", file, "config", "--quiet"], { cwd: dir, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir } });
  return r.status === 0;
}

const VARIANTS: { label: string; opts: Partial<TuneCliOptions>; extraRules: string[]; compose: boolean }[] = [
  { label: "4 CPUs / 16 GiB / 40 users", opts: { cpus: "4", memory: "16GiB", users: "40" }, extraRules: [], compose: true },
  // docker-compose takes ~1.5 s a run: the split variant's compose file is validated in tune-cli.test.ts
  { label: "8 CPUs / 32 GiB / 80 users, --split-cron", opts: { cpus: "8", memory: "32GiB", users: "80", splitCron: true }, extraRules: ["cron-on-every-replica"], compose: false },
];

describe.each(PROJECTS)("tune --apply round trip on %s", (name, src) => {
  it.each(VARIANTS)("$label", async ({ opts, extraRules, compose }) => {
    const dir = copy(src);
    const before = snapshot(dir);
    const composeBefore = compose && hasDockerCompose ? composeConfigOk(dir, "prod.yaml") : false;

    // WHEN tune --apply --yes runs
    const first = await tune(dir, { ...opts, apply: true, yes: true });
    expect(first.code, first.err).toBe(0);
    const after = snapshot(dir);

    // THEN only the environment's file and conf.d changed; common.yaml (shared by every environment) did not
    const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).sort();
    expect(changed.length).toBeGreaterThan(0);
    for (const f of changed) expect(f === "prod.yaml" || f.startsWith("odoo/custom/conf.d/"), `${name}: ${f} changed`).toBe(true);
    expect(after.get("common.yaml")).toBe(before.get("common.yaml"));

    // every comment line of the original files is still there
    for (const f of changed) {
      const old = before.get(f);
      const now = after.get(f) ?? "";
      if (old === undefined) continue;
      const lines = now.split("\n");
      for (const c of commentLines(old)) expect(lines, `${name} ${f}: lost comment ${c}`).toContain(c);
    }

    // nothing but the keys tune owns changed in the compose file
    const oldData = parse(before.get("prod.yaml") ?? "", { merge: true }) as { services?: Record<string, unknown> };
    const newData = parse(after.get("prod.yaml") ?? "", { merge: true }) as { services?: Record<string, unknown> };
    const added = new Set(Object.keys(newData.services ?? {}).filter((s) => !(s in (oldData.services ?? {}))));
    for (const s of added) expect(s, `${name}: unexpected new service`).toMatch(/-cron$/);
    expect(added.size).toBe(opts.splitCron ? 1 : 0);
    const vars = confdVars(before);
    expect(withoutTunedKeys(newData, vars, added)).toEqual(withoutTunedKeys(oldData, vars, new Set()));

    // conf.d: the tune file, and later files only with lines commented out
    for (const f of changed.filter((x) => x.startsWith("odoo/custom/conf.d/"))) {
      if (f.endsWith("-doodba-ops-tune.conf")) continue;
      const oldLines = (before.get(f) ?? "").split("\n");
      const newLines = (after.get(f) ?? "").split("\n");
      expect(newLines.length).toBe(oldLines.length);
      newLines.forEach((l, i) => {
        if (l !== oldLines[i]) expect(l).toBe(`; doodba-ops tune: replaced by 99-doodba-ops-tune.conf: ${(oldLines[i] ?? "").trim()}`);
      });
    }

    // THEN check finds none of the sizing findings in prod
    const c = platform();
    const report = runCheck(c.p, { dir, envs: ["prod"], noConfig: true });
    const sizing = report.findings.filter((f) => [...SIZING_RULES, ...extraRules].includes(f.ruleId));
    expect(sizing.map((f) => `${f.ruleId}: ${f.message}`)).toEqual([]);

    // and tune itself has nothing left to change
    const json = await tune(dir, { ...opts, format: "json" });
    const data = JSON.parse(json.out) as { changes: number; settings: { setting: string; service: string; change: boolean }[] };
    expect(data.settings.filter((s) => s.change).map((s) => `${s.service}.${s.setting}`)).toEqual([]);

    // a second --apply is a no-op
    const second = await tune(dir, { ...opts, apply: true, yes: true });
    expect(second.code).toBe(0);
    expect(second.err).toMatch(/nothing to write/);
    expect(snapshot(dir)).toEqual(after);

    // the file still validates against the Compose specification when the original did
    if (validateCompose(oldData)) expect(validateCompose(newData), `${name}: ${ajv.errorsText(validateCompose.errors)}`).toBe(true);
    // and Debian's real docker-compose v1 still reads it
    if (compose && hasDockerCompose) {
      expect(composeBefore, `${name}: docker-compose config on the original`).toBe(true);
      expect(composeConfigOk(dir, "prod.yaml"), `${name}: docker-compose config`).toBe(true);
    }
  });
});

/** The other environments (devel, test, staging, ...) of the corpus projects that have an Odoo web service. */
const OTHER_ENVS: [string, string, string][] = (existsSync(CORPUS) ? readdirSync(CORPUS).sort() : []).filter((n) => statSync(join(CORPUS, n)).isDirectory()).flatMap((n) =>
  readdirSync(join(CORPUS, n))
    .filter((f) => /\.ya?ml$/.test(f) && !["common.yaml", "prod.yaml", "docker-compose.yml", "config.yml"].includes(f) && !f.startsWith(".") && !/inverseproxy|upgrade/.test(f))
    .filter((f) => /^\s*odoo:/m.test(readFileSync(join(CORPUS, n, f), "utf8")))
    .map((f): [string, string, string] => [n, f.replace(/\.ya?ml$/, ""), join(CORPUS, n)]),
);

describe.each(OTHER_ENVS)("tune --apply on %s, environment %s", (name, env, src) => {
  it("changes only the keys tune owns, keeps every comment, and a second apply is a no-op", async () => {
    const dir = copy(src);
    const before = snapshot(dir);
    const opts: Partial<TuneCliOptions> = { env, cpus: "4", memory: "16GiB", users: "30", splitCron: true, apply: true, yes: true };
    const first = await tune(dir, opts);
    expect(first.code, first.err).toBe(0);
    const after = snapshot(dir);
    const file = `${env}.yaml`;
    const changed = [...after.keys()].filter((k) => before.get(k) !== after.get(k));
    for (const f of changed) expect(f === file || f.startsWith("odoo/custom/conf.d/"), `${name}: ${f} changed`).toBe(true);
    const lines = (after.get(file) ?? "").split("\n");
    for (const c of commentLines(before.get(file) ?? "")) expect(lines, `${name} ${file}: lost comment ${c}`).toContain(c);
    const oldData = parse(before.get(file) ?? "", { merge: true }) as { services?: Record<string, unknown> };
    const newData = parse(after.get(file) ?? "", { merge: true }) as { services?: Record<string, unknown> };
    const added = new Set(Object.keys(newData.services ?? {}).filter((s) => !(s in (oldData.services ?? {}))));
    const vars = confdVars(before);
    expect(withoutTunedKeys(newData, vars, added)).toEqual(withoutTunedKeys(oldData, vars, new Set()));
    const second = await tune(dir, opts);
    expect(second.err).toMatch(/nothing to write/);
    expect(snapshot(dir)).toEqual(after);
  });
});

describe("tune --apply on the corpus", () => {
  it("covers at least 6 real projects with a prod environment", () => {
    expect(PROJECTS.filter(([n]) => !n.startsWith("examples/")).length).toBeGreaterThanOrEqual(6);
  });
});
