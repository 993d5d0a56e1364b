/**
 * Backup sources: the database and filestore a backup reads, from a URL, libpq's environment or
 * a Doodba project loaded with the real loader.
 */
import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../../../src/errors.js";
import { dbFromEnviron, dbFromProject, filestoreFromPath, filestoreFromProject, locateVolume, maskSecrets, maskUrl, parseDbUrl } from "../../../src/backup/sources.js";
import type { Exec } from "../../../src/platform/exec.js";
import { cleanupProjects, loadFiles } from "../../helpers/project.js";

afterAll(() => cleanupProjects());

const PROD = (extraDb = "", extraOdoo = ""): string => `services:
  odoo:
    build:
      context: ./odoo
    env_file: [.docker/db-access.env]
    environment:
      PGDATABASE: acme_prod
      PGUSER: odoo${extraOdoo}
    volumes:
      - filestore:/var/lib/odoo
  db:
    image: ghcr.io/tecnativa/postgres-autoconf:16-alpine
    environment:
      POSTGRES_USER: odoo
      POSTGRES_DB: acme_prod${extraDb}
volumes:
  filestore:
  db:
`;

const project = (prod: string, more: Record<string, string> = {}) =>
  loadFiles({
    "odoo/Dockerfile": "FROM ghcr.io/tecnativa/doodba:17.0-onbuild\n",
    ".docker/db-access.env": "PGPASSWORD=pa55-word-from-env-file\n",
    "prod.yaml": prod,
    ...more,
  });

describe("parseDbUrl", () => {
  it("GIVEN a full URL THEN libpq variables come out and the display hides the password", () => {
    const s = parseDbUrl("postgres://odoo:s3cret%40x@db.example:6432/prod?sslmode=require");
    expect(s.env).toEqual({ PGHOST: "db.example", PGPORT: "6432", PGUSER: "odoo", PGPASSWORD: "s3cret@x", PGDATABASE: "prod", PGSSLMODE: "require" });
    expect(s.name).toBe("prod");
    expect(s.display).toBe("postgres://odoo:***@db.example:6432/prod");
    expect(s.display).not.toContain("s3cret");
  });
  it("GIVEN a URL without database THEN the default is used, or it is refused (exit 2)", () => {
    expect(parseDbUrl("postgresql://u@h/", "fallback").name).toBe("fallback");
    expect(() => parseDbUrl("postgresql://u@h/")).toThrow(UserError);
  });
  it("GIVEN another scheme or an unknown parameter THEN a UserError that does not leak the password", () => {
    try {
      parseDbUrl("mysql://root:topsecret@h/db");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      expect((e as Error).message).not.toContain("topsecret");
    }
    expect(() => parseDbUrl("postgres://h/db?bogus=1")).toThrow(/unknown connection parameter/);
  });
});

describe("masking", () => {
  it("GIVEN URLs with passwords THEN maskUrl hides them and keeps the rest", () => {
    expect(maskUrl("postgres://odoo:pw@h:5432/db")).toBe("postgres://odoo:***@h:5432/db");
    expect(maskUrl("postgres://h/db?password=pw&sslmode=require")).toBe("postgres://h/db?password=***&sslmode=require");
    expect(maskUrl("s3://bucket/prefix?endpoint=http://127.0.0.1:9000")).toBe("s3://bucket/prefix?endpoint=http://127.0.0.1:9000");
  });
  it("GIVEN secrets THEN every occurrence in a text is replaced", () => {
    expect(maskSecrets("pg_dump: password pw123 for pw123", ["pw123", undefined])).toBe("pg_dump: password *** for ***");
  });
});

describe("dbFromEnviron", () => {
  it("GIVEN PG* variables THEN they are the connection; without a database name there is none", () => {
    const s = dbFromEnviron({ PGHOST: "10.0.0.5", PGUSER: "odoo", PGPASSWORD: "x", PGDATABASE: "prod", HOME: "/root" });
    expect(s?.env).toEqual({ PGHOST: "10.0.0.5", PGUSER: "odoo", PGPASSWORD: "x", PGDATABASE: "prod" });
    expect(s?.display).toBe("postgres://odoo:***@10.0.0.5/prod");
    expect(dbFromEnviron({ PGHOST: "h" })).toBeUndefined();
  });
});

describe("dbFromProject", () => {
  it("GIVEN a db service without published port THEN tools run through docker compose exec, with Odoo's credentials", () => {
    const s = dbFromProject(project(PROD()), "prod");
    expect(s.kind).toBe("compose-exec");
    expect(s.name).toBe("acme_prod");
    expect(s.env).toMatchObject({ PGUSER: "odoo", PGPASSWORD: "pa55-word-from-env-file", PGDATABASE: "acme_prod" });
    expect(s.compose).toMatchObject({ service: "db", files: ["prod.yaml"] });
    expect(s.display).not.toContain("pa55");
  });
  it("GIVEN the db port published on loopback THEN the tools connect there", () => {
    const s = dbFromProject(project(PROD(`\n    ports: ["127.0.0.1:15432:5432"]`)), "prod");
    expect(s.kind).toBe("published");
    expect(s.env).toMatchObject({ PGHOST: "127.0.0.1", PGPORT: "15432" });
  });
  it("GIVEN --db naming another database THEN that name wins", () => {
    expect(dbFromProject(project(PROD()), "prod", "other").name).toBe("other");
  });
  it("GIVEN an unknown environment THEN a UserError lists the known ones", () => {
    expect(() => dbFromProject(project(PROD()), "staging")).toThrow(/no environment "staging"/);
  });
});

describe("filestoreFromProject / locateVolume", () => {
  it("GIVEN the doodba named volume on /var/lib/odoo THEN the filestore is <volume>/filestore/<db>", async () => {
    const p = project(PROD());
    const loc = filestoreFromProject(p, "prod", "acme_prod");
    expect(loc.containerPath).toBe("/var/lib/odoo/filestore/acme_prod");
    expect(loc.volume?.key).toBe("filestore");
    expect(loc.volume?.subPath).toBe("filestore/acme_prod");
    expect(loc.volume?.dockerName).toMatch(/^doodba-ops-test-.*_filestore$/);
    // Docker does not answer (a test double standing for "no docker on PATH"): Docker's default folder.
    const noDocker: Exec = { run: async () => ({ stdout: "", stderr: "", exitCode: 127 }), spawn: async () => { throw new Error("no"); }, which: async () => false };
    const src = await locateVolume(loc, noDocker);
    expect(src.path).toBe(`/var/lib/docker/volumes/${loc.volume?.dockerName}/_data/filestore/acme_prod`);
  });
  it("GIVEN a bind mount THEN the host folder relative to the project", () => {
    const p = project(PROD().replace("filestore:/var/lib/odoo", "./data/odoo:/var/lib/odoo"));
    const loc = filestoreFromProject(p, "prod", "acme_prod");
    expect(loc.hostPath).toBe(`${p.dir}/data/odoo/filestore/acme_prod`);
  });
  it("GIVEN data_dir on no volume THEN a UserError at the service's position", () => {
    const p = project(PROD().replace("    volumes:\n      - filestore:/var/lib/odoo\n", ""));
    expect(() => filestoreFromProject(p, "prod", "acme_prod")).toThrow(/on no named volume or bind mount/);
  });
  it("GIVEN an explicit volume name or `name:` in the compose file THEN Docker's name follows it", () => {
    const named = project(PROD().replace("volumes:\n  filestore:\n", "volumes:\n  filestore:\n    name: acme_files\n"));
    expect(filestoreFromProject(named, "prod", "acme_prod").volume?.dockerName).toBe("acme_files");
    const proj = project(`name: acme-prod\n${PROD()}`);
    expect(filestoreFromProject(proj, "prod", "acme_prod").volume?.dockerName).toBe("acme-prod_filestore");
  });
});

describe("filestoreFromPath", () => {
  it("GIVEN a data_dir THEN the database's folder below it is chosen; otherwise the path itself", () => {
    const dirs = new Set(["/srv/odoo/filestore/prod"]);
    expect(filestoreFromPath("/srv/odoo", "prod", (p) => dirs.has(p)).path).toBe("/srv/odoo/filestore/prod");
    expect(filestoreFromPath("/srv/odoo/filestore/prod", "prod", (p) => dirs.has(p)).path).toBe("/srv/odoo/filestore/prod");
    expect(filestoreFromPath("/elsewhere", "prod", () => false).path).toBe("/elsewhere");
  });
});
