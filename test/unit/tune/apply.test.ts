import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadProject } from "../../../src/project/index.js";
import type { ProjectModel } from "../../../src/project/model.js";
import { CONF_EXTRA_MARKER, mergeConfExtra, planApply, setOdooFlags, setPgArgs } from "../../../src/tune/apply.js";
import { GiB } from "../../../src/tune/odoo.js";
import { recommend, type TuneOptions } from "../../../src/tune/recommend.js";
import { cleanupProjects, writeProject } from "../../helpers/project.js";

afterAll(cleanupProjects);

const DOCKERFILE = "FROM ghcr.io/tecnativa/doodba:17.0-onbuild\n";
const HOST = { cpus: 4, memoryBytes: 16 * GiB, source: "test" };

function plan(files: Record<string, string>, o: Partial<TuneOptions> = {}): { project: ProjectModel; out: Map<string, string>; edits: string[]; notes: string[] } {
  const dir = writeProject(files);
  const project = loadProject(dir, { envs: ["prod"], environ: {} });
  const rec = recommend(project, { env: "prod", host: HOST, users: 40, ...o });
  const p = planApply(project, rec);
  return { project, out: new Map(p.plan.files.map((f) => [f.path, f.content])), edits: p.edits, notes: p.notes };
}

describe("setOdooFlags", () => {
  it("replaces `--flag=value` and `--flag value` in place and appends the others", () => {
    const v = new Map([
      ["workers", "5"],
      ["max_cron_threads", "0"],
      ["db_maxconn", "8"],
    ]);
    expect(setOdooFlags(["odoo", "--workers", "0", "--db_maxconn=64", "--dev=reload"], v)).toEqual(["odoo", "--workers", "5", "--db_maxconn=8", "--dev=reload", "--max-cron-threads=0"]);
  });
});

describe("setPgArgs", () => {
  it("replaces -c, -ck=v, --k=v and -N values; appends the others as -c k=v in pgtune's order", () => {
    expect(setPgArgs(["postgres", "-c", "work_mem=1MB", "--shared_buffers=1MB", "-N", "20"], { max_connections: "140", shared_buffers: "1GB", work_mem: "8MB", huge_pages: "off" })).toEqual([
      "postgres",
      "-c",
      "work_mem=8MB",
      "--shared_buffers=1GB",
      "-N",
      "140",
      "-c",
      "huge_pages=off",
    ]);
    expect(setPgArgs([], { max_connections: "100" })).toEqual(["postgres", "-c", "max_connections=100"]);
  });
});

describe("mergeConfExtra", () => {
  it("keeps the user's lines and comments, replaces tuned values in place, appends the rest after a marker", () => {
    const merged = mergeConfExtra("# ours\nwork_mem = 512MB # reports\nlog_min_duration_statement = 1000\n", { work_mem: "8MB", shared_buffers: "1GB", max_connections: "140" });
    expect(merged).toBe(`# ours\nwork_mem = 8MB # reports\nlog_min_duration_statement = 1000\n${CONF_EXTRA_MARKER}\nmax_connections = 140\nshared_buffers = 1GB\n`);
    // again: nothing moves
    expect(mergeConfExtra(merged, { work_mem: "8MB", shared_buffers: "1GB", max_connections: "140" })).toBe(merged);
  });
});

describe("planApply", () => {
  it("GIVEN values from common.yaml (extends) THEN the overrides go into the environment's file and common.yaml is not touched", () => {
    const { out } = plan({
      "odoo/Dockerfile": DOCKERFILE,
      "common.yaml":
        "services:\n  odoo:\n    build: {context: ./odoo}\n    mem_limit: 2g\n    command: [odoo, --workers, '0']\n  db:\n    image: ghcr.io/tecnativa/postgres-autoconf:16-alpine\n    environment:\n      CONF_EXTRA: |\n        work_mem = 512MB\n",
      "prod.yaml": "# production\nservices:\n  odoo:\n    extends: {file: common.yaml, service: odoo}\n  db:\n    extends: {file: common.yaml, service: db}\n",
    });
    expect(out.has("common.yaml")).toBe(false);
    const prod = parse(out.get("prod.yaml") ?? "") as { services: Record<string, Record<string, unknown>> };
    expect(out.get("prod.yaml")).toMatch(/^# production\n/);
    expect(prod.services.odoo?.command).toEqual(["odoo", "--workers", "6"]);
    expect(prod.services.odoo?.mem_limit).toBe("11520m");
    const confExtra = (prod.services.db?.environment as Record<string, string>).CONF_EXTRA ?? "";
    expect(confExtra.startsWith("work_mem = ")).toBe(true);
    expect(confExtra).toContain("shared_buffers = 1GB\n");
    expect(out.get("odoo/custom/conf.d/99-doodba-ops-tune.conf")).toContain("[options]\nworkers = 6\nmax_cron_threads = 1\n");
  });

  it("GIVEN later conf.d files THEN a `$VAR` line gets the variable in the environment, a literal line is commented out", () => {
    const { out, notes } = plan({
      "odoo/Dockerfile": DOCKERFILE,
      "prod.yaml": "services:\n  odoo:\n    build: ./odoo\n    environment:\n      - WORKERS=2\n      - PGHOST=db\n  db:\n    image: postgres:16\n",
      "odoo/custom/conf.d/base.conf": "[options]\n; tuned by hand\nworkers = $WORKERS\nlimit_time_real = 90\nlimit_time_cpu = 600\n",
      "odoo/custom/conf.d/01-early.conf": "[options]\nworkers = 1\n",
    });
    const prod = parse(out.get("prod.yaml") ?? "") as { services: Record<string, Record<string, unknown>> };
    expect(prod.services.odoo?.environment).toEqual(["WORKERS=6", "PGHOST=db"]);
    // the literal that differs is commented out with its old value; the one that agrees stays
    expect(out.get("odoo/custom/conf.d/base.conf")).toBe(
      "[options]\n; tuned by hand\nworkers = $WORKERS\n; doodba-ops tune: replaced by 99-doodba-ops-tune.conf: limit_time_real = 90\nlimit_time_cpu = 600\n",
    );
    // earlier files lose to ours anyway
    expect(out.has("odoo/custom/conf.d/01-early.conf")).toBe(false);
    expect(notes.join("\n")).toMatch(/base.conf sorts after 99-doodba-ops-tune.conf/);
  });

  it("GIVEN deploy limits (a flow mapping) and the official image THEN limits stay in deploy and settings go on the command", () => {
    const { out } = plan({
      "odoo/Dockerfile": DOCKERFILE,
      "prod.yaml":
        "services:\n  odoo:\n    build: ./odoo\n    deploy:\n      resources:\n        limits: {memory: 4G}\n  db:\n    image: postgres:16\n    command: postgres -c max_connections=300\n    deploy:\n      resources:\n        limits:\n          memory: 1G\n",
    });
    const text = out.get("prod.yaml") ?? "";
    const prod = parse(text) as { services: Record<string, Record<string, unknown>> };
    expect(prod.services.odoo?.deploy).toEqual({ resources: { limits: { memory: "11520m", cpus: "3" } } });
    expect(prod.services.odoo?.mem_limit).toBeUndefined();
    expect(prod.services.db?.deploy).toEqual({ resources: { limits: { memory: "4g", cpus: "2" } } });
    // a shell-form command stays a string
    expect(typeof prod.services.db?.command).toBe("string");
    expect(prod.services.db?.command).toMatch(/^postgres -c max_connections=100 -c shared_buffers=1GB -c effective_cache_size=3GB /);
  });

  it("GIVEN --split-cron THEN a cron-only service joins the database's networks, not the proxy's, and inherits no HTTP healthcheck", () => {
    const { out } = plan(
      {
        "odoo/Dockerfile": DOCKERFILE,
        "common.yaml": "services:\n  odoo:\n    build: ./odoo\n    healthcheck:\n      test: [CMD, curl, -f, http://localhost:8069/web/health]\n",
        "prod.yaml":
          "services:\n  odoo:\n    extends: {file: common.yaml, service: odoo}\n    env_file: [.docker/odoo.env]\n    networks: [backend, proxy]\n    labels:\n      traefik.enable: 'true'\n    ports: ['127.0.0.1:8069:8069']\n  db:\n    image: postgres:16\n    networks: [backend]\nnetworks:\n  backend: {internal: true}\n  proxy: {external: true}\n",
      },
      { splitCron: true },
    );
    const prod = parse(out.get("prod.yaml") ?? "") as { services: Record<string, Record<string, unknown>> };
    const cron = prod.services["odoo-cron"];
    expect(cron).toMatchObject({
      extends: { file: "common.yaml", service: "odoo" },
      env_file: [".docker/odoo.env"],
      networks: ["backend"],
      labels: { "traefik.enable": "false" },
      healthcheck: { disable: true },
      command: ["odoo", "--no-http", "--max-cron-threads=1"],
    });
    expect(cron?.ports).toBeUndefined();
    expect(prod.services.odoo?.command).toEqual(["odoo", "--max-cron-threads=0"]);
    expect(out.get("prod.yaml")).toContain("  # cron-only Odoo instance (doodba-ops tune --split-cron)");
  });

  it("GIVEN an Odoo image that does not read conf.d THEN every option goes on its command line", () => {
    const { out, notes } = plan({ "prod.yaml": "services:\n  odoo:\n    image: odoo:17\n    environment: {HOST: db}\n  db:\n    image: postgres:16\n" });
    expect([...out.keys()]).toEqual(["prod.yaml"]);
    const prod = parse(out.get("prod.yaml") ?? "") as { services: Record<string, Record<string, unknown>> };
    expect(prod.services.odoo?.command).toEqual(expect.arrayContaining(["odoo", "--workers=6", "--max-cron-threads=1", "--limit-memory-hard=1677721600", "--db_maxconn=8"]));
    expect(notes.join("\n")).toMatch(/does not read odoo\/custom\/conf.d/);
  });

  it("GIVEN a list-form environment THEN CONF_EXTRA is added as a list item that reads back", () => {
    const { out } = plan({
      "odoo/Dockerfile": DOCKERFILE,
      "prod.yaml": "services:\n  odoo:\n    build: ./odoo\n  db:\n    image: ghcr.io/tecnativa/postgres-autoconf:16-alpine\n    environment:\n      - POSTGRES_USER=odoo\n",
    });
    const dir = writeProject({ "prod.yaml": out.get("prod.yaml") ?? "" });
    const env = loadProject(dir, { envs: ["prod"], environ: {} }).envs.prod;
    expect(env?.compose.services.db?.environment.POSTGRES_USER).toBe("odoo");
    expect(env?.compose.services.db?.environment.CONF_EXTRA).toMatch(/^# added by doodba-ops tune[^\n]*\nmax_connections = 100\nshared_buffers = 1GB\n/);
  });
});
