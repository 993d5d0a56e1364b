import { describe, expect, it } from "vitest";
import { UserError } from "../../../src/errors.js";
import type { Exec, ExecResult } from "../../../src/platform/exec.js";
import { hostFromDocker, hostFromOs, parseDockerInfo, parseMemory } from "../../../src/tune/host.js";

/**
 * TEST DOUBLE of the platform's Exec: no Docker engine runs in the test environment, so
 * `docker info` answers are replayed. The JSON shape (NCPU, MemTotal, Name, ServerErrors) is
 * what `docker info --format '{{json .}}'` prints; the no-daemon answer (zeros, exit 1, the
 * message on stderr) was recorded from the real docker CLI on this machine.
 */
function execDouble(answer: ExecResult, installed = true): Exec & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    run: async (cmd, args) => {
      calls.push([cmd, ...args]);
      return answer;
    },
    spawn: async () => {
      throw new Error("not used");
    },
    which: async () => installed,
  };
}

describe("parseMemory", () => {
  it.each([
    ["8GiB", 8 * 1024 ** 3],
    ["8g", 8 * 1024 ** 3],
    ["8GB", 8 * 1024 ** 3],
    ["1.5G", 1.5 * 1024 ** 3],
    ["4096m", 4 * 1024 ** 3],
    ["16", 16 * 1024 ** 3],
  ])("%s -> %i bytes (binary units, like Docker; a bare number is GiB)", (text, bytes) => {
    expect(parseMemory(text)).toBe(bytes);
  });
  it("refuses nonsense and sizes too small to run Odoo", () => {
    expect(() => parseMemory("lots")).toThrow(UserError);
    expect(() => parseMemory("128m")).toThrow(/less than 256 MiB/);
  });
});

describe("host detection", () => {
  it("GIVEN this machine THEN os.cpus and os.totalmem", () => {
    const h = hostFromOs();
    expect(h.cpus).toBeGreaterThanOrEqual(1);
    expect(h.memoryBytes).toBeGreaterThan(0);
    expect(h.source).toMatch(/this host/);
  });

  it("GIVEN an engine that answers THEN NCPU and MemTotal through the platform's exec", async () => {
    const exec = execDouble({ stdout: JSON.stringify({ NCPU: 8, MemTotal: 33_546_240_000, Name: "prod-1", ServerErrors: null }) + "\n", stderr: "", exitCode: 0 });
    await expect(hostFromDocker(exec)).resolves.toEqual({ cpus: 8, memoryBytes: 33_546_240_000, source: "docker info (prod-1)" });
    expect(exec.calls).toEqual([["docker", "info", "--format", "{{json .}}"]]);
  });

  it("GIVEN no daemon THEN a UserError carries the engine's complaint and the way out", async () => {
    const exec = execDouble({
      stdout: '{"ID":"","NCPU":0,"MemTotal":0}\n',
      stderr: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n",
      exitCode: 1,
    });
    const err = await hostFromDocker(exec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe("--from-docker: no Docker engine answered: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?");
    expect((err as UserError).hint).toMatch(/--cpus N --memory 8GiB/);
  });

  it("GIVEN no docker command THEN a UserError says so", async () => {
    await expect(hostFromDocker(execDouble({ stdout: "", stderr: "", exitCode: 127 }, false))).rejects.toThrow(/docker command is not installed/);
  });

  it("parses only real answers", () => {
    expect(parseDockerInfo("not json")).toBeUndefined();
    expect(parseDockerInfo('{"NCPU":0,"MemTotal":0}')).toBeUndefined();
    expect(parseDockerInfo('{"NCPU":2,"MemTotal":4000000000}')).toEqual({ cpus: 2, memoryBytes: 4000000000, name: undefined });
  });
});
