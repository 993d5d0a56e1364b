/**
 * Fault tests of the backup repository on a real file system: a backup process killed with SIGKILL
 * mid-way, a corrupted object, the wrong age identity, and a full disk (a 1 MiB tmpfs, when this
 * process may mount one). After each, the repository must still be valid and usable.
 * The killed writer is test/fixtures/backup-repo/writer.mjs over dist/ (npm test builds it first).
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalStore } from "../../src/backup/stores/index.js";
import { backupFilestore, CorruptObjectError, generateKey, initRepo, objectKey, openRepo, restoreFilestore, type Repo } from "../../src/backup/repo/index.js";
import { LOCK_KEY } from "../../src/backup/repo/lock.js";
import { MANIFEST_FORMAT_VERSION, type SnapshotManifest } from "../../src/backup/types.js";
import type { FilestoreBackup } from "../../src/backup/repo/index.js";
import { UserError } from "../../src/errors.js";
import { ODOO17, REPO_ROOT } from "../helpers/project.js";

let base = "";
beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "doodba-ops-faults-"));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const sha256 = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

function manifestOf(repo: Repo, fs: FilestoreBackup): SnapshotManifest {
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    id: repo.newSnapshotId(),
    createdAt: new Date().toISOString(),
    tags: {},
    filestore: { db: "acme", files: fs.files, totalBytes: fs.totalBytes },
    stats: { files: fs.stats.files, bytes: fs.stats.bytes, newObjects: fs.stats.newObjects, newBytes: fs.stats.newBytes, seconds: fs.stats.seconds },
  };
}

/**
 * Every visible object file of an unencrypted repository of random (never compressed) data hashes
 * to its name. Returns their number and the hidden temp files (a writer killed in the middle of a
 * put leaves one: legitimate, never listed, removed by prune).
 */
function objectsIntact(root: string): { objects: number; temps: string[] } {
  let objects = 0;
  const temps: string[] = [];
  const dir = join(root, "objects");
  if (!existsSync(dir)) return { objects, temps };
  for (const sub of readdirSync(dir)) {
    for (const name of readdirSync(join(dir, sub))) {
      if (name.startsWith(".")) {
        expect(name).toMatch(/^\.[0-9a-f]{64}\.tmp-[0-9a-f]{12}$/);
        temps.push(`${sub}/${name}`);
        continue;
      }
      expect(sha256(readFileSync(join(dir, sub, name)))).toBe(name);
      objects++;
    }
  }
  return { objects, temps };
}

function randomTree(dir: string, files: number, size: number): void {
  for (let i = 0; i < files; i++) {
    const d = join(dir, (i % 256).toString(16).padStart(2, "0"));
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `file-${i}`), randomBytes(size));
  }
}

describe("a backup killed mid-way", () => {
  it("GIVEN a writer process SIGKILLed after 300 objects THEN no snapshot, verify passes, and the next backup takes over the lock, succeeds and reuses what was uploaded", async () => {
    const writer = join(REPO_ROOT, "test", "fixtures", "backup-repo", "writer.mjs");
    if (!existsSync(join(REPO_ROOT, "dist", "backup", "repo", "index.js"))) throw new Error("dist/ is missing: run `npm run build` (npm test does)");
    const root = join(base, "killed-repo");
    const src = join(base, "killed-src");
    randomTree(src, 1200, 2000);
    await initRepo(new LocalStore(root));

    const child = spawn(process.execPath, [writer, root, src], { env: { ...process.env, PUT_DELAY_MS: "4" }, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const killedAt = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        if (/^done /m.test(out)) reject(new Error("the writer finished before it could be killed"));
        const last = [...out.matchAll(/^progress (\d+) (\d+)$/gm)].pop();
        if (last && Number(last[2]) >= 300) {
          child.kill("SIGKILL");
          resolve(Number(last[2]));
        }
      });
      child.on("exit", (code, sig) => sig !== "SIGKILL" && reject(new Error(`writer exited ${code}: ${stderr}`)));
    });
    await new Promise((r) => child.on("exit", r));
    expect(killedAt).toBeGreaterThanOrEqual(300);

    // the repository as the killed run left it
    const store = new LocalStore(root);
    expect(existsSync(join(root, "snapshots"))).toBe(false);
    expect(await store.stat(LOCK_KEY)).toBeDefined(); // the dead writer's lock
    const left = objectsIntact(root);
    const uploaded = left.objects;
    expect(uploaded).toBeGreaterThanOrEqual(killedAt);
    // a temp file of the put the kill interrupted (if any) is invisible to readers
    for await (const o of store.list("objects/")) expect(o.key).not.toMatch(/\.tmp-/);
    const repo = await openRepo(store);
    expect(await repo.listSnapshots()).toEqual([]);
    const v = await repo.verify({ readData: true });
    expect(v).toMatchObject({ ok: true, snapshots: 0, unreferencedObjects: uploaded });

    // the next backup
    const warnings: string[] = [];
    const id = await repo.withLock({ purpose: "backup", onWarning: (w) => warnings.push(w) }, async () => {
      const fs = await backupFilestore(repo, src);
      expect(fs.stats.reusedObjects).toBe(uploaded);
      expect(fs.stats.newObjects).toBe(1200 - uploaded);
      return await repo.writeSnapshot(manifestOf(repo, fs));
    });
    expect(warnings.join("\n")).toMatch(/stale repository lock .* no longer exists/);
    expect(await store.stat(LOCK_KEY)).toBeUndefined();
    const after = await repo.verify({ readData: true });
    expect(after).toMatchObject({ ok: true, snapshots: 1, objects: 1200, unreferencedObjects: 0 });
    expect((await repo.readSnapshot(id)).filestore?.files).toHaveLength(1200);

    // prune (under the lock) removes what the killed writer left half-written; nothing else
    const pruned = await repo.prune({ keepLast: 1 });
    expect(pruned).toMatchObject({ deletedSnapshots: 0, deletedObjects: 0, removedTempFiles: left.temps.length });
    expect(objectsIntact(root)).toEqual({ objects: 1200, temps: [] });
  }, 90_000);
});

describe("a corrupted object and the wrong key", () => {
  it("GIVEN an encrypted backup of the real Odoo filestore WHEN one stored object is altered THEN verify names it and its snapshot, restore refuses it and writes no partial file; a wrong identity is refused", async () => {
    const fsDir = join(base, "odoo-fs");
    execFileSync("unzip", ["-q", join(ODOO17, "backup-mail.zip"), "filestore/*", "-d", fsDir]);
    const src = join(fsDir, "filestore");
    const k = await generateKey();
    const root = join(base, "enc-repo");
    const store = new LocalStore(root);
    const repo = await initRepo(store, { encryption: { kind: "age", recipients: [k.recipient] } });
    const fs = await backupFilestore(repo, src);
    const id = await repo.writeSnapshot(manifestOf(repo, fs));

    const target = fs.files.find((f) => f.path === "89/89985aa3f96deae93552576ec67d15f1be0ca58b");
    expect(target).toBeDefined();
    const objPath = join(root, objectKey(target?.object.hash ?? ""));
    const bytes = readFileSync(objPath);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 20) ^ 0x01, bytes.length - 20);
    writeFileSync(objPath, bytes);

    const reader = await openRepo(store, { identity: k.identity });
    const v = await reader.verify({ readData: true });
    expect(v.ok).toBe(false);
    expect(v.missing).toEqual([]);
    expect(v.corrupt).toHaveLength(1);
    expect(v.corrupt[0]).toMatchObject({ key: objectKey(target?.object.hash ?? ""), snapshots: [id], usedBy: ["filestore acme/89/89985aa3f96deae93552576ec67d15f1be0ca58b"] });
    expect(v.corrupt[0]?.problem).toMatch(/failed authentication/);

    const out = join(base, "restore-corrupt");
    await expect(restoreFilestore(reader, (await reader.readSnapshot(id)).filestore?.files ?? [], out)).rejects.toBeInstanceOf(CorruptObjectError);
    expect(existsSync(join(out, "89", "89985aa3f96deae93552576ec67d15f1be0ca58b"))).toBe(false);
    const leftovers = readdirSync(out, { recursive: true }).map(String).filter((n) => n.includes("doodba-ops-restore"));
    expect(leftovers).toEqual([]);

    const other = await generateKey();
    const wrong = openRepo(store, { identity: other.identity });
    await expect(wrong).rejects.toBeInstanceOf(UserError);
    await expect(wrong).rejects.toThrow(/wrong key/);
    await openRepo(store, { identity: other.identity }).catch((e: UserError) => {
      expect(e.hint).toContain(k.recipient);
      expect(e.hint).toContain(other.recipient);
      expect(e.hint).not.toContain("AGE-SECRET-KEY");
    });
  }, 60_000);
});

describe("a full disk", () => {
  it("GIVEN a repository on a 1 MiB tmpfs WHEN a 3 MiB filestore is backed up THEN it fails with ENOSPC, leaves no partial object, no temp file, no snapshot, no lock, and verify passes", async (ctx) => {
    const mnt = join(base, "tmpfs");
    mkdirSync(mnt);
    const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt], { encoding: "utf8" });
    if (m.status !== 0) {
      ctx.skip(`cannot mount a tmpfs here (${(m.stderr || "not root").trim()}): full-disk test skipped`);
      return;
    }
    try {
      const src = join(base, "big-src");
      randomTree(src, 30, 100_000);
      const store = new LocalStore(join(mnt, "repo"));
      const repo = await initRepo(store);
      await expect(repo.withLock({ purpose: "backup" }, async () => {
        const fs = await backupFilestore(repo, src);
        return await repo.writeSnapshot(manifestOf(repo, fs));
      })).rejects.toThrow(/ENOSPC|no space/i);
      const stored = objectsIntact(join(mnt, "repo"));
      expect(stored.objects).toBeGreaterThan(0);
      expect(stored.objects).toBeLessThan(30);
      // a failed put removes its own temp file (unlike a killed one)
      expect(stored.temps).toEqual([]);
      expect(readdirSync(join(mnt, "repo"))).not.toContain("snapshots");
      expect(await store.stat(LOCK_KEY)).toBeUndefined();
      expect((await repo.verify({ readData: true })).ok).toBe(true);
    } finally {
      spawnSync("umount", [mnt]);
    }
  }, 60_000);
});
