/**
 * Live mode wiring on the sample project examples/acme-erp (Odoo 17, Traefik labels, workers = 0,
 * /longpolling routed to 8072): which addresses the probes take, --skip, the check findings that
 * explain a symptom, and a whole run where nothing live can be reached (no engine: DOCKER_HOST
 * points at a socket where nothing listens; PostgreSQL refused through a TEST DOUBLE of the
 * connector that fails as node-postgres does, with the password in its message).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { directEndpoint, mainOdoo, proxyEndpoint, runDoctorLive, validateSkip } from "../../../src/doctor/live.js";
import { probeCheck } from "../../../src/doctor/probes/check.js";
import { mask, maskUrls } from "../../../src/doctor/probes/util.js";
import type { DoctorFinding } from "../../../src/doctor/types.js";
import { isUserError } from "../../../src/errors.js";
import { nodePlatform, type Platform } from "../../../src/platform/index.js";
import type { PgConnect } from "../../../src/platform/pg.js";
import { loadProject } from "../../../src/project/index.js";
import { REPO_ROOT } from "../../helpers/project.js";

const ACME = join(REPO_ROOT, "examples", "acme-erp");
const NO_ENGINE = "unix:///nonexistent/doodba-ops-unit/docker.sock";
const platform: Platform = { ...nodePlatform(), environ: { PATH: process.env.PATH, DOCKER_HOST: NO_ENGINE }, stdout: () => undefined, stderr: () => undefined, now: () => new Date("2026-11-27T03:00:00Z") };

function acmeProd() {
  const project = loadProject(ACME, { platform, envs: ["prod"] });
  const env = project.envs.prod;
  const odoo = env ? mainOdoo(env) : undefined;
  if (!env || !odoo) throw new Error("acme-erp has no prod env with Odoo");
  return { project, env, odoo };
}

describe("addresses", () => {
  it("the proxy: the Odoo router's domain over TLS from the Traefik labels; --url wins; a bad --url is a usage error", () => {
    const { project, env, odoo } = acmeProd();
    const ep = proxyEndpoint(project, env, odoo, undefined);
    expect(ep).toEqual({ base: "https://erp.acme.example", busBase: "https://erp.acme.example", how: expect.stringMatching(/^traefik2 router acme-prod-main-secure \(erp\.acme\.example, \/ -> :8069\)$/) });
    expect(proxyEndpoint(project, env, odoo, "https://erp.example.com/")).toEqual({ base: "https://erp.example.com", busBase: "https://erp.example.com", how: "--url" });
    for (const bad of ["erp.example.com", "ftp://erp.example.com"]) {
      try {
        proxyEndpoint(project, env, odoo, bad);
        expect.unreachable();
      } catch (e) {
        expect(isUserError(e)).toBe(true);
      }
    }
  });

  it("directly: without an engine, only ports published in the compose file; acme-erp publishes none for Odoo", () => {
    const { env, odoo } = acmeProd();
    const ep = directEndpoint(env, odoo, undefined, [], "no Docker engine answers: x");
    expect(ep).toEqual({ skip: "service odoo publishes no port 8069 in the compose file and, without a Docker engine, its container address is unknown (no Docker engine answers: x)" });
    const published = { ...odoo, svc: { ...odoo.svc, ports: [{ target: 8069, published: "18069", protocol: "tcp", hostIp: "127.0.0.1" }] } };
    // workers = 0 in acme-erp: the threaded server serves the bus on its HTTP port
    expect(directEndpoint(env, published, undefined, [], "")).toEqual({ base: "http://127.0.0.1:18069", busBase: "http://127.0.0.1:18069", how: "port published in the compose file (odoo)", refusedMeansAbsent: true });
  });

  it("--skip takes probe ids and groups; anything else is a usage error naming them", () => {
    expect(() => validateSkip(["proxy", "pg-cron", "docker"])).not.toThrow();
    try {
      validateSkip(["proxies"]);
      expect.unreachable();
    } catch (e) {
      expect(isUserError(e)).toBe(true);
      expect(String((e as { hint?: string }).hint)).toMatch(/Groups: check, direct, disk, docker, http, logs, pg, postgres, proxy, websocket\./);
    }
  });
});

describe("check findings that explain symptoms", () => {
  const observed = (id: string, title: string, origin: DoctorFinding["origin"] = "logs"): DoctorFinding => ({ id, severity: "error", title, evidence: [], cause: "", fix: "", origin });

  it("GIVEN the websocket failing in the logs THEN the route without workers and the wrong path are kept, with where and why", () => {
    const { project } = acmeProd();
    const r = probeCheck(platform, project, "prod", [observed("websocket-not-routed", "Websocket/longpolling reached the HTTP port instead of the gevent port")], new Date("2026-11-27"));
    expect(r.findings.map((f) => f.id).sort()).toEqual(["websocket-route-path-wrong", "websocket-route-without-workers"]);
    const w = r.findings.find((f) => f.id === "websocket-route-without-workers");
    expect(w?.origin).toBe("check");
    expect(w?.evidence[0]).toMatch(/^prod\.yaml:\d+:\d+: Odoo service odoo: traefik2 router acme-prod-longpolling/);
    expect(w?.evidence).toContain("explains the bus/websocket failing: Websocket/longpolling reached the HTTP port instead of the gevent port (logs)");
    expect(r.probe).toMatchObject({ id: "check", status: "problem" });
    expect(r.probe.detail).toMatch(/^50 rules on environment prod: 13 errors, 13 warnings, 2 info; 2 explain observed symptoms/);
  });

  it("GIVEN connection slots exhausted THEN nothing from check when the budget fits; GIVEN no symptom THEN no check finding at all", () => {
    const { project } = acmeProd();
    expect(probeCheck(platform, project, "prod", [observed("pg-connection-slots-exhausted", "PostgreSQL refused connections")]).findings.map((f) => f.id)).toEqual([]);
    expect(probeCheck(platform, project, "prod", []).findings).toEqual([]);
  });
});

describe("a live run where nothing live answers", () => {
  it("GIVEN no engine and a refused database THEN every live probe is skipped with its reason, the password is masked, and check still runs", async () => {
    const secret = "odoopassword";
    // TEST DOUBLE of the connector: rejects like node-postgres on a refused port, echoing a URL with the password
    const refused: PgConnect = async (o) => {
      const e = new Error(`connect ECONNREFUSED ${o.host}:${o.port} (postgres://odoo:${o.password ?? ""}@${o.host}:${o.port}/prod)`);
      (e as { code?: string }).code = "ECONNREFUSED";
      throw e;
    };
    const lines: string[] = [];
    const report = await runDoctorLive(platform, { dir: ACME, env: "prod", skip: ["proxy"] }, { pgConnect: refused, progress: (l) => lines.push(l) });
    const status = Object.fromEntries(report.probes.map((p) => [p.id, p.status]));
    expect(Object.entries(status).filter(([, s]) => s !== "skipped")).toEqual([["check", "problem"]]);
    const detail = (id: string): string => report.probes.find((p) => p.id === id)?.detail ?? "";
    expect(detail("docker-engine")).toMatch(/^(no Docker engine answers: Cannot connect to the Docker daemon at unix:\/\/\/nonexistent\/doodba-ops-unit\/docker\.sock|the docker CLI is not installed)/);
    expect(detail("containers")).toBe(detail("disk"));
    expect(detail("web-health-proxy")).toBe("skipped by --skip");
    expect(detail("postgres")).toBe("cannot connect to postgres://odoo:***@127.0.0.1:5432/prod: connect ECONNREFUSED 127.0.0.1:5432 (postgres://odoo:***@127.0.0.1:5432/prod)");
    expect(JSON.stringify(report)).not.toContain(secret);
    expect(report.findings).toEqual([]);
    expect(report.target).toEqual({ project: ACME, env: "prod", since: "1h", db: "postgres://odoo:***@127.0.0.1:5432/prod" });
    expect(report.at).toBe("2026-11-27T03:00:00.000Z");
    expect(lines.some((l) => l.startsWith("PostgreSQL postgres://odoo:***@"))).toBe(true);
  });
});

describe("masking", () => {
  it("hides passwords in URLs, password= parameters and known secret values", () => {
    expect(maskUrls("postgres://odoo:s3cret@db:5432/prod and postgresql://u:p%40ss@h/d")).toBe("postgres://odoo:***@db:5432/prod and postgresql://u:***@h/d");
    expect(maskUrls("host=db password=s3cret user=odoo; postgres://h/d?sslmode=require&password=x")).toBe("host=db password=*** user=odoo; postgres://h/d?sslmode=require&password=***");
    expect(mask("auth failed for s3cr3t-pw and s3cr3t%2Dpw", ["s3cr3t-pw"])).toBe("auth failed for *** and s3cr3t%2Dpw");
    expect(mask("a p@ss b p%40ss", ["p@ss"])).toBe("a *** b ***");
  });
});
