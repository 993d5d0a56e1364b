/**
 * E2E harness self-test on the real Docker engine: the images build (or come from the cache),
 * PostgreSQL starts and answers, the Odoo stand-in is unhealthy until its database answers and
 * healthy after, its update writes into the database, and its broken variants fail as declared.
 * Skipped (with the reason) only when no engine can be started.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildImages, cleanup, docker, dockerTry, ensureDocker, releaseSync, trackImage, waitFor, type E2eImages } from "../harness/docker.js";

const engine = await ensureDocker();
if (!engine.ok) process.stderr.write(`e2e harness tests skipped: ${engine.reason}\n`);

describe.skipIf(!engine.ok)("e2e harness (real Docker engine)", () => {
  let images: E2eImages;
  const net = `doodba-ops-e2e-harness-${process.pid}`;
  const started = Date.now();

  beforeAll(async () => {
    images = await buildImages();
    docker(["network", "create", net]);
  }, 1_200_000);

  afterAll(() => {
    for (const c of ["db", "odoo", "proxy"]) dockerTry(["rm", "-f", "-v", `${net}-${c}`]);
    dockerTry(["network", "rm", net]);
    cleanup();
    releaseSync();
    process.stderr.write(`e2e harness tests took ${((Date.now() - started) / 1000).toFixed(1)} s (image builds: ${JSON.stringify(images?.built)})\n`);
  });

  const curl = (container: string, url: string): { code: string; body: string } => {
    const out = spawnSync("docker", ["exec", container, "curl", "-s", "--max-time", "5", "-w", "\n%{http_code}", url], { encoding: "utf8" }).stdout ?? "";
    const i = out.lastIndexOf("\n");
    return { body: out.slice(0, i), code: out.slice(i + 1).trim() };
  };

  it("GIVEN the stand-in started before its database WHEN the database comes THEN /web/health passes only after", async () => {
    // GIVEN an Odoo stand-in whose database does not exist yet
    docker(["run", "-d", "--name", `${net}-odoo`, "--network", net, "-e", `PGHOST=${net}-db`, "-e", "PGPASSWORD=secret", images.odooStandin]);
    await waitFor("stand-in listening", () => (curl(`${net}-odoo`, "http://127.0.0.1:8069/web/health").code !== "000" ? true : undefined), 30_000);
    // THEN it is not healthy
    expect(curl(`${net}-odoo`, "http://127.0.0.1:8069/web/health").code).toBe("503");
    // WHEN PostgreSQL starts
    docker(["run", "-d", "--name", `${net}-db`, "--network", net, "-e", "POSTGRES_USER=odoo", "-e", "POSTGRES_PASSWORD=secret", "-e", "POSTGRES_DB=prod", images.postgres]);
    // THEN the stand-in becomes healthy, on both ports, and reports its version
    const health = await waitFor("stand-in healthy", () => {
      const r = curl(`${net}-odoo`, "http://127.0.0.1:8069/web/health");
      return r.code === "200" ? r : undefined;
    }, 60_000);
    expect(JSON.parse(health.body)).toEqual({ status: "pass" });
    expect(curl(`${net}-odoo`, "http://127.0.0.1:8072/websocket/health").code).toBe("200");
    expect(curl(`${net}-odoo`, "http://127.0.0.1:8069/web/login").body).toContain("Odoo stand-in version 1");
  }, 120_000);

  it("GIVEN a running database WHEN click-odoo-update runs THEN it records the release and exits 0; the broken variant records then exits 1", () => {
    const run = (image: string): number => {
      const r = docker(["run", "--rm", "--network", net, "-e", `PGHOST=${net}-db`, "-e", "PGPASSWORD=secret", image, "sh", "-c", "click-odoo-update --if-exists; echo rc=$?"]);
      return Number(/rc=(\d+)/.exec(r)?.[1]);
    };
    expect(run(images.odooStandin)).toBe(0);
    const broken = `doodba-ops-e2e/odoo-standin-broken-update:${process.pid}`;
    docker(["build", "-q", "--network", "host", "-t", broken, "--build-arg", `BASE=${images.odooStandin}`, "-"], { input: "ARG BASE\nFROM ${BASE}\nENV STANDIN_BROKEN=update STANDIN_VERSION=2-broken\n" });
    trackImage(broken);
    expect(run(broken)).toBe(1);
    const rows = docker(["exec", `${net}-db`, "psql", "-U", "odoo", "-d", "prod", "-tAc", "SELECT version FROM standin_release ORDER BY id"]);
    expect(rows.trim().split("\n")).toEqual(["1", "2-broken"]);
  }, 120_000);

  it("GIVEN the proxy image WHEN nginx -t runs THEN the Debian nginx accepts its configuration", () => {
    expect(docker(["run", "--rm", images.proxy, "nginx", "-t"], {})).toBeDefined();
  }, 60_000);
});
