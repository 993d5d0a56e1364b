/**
 * The compose runtime's command lines. TEST DOUBLE: a recording Exec stands in for the docker
 * CLI, because compose v2 (the docker CLI plugin) and remote contexts/ssh engines are not on this
 * machine; the real engine with docker-compose v1 is exercised in test/e2e/deploy-compose.test.ts.
 */
import { describe, expect, it } from "vitest";
import { ComposeRuntime } from "../../../src/deploy/runtimes/compose.js";
import type { Exec, ExecResult } from "../../../src/platform/exec.js";

function recordingExec(answer: (cmd: string, args: readonly string[]) => Partial<ExecResult>, onPath: string[] = []): Exec & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    async run(cmd, args) {
      calls.push([cmd, ...args].join(" "));
      return { stdout: "", stderr: "", exitCode: 0, ...answer(cmd, args) };
    },
    async spawn() {
      throw new Error("not used");
    },
    async which(cmd) {
      return onPath.includes(cmd);
    },
  };
}

const target = { dir: "/srv/acme", project: "acme", files: ["prod.yaml"] };

describe("ComposeRuntime", () => {
  it("GIVEN the compose v2 plugin and a context WHEN building THEN docker --context X compose -p -f runs", async () => {
    const exec = recordingExec(() => ({}));
    const rt = new ComposeRuntime({ exec, context: "prod-host" }, target);
    await rt.build(["odoo"]);
    expect(exec.calls).toEqual(["docker --context prod-host compose version --short", "docker --context prod-host compose -p acme --project-directory /srv/acme -f prod.yaml build odoo"]);
  });

  it("GIVEN no compose plugin but docker-compose v1 WHEN starting services THEN docker-compose gets the context and the flags", async () => {
    const exec = recordingExec((cmd, args) => (cmd === "docker" && args.includes("compose") ? { exitCode: 1, stderr: "docker: unknown command: docker compose" } : {}), ["docker-compose"]);
    const rt = new ComposeRuntime({ exec, context: "c1" }, target);
    await rt.up(["odoo"], { noDeps: true, noRecreate: true, scale: { odoo: 2 } });
    expect(exec.calls.at(-1)).toBe("docker-compose --context c1 -p acme --project-directory /srv/acme -f prod.yaml up -d --no-build --no-deps --no-recreate --scale odoo=2 odoo");
  });

  it("GIVEN neither compose WHEN detecting THEN a UserError says what to install", async () => {
    const exec = recordingExec(() => ({ exitCode: 1 }));
    await expect(new ComposeRuntime({ exec }, target).composeFlavour()).rejects.toThrow(/Neither `docker compose`/);
  });

  it("GIVEN docker inspect output WHEN listing containers THEN labels become service, number, config hash, one-off and health", async () => {
    const inspect = [
      { Id: "c2", Name: "/acme_odoo_run_1", Image: "sha256:o", Created: "t", Config: { Image: "acme-odoo:prod", Labels: { "com.docker.compose.service": "odoo", "com.docker.compose.oneoff": "True" } }, State: { Status: "running" } },
      { Id: "c1", Name: "/acme_odoo_1", Image: "sha256:o", Created: "t", Config: { Image: "acme-odoo:prod", Labels: { "com.docker.compose.service": "odoo", "com.docker.compose.container-number": "1", "com.docker.compose.config-hash": "h" } }, State: { Status: "running", Health: { Status: "healthy" } } },
    ];
    const exec = recordingExec((_c, args) => (args[0] === "ps" ? { stdout: "c1\nc2\n" } : { stdout: JSON.stringify(inspect) }));
    const list = await new ComposeRuntime({ exec }, target).listContainers();
    expect(exec.calls[0]).toBe("docker ps -aq --no-trunc --filter label=com.docker.compose.project=acme");
    expect(list.map((c) => [c.name, c.number, c.configHash, c.oneoff, c.health])).toEqual([
      ["acme_odoo_1", 1, "h", false, "healthy"],
      ["acme_odoo_run_1", undefined, undefined, true, undefined],
    ]);
  });

  it("GIVEN compose config --hash output WHEN reading hashes THEN each service gets its hash", async () => {
    const h = "0123456789abcdef".repeat(4);
    const exec = recordingExec((_c, args) => (args.includes("config") ? { stdout: `db ${h}\nodoo ${h.replace("0", "f")}\n` } : {}));
    expect(await new ComposeRuntime({ exec, compose: "v2" }, target).configHashes()).toEqual({ db: h, odoo: h.replace("0", "f") });
  });
});
