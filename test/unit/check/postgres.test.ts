/** PostgreSQL helpers of the rules: version parsing, server detection, data layout, support tables. */
import { afterAll, describe, expect, it } from "vitest";
import {
  formatPgMajor,
  isPersistent,
  isPgEndOfLife,
  isUnder,
  mountHolding,
  odooMinPg,
  odooNewestTestedPg,
  parsePgMajor,
  pgDataLayout,
  pgEndOfLife,
  pgImageFlavour,
  pgMajorAfter,
  pgMajorDistance,
  pgServerServices,
  pgVersions,
} from "../../../src/check/lib/postgres.js";
import type { ServiceModel, VolumeMount } from "../../../src/project/model.js";
import { cleanupProjects, loadFiles } from "../../helpers/project.js";

afterAll(() => cleanupProjects());

function svc(image: string | undefined, volumes: Partial<VolumeMount>[] = [], environment: Record<string, string> = {}): ServiceModel {
  return {
    name: "db",
    image,
    environment,
    ports: [],
    expose: [],
    volumes: volumes.map((v) => ({ type: "volume", target: "/", readOnly: false, ...v })),
    labels: {},
    networks: {},
    dependsOn: {},
    privileged: false,
    capAdd: [],
    raw: {},
  };
}

describe("parsePgMajor", () => {
  it.each([
    ["16", 16],
    ["16.6", 16],
    ["16-alpine", 16],
    ["13-3.1", 13],
    ["9.6", 9.6],
    ["9.6.3", 9.6],
    ["9.6-2.5", 9.6],
    ["9.6-alpine", 9.6],
    ["10-alpine", 10],
    ["latest-pg16", 16],
    ["2.14.2-pg16", 16],
    ["pg17", 17],
    ["16.2.0-debian-12-r8", 16],
    [18, 18],
  ] as const)("GIVEN %s WHEN parsed THEN the major is %s", (input, major) => {
    expect(parsePgMajor(input)).toBe(major);
  });

  it.each(["latest", "alpine", "", "bookworm", "100", "3"])("GIVEN %j THEN it is unknown", (input) => {
    expect(parsePgMajor(input)).toBeUndefined();
  });

  it("GIVEN undefined or null THEN it is unknown", () => {
    expect(parsePgMajor(undefined)).toBeUndefined();
    expect(parsePgMajor(null)).toBeUndefined();
  });

  it("formats two-part majors with their minor", () => {
    expect(formatPgMajor(9.6)).toBe("9.6");
    expect(formatPgMajor(9)).toBe("9.0");
    expect(formatPgMajor(16)).toBe("16");
  });
});

describe("pgImageFlavour", () => {
  it.each([
    ["postgres:16", "official"],
    ["docker.io/library/postgres:16.6", "official"],
    ["ghcr.io/tecnativa/postgres-autoconf:16-alpine", "official"],
    ["kerano/postgis-autoconf", "official"],
    ["postgis/postgis:13-3.1", "official"],
    ["timescale/timescaledb:2.14.2-pg16", "official"],
    ["pgvector/pgvector:pg17", "official"],
    ["bitnami/postgresql:16", "bitnami"],
  ] as const)("GIVEN %s THEN it is a %s PostgreSQL server", (image, flavour) => {
    expect(pgImageFlavour(image)).toBe(flavour);
  });

  it.each([
    "ghcr.io/tecnativa/docker-duplicity-postgres-s3:latest",
    "prometheuscommunity/postgres-exporter:v0.15.0",
    "edoburu/pgbouncer:1.22",
    "dpage/pgadmin4:8",
    "ghcr.io/tecnativa/doodba:17.0",
  ])("GIVEN %s THEN it is not a server", (image) => {
    expect(pgImageFlavour(image)).toBeUndefined();
  });
});

describe("major arithmetic", () => {
  it("counts releases across the 9.x -> 10 switch", () => {
    expect(pgMajorDistance(9.5, 9.6)).toBe(1);
    expect(pgMajorDistance(9.6, 10)).toBe(1);
    expect(pgMajorDistance(14, 18)).toBe(4);
    expect(pgMajorDistance(16, 12)).toBe(-4);
    expect(pgMajorAfter(9.6, 1)).toBe(10);
    expect(pgMajorAfter(14, 2)).toBe(16);
    expect(pgMajorAfter(9.5, 1)).toBe(9.6);
  });
});

describe("support tables", () => {
  it("GIVEN Odoo majors THEN the minimum PostgreSQL follows odoo's MIN_PG_VERSION and docs", () => {
    expect(odooMinPg(8)).toBe(9.0);
    expect(odooMinPg(12)).toBe(9.5);
    expect(odooMinPg(15)).toBe(10);
    expect(odooMinPg(16)).toBe(12);
    expect(odooMinPg(17)).toBe(12);
    expect(odooMinPg(18)).toBe(13);
    expect(odooMinPg(19)).toBe(13);
    expect(odooMinPg(7)).toBeUndefined();
  });

  it("GIVEN an Odoo series THEN the newest tested PostgreSQL is the last released while it was supported", () => {
    expect(odooNewestTestedPg(12)).toBe(14);
    expect(odooNewestTestedPg(15)).toBe(17);
    expect(odooNewestTestedPg(17)).toBeUndefined();
  });

  it("GIVEN a date THEN majors past their end of life are reported, on the day itself too", () => {
    const now = new Date("2026-11-27T00:00:00Z");
    expect(isPgEndOfLife(12, now)).toBe(true);
    expect(isPgEndOfLife(13, now)).toBe(true);
    expect(isPgEndOfLife(14, now)).toBe(true);
    expect(isPgEndOfLife(15, now)).toBe(false);
    expect(isPgEndOfLife(9.6, now)).toBe(true);
    expect(isPgEndOfLife(8.2, now)).toBe(true);
    expect(isPgEndOfLife(19, now)).toBe(false);
    expect(pgEndOfLife(14)).toBe("2026-11-12");
    expect(isPgEndOfLife(14, new Date("2026-11-12T08:00:00Z"))).toBe(true);
    expect(isPgEndOfLife(14, new Date("2026-11-11T23:59:59Z"))).toBe(false);
  });
});

describe("pgDataLayout", () => {
  it("GIVEN PostgreSQL 17 or older THEN PGDATA is /var/lib/postgresql/data, the image VOLUME too", () => {
    expect(pgDataLayout(svc("postgres:16"))).toEqual({
      dataDir: "/var/lib/postgresql/data",
      imageVolume: "/var/lib/postgresql/data",
      uncertain: false,
    });
  });

  it("GIVEN PostgreSQL 18 THEN PGDATA moves to /var/lib/postgresql/18/docker under VOLUME /var/lib/postgresql", () => {
    expect(pgDataLayout(svc("ghcr.io/tecnativa/postgres-autoconf:18-alpine"))).toEqual({
      dataDir: "/var/lib/postgresql/18/docker",
      imageVolume: "/var/lib/postgresql",
      uncertain: false,
    });
  });

  it("GIVEN a PGDATA variable THEN it wins", () => {
    expect(pgDataLayout(svc("postgres:18", [], { PGDATA: "/var/lib/postgresql/data/" }))?.dataDir).toBe(
      "/var/lib/postgresql/data",
    );
  });

  it("GIVEN no tag THEN the layout is uncertain", () => {
    expect(pgDataLayout(svc("postgres"))?.uncertain).toBe(true);
  });

  it("GIVEN an image that is not a known server THEN there is no layout", () => {
    expect(pgDataLayout(svc("acme/db:1"))).toBeUndefined();
    expect(pgDataLayout(svc(undefined))).toBeUndefined();
  });
});

describe("mountHolding", () => {
  it("GIVEN a named volume at the directory THEN it holds it", () => {
    const s = svc("postgres:16", [{ type: "volume", source: "db", target: "/var/lib/postgresql/data" }]);
    const m = mountHolding(s, "/var/lib/postgresql/data", ["/var/lib/postgresql/data"]);
    expect(m.kind).toBe("named");
    expect(isPersistent(m.kind)).toBe(true);
  });

  it("GIVEN a named volume on a parent of the image VOLUME THEN the anonymous image volume still holds the data", () => {
    const s = svc("x", [{ type: "volume", source: "lib", target: "/var/lib" }]);
    expect(mountHolding(s, "/var/lib/odoo/filestore", ["/var/lib/odoo"])).toEqual({
      kind: "image-volume",
      target: "/var/lib/odoo",
    });
  });

  it("GIVEN a deeper mount THEN the deepest one wins", () => {
    const s = svc("x", [
      { type: "volume", source: "data", target: "/var/lib/odoo" },
      { type: "tmpfs", target: "/var/lib/odoo/filestore" },
    ]);
    expect(mountHolding(s, "/var/lib/odoo/filestore", ["/var/lib/odoo"]).kind).toBe("tmpfs");
  });

  it("GIVEN an anonymous volume or nothing THEN it is not persistent", () => {
    expect(mountHolding(svc("x", [{ type: "volume", target: "/data" }]), "/data").kind).toBe("anonymous");
    expect(mountHolding(svc("x"), "/data").kind).toBe("none");
    expect(mountHolding(svc("x", [{ type: "bind", source: "./d", target: "/data/" }]), "/data").kind).toBe("bind");
  });

  it("isUnder compares whole path segments", () => {
    expect(isUnder("/var/lib/odoo", "/var/lib/odoo")).toBe(true);
    expect(isUnder("/var/lib/odoo/filestore", "/var/lib/odoo/")).toBe(true);
    expect(isUnder("/var/lib/odoo-data", "/var/lib/odoo")).toBe(false);
    expect(isUnder("/anything", "/")).toBe(true);
  });
});

describe("pgVersions (real loader)", () => {
  const dockerfile = "FROM ghcr.io/tecnativa/doodba:17.0-onbuild\n";

  it("GIVEN a db service THEN the version comes from its image tag, with the tag's position", () => {
    const project = loadFiles({
      "odoo/Dockerfile": dockerfile,
      "prod.yaml":
        "services:\n  odoo:\n    build:\n      context: ./odoo\n      args:\n        DB_VERSION: \"12\"\n  db:\n    image: postgres:16.6\n",
    });
    const env = project.envs["prod"];
    expect(env).toBeDefined();
    if (!env) return;
    expect(pgServerServices(env).map((s) => s.name)).toEqual(["db"]);
    const v = pgVersions(env, project);
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ major: 16, source: "image", service: "db", pos: { file: "prod.yaml", line: 8 } });
  });

  it("GIVEN no db service THEN the DB_VERSION build arg of the Odoo service is used", () => {
    const project = loadFiles({
      "odoo/Dockerfile": dockerfile,
      "prod.yaml": "services:\n  odoo:\n    build:\n      context: ./odoo\n      args:\n        DB_VERSION: \"15\"\n",
    });
    const env = project.envs["prod"];
    if (!env) throw new Error("no prod env");
    expect(pgVersions(env, project)).toMatchObject([{ major: 15, source: "build-arg", pos: { line: 6 } }]);
  });

  it("GIVEN a db service with an untagged image THEN nothing is guessed from other sources", () => {
    const project = loadFiles({
      "odoo/Dockerfile": dockerfile,
      ".copier-answers.yml": "postgres_version: \"13\"\n",
      "prod.yaml": "services:\n  odoo:\n    build:\n      context: ./odoo\n  db:\n    image: postgres\n",
    });
    const env = project.envs["prod"];
    if (!env) throw new Error("no prod env");
    expect(pgVersions(env, project)).toEqual([]);
  });

  it("GIVEN an environment without Odoo nor db (a proxy stack) THEN the copier answer is not applied to it", () => {
    const project = loadFiles({
      ".copier-answers.yml": "postgres_version: \"12\"\n",
      "inverseproxy.yaml": "services:\n  proxy:\n    image: traefik:2.11\n",
    });
    const env = project.envs["inverseproxy"];
    if (!env) throw new Error("no inverseproxy env");
    expect(pgVersions(env, project)).toEqual([]);
  });
});
