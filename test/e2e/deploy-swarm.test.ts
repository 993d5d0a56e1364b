/**
 * `doodba-ops deploy --target swarm` end to end on a single-node Swarm (`docker swarm init
 * --advertise-addr 127.0.0.1`) with the same PostgreSQL, nginx and ODOO STAND-IN images as the
 * compose tests. The stack publishes no port (Swarm would publish on every interface); a probe
 * container on the stack's network requests the Odoo service every 100 ms. The fixture sets
 * `deploy.swarm.endpoint-mode: dnsrr` because this kernel has no IPVS for Swarm's virtual IPs.
 * Scenarios: first deploy, a rolling update (start-first) under the probe, a broken release
 * that Swarm rolls back (failure_action: rollback) with the old version serving again.
 */
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { nodePlatform } from "../../src/platform/index.js";
import { buildImages, cleanup, docker, dockerTry, ensureDocker, ensureSwarm, releaseSync, trackImage, trackStack, waitFor, type E2eImages } from "../harness/docker.js";
import { makeProject, type E2eProject } from "./project.js";

const engine = await ensureDocker();
if (!engine.ok) process.stderr.write(`deploy swarm e2e tests skipped: ${engine.reason}\n`);

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const platform = { ...nodePlatform(), environ: { ...process.env, USER: "e2e" }, stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s), isTTY: false };
  const code = await main(["node", "doodba-ops", ...argv], platform);
  return { code, stdout, stderr };
}

describe.skipIf(!engine.ok)("deploy on a single-node Docker Swarm (real engine)", () => {
  let p: E2eProject;
  let images: E2eImages;
  const started = Date.now();
  const probeName = `doodba-ops-e2e-swarm-probe-${process.pid}`;

  beforeAll(async () => {
    images = await buildImages();
    ensureSwarm();
    p = await makeProject(images, `e2eswarm${process.pid}`);
    trackStack(p.name);
    trackImage(`${p.name}-odoo:prod`);
  }, 1_200_000);

  afterAll(() => {
    dockerTry(["rm", "-f", probeName]);
    cleanup();
    // per-deploy tags of the Odoo image (after the stack is gone)
    const tags = spawnSync("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}", `${p?.name}-odoo`], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    for (const t of tags) dockerTry(["image", "rm", "-f", t]);
    releaseSync();
    p?.remove();
    process.stderr.write(`deploy e2e (swarm) took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });

  const version = (): string | undefined => {
    const r = spawnSync("docker", ["exec", probeName, "curl", "-s", "--max-time", "3", "http://odoo:8069/web/login"], { encoding: "utf8" });
    return /stand-in version (\S+?)</.exec(r.stdout ?? "")?.[1];
  };

  it("GIVEN an empty swarm WHEN deploy --target swarm THEN the stack converges and the plan warned once per unconvertible key", async () => {
    const plan = await cli("deploy", "plan", p.dir, "--env", "swarm", "--target", "swarm", "--format", "json");
    expect(plan.code, plan.stderr).toBe(0);
    const conv = JSON.parse(plan.stdout) as { warnings: { key: string; services: string[] }[]; stack: { services: Record<string, { deploy?: Record<string, unknown> }> } };
    expect(conv.warnings.map((w) => w.key)).toEqual(["build", "depends_on", "restart"]);
    expect(conv.stack.services.odoo?.deploy?.update_config).toMatchObject({ order: "start-first", failure_action: "rollback" });

    const r = await cli("deploy", "apply", p.dir, "--env", "swarm", "--target", "swarm");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Deploy \S+ of swarm: SUCCESS/);
    // a probe on the stack's (attachable overlay) network
    docker(["run", "-d", "--name", probeName, "--network", `${p.name}_default`, images.proxy, "sh", "-c", "sleep 3600"]);
    expect(await waitFor("v1 served", () => (version() === "1" ? true : undefined), 60_000)).toBe(true);
  }, 240_000);

  it("GIVEN a new release WHEN deploying THEN Swarm's start-first rolling update keeps answering a 100 ms probe", async () => {
    p.release("2");
    docker(["exec", "-d", probeName, "sh", "-c", "rm -f /tmp/probe.log; while [ ! -f /tmp/stop ]; do curl -s -o /dev/null --max-time 2 -w '%{http_code}\\n' http://odoo:8069/web/login >> /tmp/probe.log; sleep 0.1; done"]);
    const r = await cli("deploy", "apply", p.dir, "--env", "swarm", "--target", "swarm");
    await waitFor("v2 served", () => (version() === "2" ? true : undefined), 30_000);
    docker(["exec", probeName, "touch", "/tmp/stop"]);
    await new Promise((res) => setTimeout(res, 500));
    const codes = docker(["exec", probeName, "cat", "/tmp/probe.log"]).split("\n").filter(Boolean);
    docker(["exec", probeName, "rm", "-f", "/tmp/stop"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/odoo: completed/);
    const failed = codes.filter((c) => c !== "200");
    process.stderr.write(`swarm rolling update: ${codes.length - failed.length} probes ok, ${failed.length} failed\n`);
    expect(codes.length).toBeGreaterThan(20);
    expect(failed).toEqual([]);
  }, 240_000);

  it("GIVEN a release whose health never passes WHEN deploying THEN Swarm rolls it back, deploy exits 1 and v2 serves", async () => {
    p.release("3", "health");
    const r = await cli("deploy", "apply", p.dir, "--env", "swarm", "--target", "swarm", "--format", "json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ outcome: "rolled-back", target: "swarm" });
    expect(r.stderr).toMatch(/rollback_completed/);
    expect(version()).toBe("2");
    const again = await cli("deploy", "rollback", p.dir, "--env", "swarm", "--target", "swarm", "--yes");
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/Swarm already rolled \S+_odoo back/);
  }, 240_000);

  it("GIVEN a good release after it WHEN deploy rollback --target swarm THEN Swarm's previous spec (v2) serves again; status shows the stack", async () => {
    p.release("4");
    const d = await cli("deploy", "apply", p.dir, "--env", "swarm", "--target", "swarm");
    expect(d.code, d.stderr).toBe(0);
    await waitFor("v4 served", () => (version() === "4" ? true : undefined), 30_000);
    const r = await cli("deploy", "rollback", p.dir, "--env", "swarm", "--target", "swarm", "--yes", "--format", "json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: "rollback", target: "swarm", outcome: "success" });
    await waitFor("v2 served again", () => (version() === "2" ? true : undefined), 30_000);
    const s = await cli("deploy", "status", p.dir, "--env", "swarm", "--target", "swarm", "--format", "json");
    const st = JSON.parse(s.stdout) as { services: { name: string; replicas: string; update?: string }[] };
    expect(st.services.map((x) => [x.name.replace(/^.*_/, ""), x.replicas])).toEqual([
      ["db", "1/1"],
      ["nginx", "1/1"],
      ["odoo", "1/1"],
    ]);
    expect(st.services.find((x) => x.name.endsWith("_odoo"))?.update).toBe("rollback_completed");
  }, 240_000);
});
