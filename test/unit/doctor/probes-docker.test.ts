/**
 * Docker probes. The container data is REAL `docker inspect` output (fixtures/docker-inspect-compose-v1.json),
 * captured from Docker Engine 20.10 (API 1.41) for a project started with docker-compose 1.29.2:
 * odoo (running, port 8069 published on 127.0.0.1), sick (health check failing), hog (OOM-killed
 * at mem_limit 64m), crasher (exit code 3), flappy (restart: always, 6 restarts).
 * The engine probe itself runs the real docker CLI against a socket where nothing listens.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assessContainers, DockerCli, defaultProjectNames, matchEnvContainers, parseInspect, remoteHostOf, type DockerContainer } from "../../../src/doctor/probes/docker.js";
import { nodeExec, type Exec } from "../../../src/platform/exec.js";
import { cleanupProjects, loadFiles } from "../../helpers/project.js";

const RAW = JSON.parse(readFileSync(join(import.meta.dirname, "fixtures", "docker-inspect-compose-v1.json"), "utf8")) as unknown[];
const CONTAINERS = RAW.map(parseInspect).filter((c): c is DockerContainer => c !== undefined);
const byService = (s: string): DockerContainer | undefined => CONTAINERS.find((c) => c.service === s);
const HAVE_DOCKER_CLI = spawnSync("docker", ["--version"]).status === 0;

afterAll(() => cleanupProjects());

const PROD = [
  "services:",
  "  odoo: {image: 'ghcr.io/tecnativa/doodba:17.0', command: [odoo, --workers=2]}",
  "  crasher: {image: x}",
  "  hog: {image: x}",
  "  sick: {image: x}",
  "  flappy: {image: x}",
  "  db: {image: 'postgres:15'}",
  "",
].join("\n");

/** The captured containers, as if created from `dir` (the capture's working dir was another temp dir). */
function movedTo(dir: string): DockerContainer[] {
  return CONTAINERS.map((c) => ({ ...c, workingDir: dir }));
}

describe("docker inspect -> containers", () => {
  it("reads state, exit code, OOM kill, health, restarts, ports, networks and mounts from real output", () => {
    expect(CONTAINERS.map((c) => c.service)).toEqual(["odoo", "sick", "hog", "crasher", "flappy"]);
    const odoo = byService("odoo");
    expect(odoo).toMatchObject({ name: "d6e2e_odoo_1", project: "d6e2e", state: "running", oomKilled: false, restartCount: 0, configFiles: ["prod.yaml"], workingDir: "/tmp/d6x/e2e", oneOff: false });
    expect(odoo?.ports).toEqual([{ containerPort: 8069, protocol: "tcp", hostIp: "127.0.0.1", hostPort: 32768 }]);
    expect(odoo?.mounts.map((m) => [m.type, m.destination, m.name])).toEqual(
      expect.arrayContaining([
        ["volume", "/var/lib/odoo", "d6e2e_filestore"],
        ["bind", "/srv/odoo-double.mjs", undefined],
      ]),
    );
    expect(byService("hog")).toMatchObject({ state: "exited", exitCode: 137, oomKilled: true, memoryLimit: 64 * 1024 * 1024 });
    expect(byService("crasher")).toMatchObject({ state: "exited", exitCode: 3, oomKilled: false });
    expect(byService("sick")?.health).toBe("unhealthy");
    expect(byService("sick")?.healthFailingStreak).toBeGreaterThan(0);
    expect(byService("flappy")).toMatchObject({ restartCount: 6, restartPolicy: "always" });
    expect(parseInspect({ nope: 1 })).toBeUndefined();
    expect(parseInspect("x")).toBeUndefined();
  });

  it("matches the environment's containers: by Compose labels (working dir + compose file), else the -p convention, else none", () => {
    const p = loadFiles({ "prod.yaml": PROD, "devel.yaml": "services:\n  odoo: {image: 'ghcr.io/tecnativa/doodba:17.0'}\n" });
    const env = p.envs.prod;
    if (!env) throw new Error("no env");
    const byLabels = matchEnvContainers(movedTo(p.dir), p, env);
    expect(byLabels.project).toBe("d6e2e");
    expect(byLabels.containers).toHaveLength(5);
    expect(byLabels.how).toMatch(/^containers created from prod\.yaml in this directory/);
    // the same containers belong to devel? no: they were created from prod.yaml
    const devel = p.envs.devel;
    if (devel) expect(matchEnvContainers(movedTo(p.dir), p, devel).containers).toEqual([]);
    // elsewhere: only the project name can tell
    expect(matchEnvContainers(CONTAINERS, p, env, "d6e2e").containers).toHaveLength(5);
    const none = matchEnvContainers(CONTAINERS, p, env);
    expect(none.containers).toEqual([]);
    expect(none.how).toMatch(/^no container with compose project doodba-ops-test-\S+ or \S+ or created from prod\.yaml in /);
  });

  it("turns states into findings: down, OOM-killed, unhealthy, restarting, and a service without container; never ok when something is wrong", () => {
    const p = loadFiles({ "prod.yaml": PROD });
    const env = p.envs.prod;
    if (!env) throw new Error("no env");
    const m = matchEnvContainers(movedTo(p.dir), p, env);
    const a = assessContainers(env, m, { odoo: ["odoo"], db: ["db"] });
    expect(a.probe.status).toBe("problem");
    expect(a.probe.detail).toMatch(/crasher: exited; flappy: running, 6 restarts; hog: exited, OOM-killed; odoo: running; sick: running, unhealthy$/);
    expect(a.findings.map((f) => [f.id, f.severity])).toEqual([
      ["container-not-running", "error"],
      ["container-restarts", "error"],
      ["container-oom-killed", "error"],
      ["container-unhealthy", "warning"],
      ["service-without-container", "critical"],
    ]);
    expect(a.findings[0]?.fix).toContain("docker logs --tail 100 d6e2e_crasher_1");
    expect(a.findings[2]?.evidence[0]).toMatch(/State\.OOMKilled = true, memory limit 64 MiB/);
    expect(a.findings[4]?.title).toBe("Service db has no container");

    const healthy = assessContainers(env, { ...m, containers: m.containers.filter((c) => c.service === "odoo") }, { odoo: ["odoo"], db: [] });
    expect(healthy.findings.filter((f) => f.id !== "service-without-container")).toEqual([]);

    const empty = assessContainers(env, { how: "no container with compose project x", containers: [] }, { odoo: ["odoo"], db: [] });
    expect(empty.probe.status).toBe("problem");
    expect(empty.findings.map((f) => [f.id, f.severity])).toEqual([["environment-not-running", "critical"]]);
  });

  it("compose project names follow docker compose's normalisation of the directory name", () => {
    expect(defaultProjectNames("/srv/Acme_ERP.prod")).toEqual(["acme_erpprod", "acmeerpprod"]);
    expect(defaultProjectNames("/srv/acme-erp")).toEqual(["acme-erp", "acmeerp"]);
    expect(remoteHostOf("ssh://deploy@erp-host:2222")).toBe("erp-host");
    expect(remoteHostOf("tcp://10.0.0.5:2376")).toBe("10.0.0.5");
  });
});

describe("the engine probe", () => {
  it.skipIf(!HAVE_DOCKER_CLI)("GIVEN no daemon on DOCKER_HOST THEN the reason is the CLI's own message (real docker CLI)", async () => {
    const cli = new DockerCli({ exec: nodeExec, environ: { DOCKER_HOST: "unix:///nonexistent/doodba-ops/docker.sock" } });
    const r = await cli.engine();
    expect(r).toEqual({ reason: expect.stringMatching(/^no Docker engine answers: Cannot connect to the Docker daemon at unix:\/\/\/nonexistent\/doodba-ops\/docker\.sock/) });
  });

  it("GIVEN no docker CLI THEN the reason says so (TEST DOUBLE of Exec: `which docker` is false, nothing runs)", async () => {
    const noCli: Exec = {
      which: async () => false,
      run: async () => {
        throw new Error("must not run");
      },
      spawn: async () => {
        throw new Error("must not run");
      },
    };
    expect(await new DockerCli({ exec: noCli, environ: {} }).engine()).toEqual({ reason: "the docker CLI is not installed (not on PATH)" });
  });
});
