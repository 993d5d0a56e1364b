/**
 * deploy's command line on bad input and the renderers. TEST DOUBLE: an Exec that answers like a
 * docker CLI with no engine behind it (the engine itself is exercised in test/e2e/).
 */
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../../src/cli/main.js";
import { renderHistory, renderPlan } from "../../../src/deploy/render.js";
import { planDeploy, desiredState } from "../../../src/deploy/plan.js";
import type { DeployRecord } from "../../../src/deploy/history.js";
import { nodePlatform } from "../../../src/platform/index.js";
import type { Exec } from "../../../src/platform/exec.js";
import { cleanupProjects, loadFiles, writeProject } from "../../helpers/project.js";

afterAll(() => cleanupProjects());

const noEngine: Exec = {
  async run() {
    return { stdout: "", stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n", exitCode: 1 };
  },
  async spawn() {
    throw new Error("not used");
  },
  async which() {
    return false;
  },
};

const PROD = "services:\n  odoo:\n    image: ghcr.io/tecnativa/doodba:17.0\n  db:\n    image: postgres:15\n";

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const platform = { ...nodePlatform(), exec: noEngine, environ: {}, stdout: (s: string) => void (out += s), stderr: (s: string) => void (err += s), isTTY: false };
  const code = await main(["node", "doodba-ops", ...argv], platform);
  return { code, out, err };
}

describe("deploy CLI", () => {
  it("GIVEN no engine WHEN deploy plan THEN the plan says so and exits 1", async () => {
    const dir = writeProject({ "prod.yaml": PROD });
    const r = await cli("deploy", "plan", dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/engine: {2}NOT REACHABLE: Cannot connect to the Docker daemon/);
    expect(r.out).toMatch(/BLOCKED:\n {4}- the Docker engine does not answer/);
  });

  it("GIVEN bad input WHEN deploying THEN exit 2 with what is wrong", async () => {
    const dir = writeProject({ "prod.yaml": PROD });
    const bad = await cli("deploy", "apply", dir, "--update", "sale;rm -rf /");
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--update: "sale;rm -rf \/" is not a module name/);
    const env = await cli("deploy", "plan", dir, "--env", "staging");
    expect(env.code).toBe(2);
    expect(env.err).toMatch(/Environment "staging" not found/);
    const none = await cli("deploy", "rollback", dir, "--yes");
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/No successful deploy of prod to roll back/);
    const timeout = await cli("deploy", "apply", dir, "--health-timeout", "soon");
    expect(timeout.code).toBe(2);
  });

  it("GIVEN no terminal and no --yes WHEN deploy THEN nothing happens and exit 2 asks for --yes", async () => {
    const dir = writeProject({ "prod.yaml": PROD, ".doodba-ops.yaml": "check:\n  rules:\n    image-unpinned: off\n" });
    const r = await cli("deploy", dir, "--force");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/blocked|Pass --yes/);
  });
});

describe("deploy renderers", () => {
  it("GIVEN a plan WHEN rendered THEN images, services, update and backup are listed", () => {
    const model = loadFiles({ "prod.yaml": PROD }, { envs: ["prod"] });
    const env = model.envs.prod;
    if (!env) throw new Error("no prod");
    const plan = planDeploy(desiredState(env, "acme", "v2"), { engine: "28.2", containers: [], images: {} }, { update: "auto", backup: { kind: "skipped", description: "skipped: --no-backup" }, gates: [] });
    const text = renderPlan(plan);
    expect(text).toContain("Deploy plan: environment prod, compose project acme (prod.yaml)");
    expect(text).toMatch(/pull\s+db\s+postgres:15\s+not running\s+not local/);
    expect(text).toMatch(/create\s+odoo\s+no container yet/);
    expect(text).toContain("backup:  skipped: --no-backup");
    expect(text).toContain("-> ready to apply");
  });

  it("GIVEN records WHEN rendering history THEN one line per record with its image changes", () => {
    const rec: DeployRecord = { id: "20261127t100000z-abcd", kind: "deploy", env: "prod", project: "acme", target: "compose", startedAt: "2026-11-27T10:00:00.000Z", finishedAt: "2026-11-27T10:00:12.500Z", user: "ops", from: { odoo: "sha256:111111111111aaaa" }, to: { odoo: "sha256:222222222222bbbb" }, previousTags: {}, steps: [], outcome: "success" };
    expect(renderHistory([rec]).split("\n")[1]).toBe("20261127t100000z-abcd  deploy  prod  success  2026-11-27T10:00:00.000Z  12.5     ops   odoo: 111111111111 -> 222222222222");
    expect(renderHistory([])).toBe("No deploy recorded yet.\n");
  });
});
