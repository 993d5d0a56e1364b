/**
 * `doodba-ops deploy` end to end on a real Docker engine with docker-compose: PostgreSQL 15
 * (Debian packages), nginx (Debian, site rendered by renderNginxSite) and the ODOO STAND-IN
 * image (a Node program that behaves like a Doodba Odoo container at its edges; the real Odoo
 * image cannot be built here). Scenarios in order on one project: first deploy, an update that
 * succeeds, a broken release rolled back automatically, an update step that fails with the
 * database restored, a zero-downtime switch under a 100 ms probe, rollback, status and history.
 * Skipped (with the reason) only when no engine can be started.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../src/cli/main.js";
import { nodePlatform } from "../../src/platform/index.js";
import { buildImages, cleanup, ensureDocker, releaseSync, trackImage, trackProject, waitFor } from "../harness/docker.js";
import { makeProject, type E2eProject } from "./project.js";

const engine = await ensureDocker();
if (!engine.ok) process.stderr.write(`deploy e2e tests skipped: ${engine.reason}\n`);

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(...argv: string[]): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const platform = { ...nodePlatform(), environ: { ...process.env, USER: "e2e" }, stdout: (s: string) => void (stdout += s), stderr: (s: string) => void (stderr += s), isTTY: false };
  const code = await main(["node", "doodba-ops", ...argv], platform);
  return { code, stdout, stderr };
}

async function page(p: E2eProject, path = "/web/login"): Promise<{ status: number; version?: string }> {
  try {
    const r = await fetch(`http://127.0.0.1:${p.port}${path}`, { signal: AbortSignal.timeout(3000) });
    const body = await r.text();
    return { status: r.status, version: /stand-in version (\S+?)</.exec(body)?.[1] };
  } catch {
    return { status: 0 };
  }
}

function releases(p: E2eProject): string[] {
  const r = spawnSync("docker", ["exec", `${p.name}_db_1`, "psql", "-U", "odoo", "-d", "prod", "-tAc", "SELECT version FROM standin_release ORDER BY id"], { encoding: "utf8" });
  return r.stdout.split("\n").filter(Boolean);
}

describe.skipIf(!engine.ok)("deploy on docker compose (real engine)", () => {
  let p: E2eProject;
  const started = Date.now();

  beforeAll(async () => {
    const images = await buildImages();
    p = await makeProject(images, `e2edeploy${process.pid}`);
    trackProject(p.name);
    trackImage(`${p.name}-odoo:prod`);
  }, 1_200_000);

  afterAll(() => {
    // previous-image tags the deploys made
    const tags = spawnSync("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}", `doodba-ops/${p?.name}-*`], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
    for (const t of tags) trackImage(t);
    cleanup();
    releaseSync();
    p?.remove();
    process.stderr.write(`deploy e2e (compose) took ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });

  it("GIVEN nothing runs WHEN deploy apply THEN every service starts, Odoo serves through nginx, the deploy is recorded", async () => {
    const plan = await cli("deploy", "plan", p.dir, "--format", "json");
    expect(plan.code).toBe(0);
    const parsed = JSON.parse(plan.stdout) as { firstDeploy: boolean; services: { service: string; action: string }[] };
    expect(parsed.firstDeploy).toBe(true);
    expect(parsed.services.map((s) => s.action)).toEqual(["create", "create", "create"]);

    const r = await cli("deploy", "apply", p.dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Deploy \S+ of prod: SUCCESS/);
    expect(r.stderr).toMatch(/\[7\/8\] health/);
    expect(await page(p)).toEqual({ status: 200, version: "1" });
    const hist = readFileSync(join(p.dir, ".doodba-ops", "deploy-history.jsonl"), "utf8").trim().split("\n");
    expect(hist).toHaveLength(1);
    expect(JSON.parse(hist[0] ?? "{}")).toMatchObject({ outcome: "success", user: "e2e", env: "prod" });
  }, 180_000);

  it("GIVEN a new release WHEN deploy --yes THEN the update runs in a one-off container of the new image before the switch and v2 serves", async () => {
    p.release("2");
    const plan = await cli("deploy", "plan", p.dir);
    expect(plan.stdout).toMatch(/recreate-if-changed\s+odoo/);
    expect(plan.stdout).toMatch(/module update: runs if the image changes: click-odoo-update/);
    const r = await cli("deploy", p.dir, "--yes");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/pre-deploy backup: ok .*deploy-snapshots/);
    expect(r.stderr).toMatch(/module update: ok .*click-odoo-update \(the Odoo image changed\)/);
    expect(releases(p)).toEqual(["2"]);
    expect(await page(p)).toEqual({ status: 200, version: "2" });
  }, 180_000);

  it("GIVEN a release whose health never passes WHEN deploying THEN it is rolled back automatically, exit 1, and v2 serves again", async () => {
    p.release("3", "health");
    const r = await cli("deploy", "apply", p.dir, "--health-timeout", "10");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/health: FAILED .*not healthy after/);
    expect(r.stderr).toMatch(/rollback: ok/);
    expect(r.stdout).toMatch(/ROLLED-BACK/);
    expect(await page(p)).toEqual({ status: 200, version: "2" });
  }, 180_000);

  it("GIVEN a release whose update fails after writing WHEN deploying with --restore-on-failure THEN the database is restored and v2 serves", async () => {
    p.release("4", "update");
    const r = await cli("deploy", "apply", p.dir, "--restore-on-failure", "--format", "json");
    expect(r.code).toBe(1);
    const rec = JSON.parse(r.stdout) as { outcome: string; databaseRestored?: boolean; steps: { name: string; status: string }[] };
    expect(rec.outcome).toBe("rolled-back");
    expect(rec.databaseRestored).toBe(true);
    expect(rec.steps.find((s) => s.name === "module update")?.status).toBe("failed");
    // release 3's update row was written before its health failed; release 4's row is gone with the restore
    expect(releases(p)).toEqual(["2", "3"]);
    expect(await page(p)).toEqual({ status: 200, version: "2" });
  }, 180_000);

  it("GIVEN a code-only release WHEN deploying with --update none THEN a probe every 100 ms through nginx sees no failure", async () => {
    p.release("5");
    const plan = await cli("deploy", "plan", p.dir, "--update", "none");
    expect(plan.stdout).toMatch(/recreate-if-changed\s+odoo\s+zero-downtime/);
    let stop = false;
    const seen = { ok: 0, failed: [] as string[], versions: new Set<string>() };
    const probe = (async () => {
      while (!stop) {
        const t = Date.now();
        const r = await page(p);
        if (r.status === 200 && r.version) {
          seen.ok++;
          seen.versions.add(r.version);
        } else seen.failed.push(String(r.status));
        await new Promise((res) => setTimeout(res, Math.max(0, 100 - (Date.now() - t))));
      }
    })();
    const r = await cli("deploy", "apply", p.dir, "--update", "none");
    await waitFor("a few probes after the switch", () => (seen.versions.has("5") ? true : undefined), 10_000);
    await new Promise((res) => setTimeout(res, 1000));
    stop = true;
    await probe;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/switch: ok .*replaced .* without stopping the service/);
    process.stderr.write(`zero-downtime switch: ${seen.ok} probes ok, ${seen.failed.length} failed\n`);
    expect(seen.failed).toEqual([]);
    expect([...seen.versions].sort()).toEqual(["2", "5"]);
    expect(seen.ok).toBeGreaterThan(30);
  }, 180_000);

  it("GIVEN deploys recorded WHEN deploy rollback --yes THEN the images before the last successful deploy serve again; history and status tell", async () => {
    const r = await cli("deploy", "rollback", p.dir, "--yes");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Rollback \S+ of prod: SUCCESS/);
    expect(await page(p)).toEqual({ status: 200, version: "2" });
    const h = await cli("deploy", "history", p.dir);
    expect(h.stdout.trim().split("\n").slice(1).map((l) => l.split(/\s+/).slice(1, 4).join(" "))).toEqual([
      "deploy prod success",
      "deploy prod success",
      "deploy prod rolled-back",
      "deploy prod rolled-back",
      "deploy prod success",
      "rollback prod success",
    ]);
    const s = await cli("deploy", "status", p.dir, "--format", "json");
    const st = JSON.parse(s.stdout) as { containers: { service: string; state: string }[]; last: { kind: string } };
    expect(st.last.kind).toBe("rollback");
    expect(st.containers.filter((c) => c.state === "running").map((c) => c.service).sort()).toEqual(["db", "nginx", "odoo"]);
    const noTty = await cli("deploy", "rollback", p.dir);
    expect(noTty.code).toBe(2);
    expect(noTty.stderr).toMatch(/Pass --yes to confirm/);
  }, 180_000);
});
