import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../../../src/errors.js";
import { GiB } from "../../../src/tune/odoo.js";
import { parsePgArgv, parsePgConf, pgFlavourOf, recommend, type TuneOptions, type TuneRow } from "../../../src/tune/recommend.js";
import { cleanupProjects, loadFiles } from "../../helpers/project.js";

afterAll(cleanupProjects);

const HOST = { cpus: 4, memoryBytes: 16 * GiB, source: "test" };
const opts = (o: Partial<TuneOptions> = {}): TuneOptions => ({ env: "prod", host: HOST, users: 40, ...o });
const row = (rows: TuneRow[], service: string, setting: string): TuneRow => {
  const r = rows.find((x) => x.service === service && x.setting === setting);
  if (!r) throw new Error(`no row ${service}.${setting} in ${rows.map((x) => `${x.service}.${x.setting}`).join(", ")}`);
  return r;
};

const DOCKERFILE = "FROM ghcr.io/tecnativa/doodba:17.0-onbuild\n";

describe("recommend", () => {
  it("GIVEN a Doodba project THEN each current value comes with its source and position", () => {
    const p = loadFiles({
      "odoo/Dockerfile": DOCKERFILE,
      "common.yaml": "services:\n  odoo:\n    build: {context: ./odoo}\n  db:\n    image: ghcr.io/tecnativa/postgres-autoconf:16-alpine\n    environment:\n      CONF_EXTRA: |\n        work_mem = 32MB\n        max_connections = 200\n",
      "prod.yaml": "services:\n  odoo:\n    extends: {file: common.yaml, service: odoo}\n    command: [odoo, --workers=3]\n    mem_limit: 4g\n  db:\n    extends: {file: common.yaml, service: db}\n",
      "odoo/custom/conf.d/20-perf.conf": "[options]\nlimit_time_cpu = 60\n",
    }, { envs: ["prod"] });
    const r = recommend(p, opts());
    expect(row(r.rows, "odoo", "workers").current).toEqual({ value: "3", source: "command", pos: { file: "prod.yaml", line: 4, col: 21 } });
    expect(row(r.rows, "odoo", "limit_time_cpu").current).toMatchObject({ value: "60", source: "conf.d", pos: { file: "odoo/custom/conf.d/20-perf.conf", line: 2, col: 1 } });
    expect(row(r.rows, "odoo", "limit_request").current.source).toBe("Odoo default");
    expect(row(r.rows, "odoo", "mem_limit").current).toMatchObject({ value: "4g", source: "mem_limit" });
    expect(row(r.rows, "odoo", "cpus").current.source).toBe("no limit");
    expect(row(r.rows, "db", "work_mem").current).toMatchObject({ value: "32MB", source: "CONF_EXTRA", pos: { file: "common.yaml" } });
    expect(row(r.rows, "db", "shared_buffers").current).toEqual({ value: "128MB", source: "PostgreSQL default" });
    // PostgreSQL 16, web workload, 4 GiB for PostgreSQL on this 16 GiB host
    expect(r.layout).toMatchObject({ web: "odoo", db: { service: "db", flavour: "autoconf" }, pgPlacement: "shared", pgVersion: 16, odooMajor: 17 });
    expect(row(r.rows, "db", "shared_buffers").recommended).toBe("1GB");
    // Odoo 17: db_maxconn 8 + gevent 16; (6 workers + 1 cron) x 8 + 16 = 72 + 20 -> PostgreSQL's 100
    expect(row(r.rows, "odoo", "db_maxconn_gevent").recommended).toBe("16");
    expect(row(r.rows, "db", "max_connections")).toMatchObject({ recommended: "100", change: true });
    expect(row(r.rows, "odoo", "limit_time_cpu")).toMatchObject({ recommended: "600", change: true });
    for (const x of r.rows) expect(x.why, `${x.service}.${x.setting}`).not.toBe("");
  });

  it("GIVEN the official postgres image THEN settings are read from the command, and CONF_EXTRA is called out as ignored", () => {
    const p = loadFiles({
      "odoo/Dockerfile": DOCKERFILE,
      "prod.yaml":
        "services:\n  odoo:\n    build: ./odoo\n  db:\n    image: postgres:15\n    environment:\n      CONF_EXTRA: 'work_mem = 512MB'\n    command: [postgres, -c, 'max_connections=300', '--shared_buffers=256MB', -N, '250']\n",
    }, { envs: ["prod"] });
    const r = recommend(p, opts());
    expect(r.layout.db?.flavour).toBe("official");
    // -N comes last: PostgreSQL keeps the last value
    expect(row(r.rows, "db", "max_connections").current).toMatchObject({ value: "250", source: "command" });
    expect(row(r.rows, "db", "shared_buffers").current).toMatchObject({ value: "256MB", source: "command" });
    expect(row(r.rows, "db", "work_mem").current.source).toBe("PostgreSQL default");
    expect(r.notes.join("\n")).toMatch(/ignores CONF_EXTRA/);
  });

  it("GIVEN no PostgreSQL service THEN PostgreSQL runs elsewhere: Odoo gets the host and a note gives max_connections", () => {
    const p = loadFiles({ "odoo/Dockerfile": DOCKERFILE, "prod.yaml": "services:\n  odoo:\n    build: ./odoo\n    environment: {PGHOST: pg.internal.example}\n" }, { envs: ["prod"] });
    const r = recommend(p, opts());
    expect(r.layout.pgPlacement).toBe("elsewhere");
    expect(r.rows.some((x) => x.role === "db")).toBe(false);
    expect(r.notes.join("\n")).toMatch(/set max_connections to at least \d+ on the server Odoo uses/);
    expect(row(r.rows, "odoo", "cpus").recommended).toBe("4");
  });

  it("GIVEN --pg-elsewhere with a db service THEN only its max_connections is recommended", () => {
    const p = loadFiles({ "odoo/Dockerfile": DOCKERFILE, "prod.yaml": "services:\n  odoo:\n    build: ./odoo\n  db:\n    image: postgres:16\n" }, { envs: ["prod"] });
    const r = recommend(p, opts({ pgElsewhere: true }));
    expect(r.rows.filter((x) => x.role === "db").map((x) => x.setting)).toEqual(["max_connections"]);
    expect(r.postgres).toBeUndefined();
  });

  it("GIVEN a cron-only service THEN crons stay split without the flag", () => {
    const p = loadFiles({
      "odoo/Dockerfile": DOCKERFILE,
      "prod.yaml": "services:\n  odoo:\n    build: ./odoo\n  cron:\n    build: ./odoo\n    command: [odoo, --no-http, --max-cron-threads=1]\n  db:\n    image: postgres:16\n",
    }, { envs: ["prod"] });
    const r = recommend(p, opts());
    expect(r.inputs.splitCron).toBe(true);
    expect(r.layout.cron).toEqual({ service: "cron", exists: true });
    expect(row(r.rows, "odoo", "max_cron_threads").recommended).toBe("0");
    expect(row(r.rows, "cron", "max_cron_threads")).toMatchObject({ recommended: "1", change: false });
    expect(row(r.rows, "cron", "http_enable")).toMatchObject({ recommended: "False", change: false });
  });

  it("GIVEN an image tune does not know THEN its settings are listed but a note says to set them by hand", () => {
    const p = loadFiles({ "odoo/Dockerfile": DOCKERFILE, "prod.yaml": "services:\n  odoo:\n    build: ./odoo\n  db:\n    image: bitnami/postgresql:16.2.0\n" }, { envs: ["prod"] });
    const r = recommend(p, opts());
    expect(r.layout.db?.flavour).toBe("unsupported");
    expect(r.notes.join("\n")).toMatch(/does not know how it takes settings/);
  });

  it("GIVEN no Odoo service THEN a UserError lists the services", () => {
    const p = loadFiles({ "prod.yaml": "services:\n  db:\n    image: postgres:16\n" }, { envs: ["prod"] });
    expect(() => recommend(p, opts())).toThrow(UserError);
    expect(() => recommend(p, opts())).toThrow(/no Odoo service that serves HTTP/);
  });

  it("GIVEN an untagged PostgreSQL image THEN version 16 is assumed and said", () => {
    const p = loadFiles({ "odoo/Dockerfile": DOCKERFILE, "prod.yaml": "services:\n  odoo:\n    build: ./odoo\n  db:\n    image: kerano/postgis-autoconf\n" }, { envs: ["prod"] });
    const r = recommend(p, opts());
    expect(r.layout).toMatchObject({ pgVersion: 16, pgVersionAssumed: true, db: { flavour: "autoconf" } });
    expect(r.notes.join("\n")).toMatch(/assume PostgreSQL 16/);
  });
});

describe("PostgreSQL settings parsers", () => {
  it("reads postgresql.conf lines; the last one wins; comments are not values", () => {
    const m = parsePgConf("# tuned\nwork_mem = 32MB # big\nshared_buffers='1GB'\nwork_mem 64MB\n");
    expect(Object.fromEntries(m)).toEqual({ work_mem: "64MB", shared_buffers: "1GB" });
  });
  it("reads -c, -ck=v, --k=v, -N and -B", () => {
    const m = parsePgArgv(["postgres", "-c", "work_mem=8MB", "-cmax_wal_size=2GB", "--shared-buffers=1GB", "-N", "50", "-B", "1024"]);
    expect(Object.fromEntries([...m].map(([k, v]) => [k, v.value]))).toEqual({ work_mem: "8MB", max_wal_size: "2GB", shared_buffers: "8192kB", max_connections: "50" });
  });
  it("knows which images take CONF_EXTRA", () => {
    expect(pgFlavourOf("ghcr.io/tecnativa/postgres-autoconf:16-alpine")).toBe("autoconf");
    expect(pgFlavourOf("tecnativa/postgis-autoconf")).toBe("autoconf");
    expect(pgFlavourOf("postgres:16")).toBe("official");
    expect(pgFlavourOf("postgis/postgis:16-3.4")).toBe("official");
    expect(pgFlavourOf("bitnami/postgresql:16")).toBe("unsupported");
  });
});
