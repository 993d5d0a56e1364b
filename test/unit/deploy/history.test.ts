/** Deploy lock and history on a real temp directory (the backup module's local store underneath). */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { acquireLock, appendHistory, newDeployId, previousTag, readHistory, staleReason, type DeployRecord, type LockInfo, type StateIO } from "../../../src/deploy/history.js";
import { rollbackTarget } from "../../../src/deploy/rollback.js";
import { UserError } from "../../../src/errors.js";
import { nodeFs } from "../../../src/platform/fs.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function io(alive: (pid: number) => boolean = () => true, now = new Date("2026-11-27T10:00:00Z")): StateIO {
  const dir = mkdtempSync(join(tmpdir(), "doodba-ops-deploy-state-"));
  dirs.push(dir);
  return { fs: nodeFs, dir, now: () => now, pidAlive: alive, host: "web1" };
}

const lock = (id: string, pid = 4242, since = "2026-11-27T09:59:00Z"): LockInfo => ({ id, pid, host: "web1", user: "ops", since, command: "doodba-ops deploy apply" });

function rec(id: string, outcome: DeployRecord["outcome"], from: Record<string, string>, to: Record<string, string>, kind: DeployRecord["kind"] = "deploy"): DeployRecord {
  return { id, kind, env: "prod", project: "acme", target: "compose", startedAt: "2026-11-27T10:00:00Z", finishedAt: "2026-11-27T10:00:30Z", user: "ops", from, to, previousTags: {}, steps: [], outcome };
}

describe("deploy lock", () => {
  it("GIVEN a live deploy holds the lock WHEN a second one starts THEN it is refused naming the holder; released, it can be taken", async () => {
    const s = io();
    const release = await acquireLock(s, lock("a"), () => undefined);
    const err = await acquireLock(s, lock("b", 5555), () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/Another deploy holds the lock: a by ops@web1 \(pid 4242\)/);
    await release();
    const r2 = await acquireLock(s, lock("b"), () => undefined);
    expect(JSON.parse(readFileSync(join(s.dir, ".doodba-ops", "deploy.lock"), "utf8")).id).toBe("b");
    await r2();
  });

  it("GIVEN the holder's process is gone WHEN a deploy starts THEN the stale lock is taken over and said so", async () => {
    const s = io((pid) => pid !== 4242);
    await acquireLock(s, lock("dead"), () => undefined);
    const logs: string[] = [];
    const release = await acquireLock(s, lock("new", 99), (l) => logs.push(l));
    expect(logs.join()).toMatch(/taking over the deploy lock dead \(its process 4242 is gone\)/);
    await release();
  });

  it("GIVEN locks of another host WHEN judging staleness THEN only age counts", () => {
    const probe = { host: "web2", pidAlive: () => false, now: () => new Date("2026-11-27T10:00:00Z") };
    expect(staleReason(lock("x"), probe)).toBeUndefined();
    expect(staleReason(lock("x", 1, "2026-11-27T07:00:00Z"), probe)).toMatch(/older than 2 h/);
  });
});

describe("deploy history", () => {
  it("GIVEN records appended and a torn last line WHEN reading THEN the whole records come back in order", async () => {
    const s = io();
    await appendHistory(s, rec("1", "success", {}, { odoo: "sha256:a" }));
    await appendHistory(s, rec("2", "rolled-back", { odoo: "sha256:a" }, { odoo: "sha256:a" }));
    const path = join(s.dir, ".doodba-ops", "deploy-history.jsonl");
    writeFileSync(path, `${readFileSync(path, "utf8")}{"id":"3","kin`);
    expect(readHistory(s).map((r) => r.id)).toEqual(["1", "2"]);
  });

  it("GIVEN a time and random bytes WHEN making ids and tags THEN they are lowercase and valid Docker tags", () => {
    const id = newDeployId(new Date("2026-11-27T10:01:02.345Z"), Buffer.from([0xab, 0xcd]));
    expect(id).toBe("20261127t100102z-abcd");
    expect(previousTag("Acme ERP", "odoo", id)).toBe("doodba-ops/acme-erp-odoo:previous-20261127t100102z-abcd");
  });
});

describe("rollback target", () => {
  const history = [
    rec("d1", "success", {}, { odoo: "sha256:1" }),
    rec("d2", "success", { odoo: "sha256:1" }, { odoo: "sha256:2" }),
    rec("d3", "rolled-back", { odoo: "sha256:2" }, { odoo: "sha256:2" }),
  ];
  it("GIVEN deploys WHEN rolling back without --to THEN the images before the last successful deploy come back", () => {
    const t = rollbackTarget(history, "prod");
    expect(t.images).toEqual({ odoo: "sha256:1" });
    expect(t.description).toBe("the state before deploy d2");
  });
  it("GIVEN --to a deploy id prefix WHEN rolling back THEN the state after that deploy comes back", () => {
    expect(rollbackTarget(history, "prod", "d1").images).toEqual({ odoo: "sha256:1" });
  });
  it("GIVEN only a first deploy or an unknown id WHEN rolling back THEN a UserError says why", () => {
    expect(() => rollbackTarget(history.slice(0, 1), "prod")).toThrow(/first deploy/);
    expect(() => rollbackTarget(history, "prod", "zz")).toThrow(/No deploy zz/);
    expect(() => rollbackTarget(history, "test")).toThrow(/No successful deploy of test/);
  });
});

