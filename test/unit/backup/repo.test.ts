/**
 * The repository on a LocalStore in a temp dir: objects (chunking, dedup, compression decision,
 * encryption), the incremental putFile, snapshots, the lock, verify and prune.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { LocalStore } from "../../../src/backup/stores/index.js";
import { generateKey, initRepo, objectKey, openRepo, type Repo } from "../../../src/backup/repo/index.js";
import { LOCK_KEY } from "../../../src/backup/repo/lock.js";
import { ZSTD_MAGIC } from "../../../src/backup/repo/codec.js";
import { MANIFEST_FORMAT_VERSION, type ObjectRef, type SnapshotManifest } from "../../../src/backup/types.js";
import { UserError } from "../../../src/errors.js";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "doodba-ops-repo-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
const CHUNK = 64 * 1024;

async function collect(repo: Repo, ref: ObjectRef): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of repo.readObject(ref)) parts.push(c);
  return Buffer.concat(parts);
}

function manifest(repo: Repo, over: Partial<SnapshotManifest> & { files?: { path: string; object: ObjectRef }[] }, createdAt = new Date().toISOString()): SnapshotManifest {
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    id: repo.newSnapshotId(),
    createdAt,
    tags: {},
    filestore: { db: "acme", files: (over.files ?? []).map((f) => ({ path: f.path, size: f.object.size, mtimeMs: 1, object: f.object })), totalBytes: 0 },
    stats: { files: 0, bytes: 0, newObjects: 0, newBytes: 0, seconds: 0 },
    ...over,
  };
}

describe("objects", () => {
  it("GIVEN text and random content WHEN stored THEN text is zstd-framed, random is stored as is, both read back", async () => {
    const root = tmp();
    const repo = await initRepo(new LocalStore(root, { fsync: false }), { chunkSize: CHUNK });
    const text = Buffer.from("INSERT INTO res_partner VALUES (1, 'Alpha Trading Ltd');\n".repeat(500));
    const rnd = randomBytes(10_000);
    const t = await repo.putObject(text);
    const r = await repo.putObject(rnd);
    expect(t).toEqual({ hash: sha(text), size: text.length });
    const storedText = readFileSync(join(root, objectKey(t.hash)));
    expect(storedText.subarray(0, 4).equals(ZSTD_MAGIC)).toBe(true);
    expect(storedText.length).toBeLessThan(text.length / 10);
    expect(readFileSync(join(root, objectKey(r.hash))).equals(rnd)).toBe(true);
    expect((await collect(repo, t)).equals(text)).toBe(true);
    expect((await collect(repo, r)).equals(rnd)).toBe(true);
  });

  it("GIVEN content that starts with the zstd magic WHEN it does not compress THEN it is still framed (unambiguous) and reads back", async () => {
    const root = tmp();
    const repo = await initRepo(new LocalStore(root, { fsync: false }), { chunkSize: CHUNK });
    const fake = Buffer.concat([ZSTD_MAGIC, randomBytes(5000)]);
    const ref = await repo.putObject(fake);
    expect((await collect(repo, ref)).equals(fake)).toBe(true);
    expect(readFileSync(join(root, objectKey(ref.hash))).equals(fake)).toBe(false);
  });

  it("GIVEN a stream of 3.5 chunks WHEN put THEN 4 chunk objects, the whole hash, and an identical restore", async () => {
    const repo = await initRepo(new LocalStore(tmp(), { fsync: false }), { chunkSize: CHUNK });
    const data = randomBytes(3 * CHUNK + CHUNK / 2);
    const pieces = [data.subarray(0, 1000), data.subarray(1000, 100_000), data.subarray(100_000)];
    const ref = await repo.putObject(Readable.from(pieces));
    expect(ref.hash).toBe(sha(data));
    expect(ref.size).toBe(data.length);
    expect(ref.chunks?.map((c) => c.size)).toEqual([CHUNK, CHUNK, CHUNK, CHUNK / 2]);
    const out: Buffer[] = [];
    await repo.restoreObject(ref, new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }));
    expect(Buffer.concat(out).equals(data)).toBe(true);
  });

  it("GIVEN the same content twice WHEN put THEN the second is not uploaded (dedup) and counters say so", async () => {
    const repo = await initRepo(new LocalStore(tmp(), { fsync: false }), { chunkSize: CHUNK });
    const data = randomBytes(2 * CHUNK + 10);
    await repo.putObject(Readable.from([data]));
    const after1 = { ...repo.counters };
    expect(after1.newObjects).toBe(3);
    await repo.putObject(Readable.from([data]));
    expect(repo.counters.newObjects).toBe(3);
    expect(repo.counters.reusedObjects).toBe(3);
    expect(repo.counters.bytesUploaded).toBe(after1.bytesUploaded);
    // a fresh handle (no in-memory index) also finds them in the store
    const again = await openRepo(repo.store);
    await again.putObject(Readable.from([data]));
    expect(again.counters.newObjects).toBe(0);
    expect(again.counters.reusedObjects).toBe(3);
  });

  it("GIVEN an empty stream WHEN put THEN a zero-size object that reads back empty", async () => {
    const repo = await initRepo(new LocalStore(tmp(), { fsync: false }), { chunkSize: CHUNK });
    const ref = await repo.putObject(Readable.from([]));
    expect(ref).toEqual({ hash: sha(Buffer.alloc(0)), size: 0 });
    expect((await collect(repo, ref)).length).toBe(0);
  });

  it("GIVEN a file unchanged since the previous snapshot WHEN putFile THEN its previous ref is reused without reading it", async () => {
    const repo = await initRepo(new LocalStore(tmp(), { fsync: false }), { chunkSize: CHUNK });
    const previous = { size: 10, mtimeMs: 1234, object: { hash: "a".repeat(64), size: 10 } };
    const never = { small: () => Promise.reject(new Error("read")), stream: () => { throw new Error("read"); } };
    const r = await repo.putFile({ size: 10, mtimeMs: 1234 }, never, previous);
    expect(r).toEqual({ object: previous.object, unchanged: true });
    expect(repo.counters.bytesRead).toBe(0);
    const changed = await repo.putFile({ size: 3, mtimeMs: 1235 }, { small: () => Promise.resolve(Buffer.from("new")), stream: never.stream }, previous);
    expect(changed.unchanged).toBe(false);
    expect(changed.object.size).toBe(3);
  });

  it("GIVEN a source that fails midway WHEN putObject THEN it rejects and the budget is released", async () => {
    const repo = await initRepo(new LocalStore(tmp(), { fsync: false }), { chunkSize: CHUNK });
    const src = new Readable({
      read() {
        this.push(randomBytes(CHUNK * 2));
        this.destroy(new Error("pg_dump died"));
      },
    });
    await expect(repo.putObject(src)).rejects.toThrow(/pg_dump died/);
    expect(repo.budget.inFlight).toBe(0);
  });
});

describe("encryption", () => {
  it("GIVEN an age repository WHEN written without identity THEN objects are age files; reading needs the identity; a wrong one is a UserError", async () => {
    const root = tmp();
    const k = await generateKey();
    const other = await generateKey();
    const store = new LocalStore(root, { fsync: false });
    const w = await initRepo(store, { chunkSize: CHUNK, encryption: { kind: "age", recipients: [k.recipient] } });
    const data = Buffer.from("confidential invoice ".repeat(1000));
    const ref = await w.putObject(data);
    expect(readFileSync(join(root, objectKey(ref.hash))).subarray(0, 21).toString()).toBe("age-encryption.org/v1");
    await w.writeSnapshot(manifest(w, { files: [{ path: "ab/abc", object: ref }] }));
    expect(w.canRead).toBe(false);
    await expect(w.listSnapshots()).rejects.toThrow(/needs its age identity/);
    const r = await openRepo(store, { identity: k.identity });
    expect((await collect(r, ref)).equals(data)).toBe(true);
    expect((await r.listSnapshots())).toHaveLength(1);
    const wrong = openRepo(store, { identity: other.identity });
    await expect(wrong).rejects.toBeInstanceOf(UserError);
    await expect(wrong).rejects.toThrow(/wrong key/);
  });

  it("GIVEN an invalid recipient WHEN init THEN a UserError and no config", async () => {
    const root = tmp();
    await expect(initRepo(new LocalStore(root), { encryption: { kind: "age", recipients: ["age1nothing"] } })).rejects.toThrow(/invalid age recipient/);
    expect(readdirSync(root)).toEqual([]);
  });
});

describe("repository config", () => {
  it("GIVEN a repository WHEN init again THEN refused; WHEN opening an empty dir THEN a UserError", async () => {
    const root = tmp();
    await initRepo(new LocalStore(root));
    await expect(initRepo(new LocalStore(root))).rejects.toThrow(/already exists/);
    await expect(openRepo(new LocalStore(tmp()))).rejects.toThrow(/no backup repository/);
    writeFileSync(join(root, "config.json"), JSON.stringify({ formatVersion: 99 }));
    await expect(openRepo(new LocalStore(root))).rejects.toThrow(/format 99/);
  });
});

describe("snapshots", () => {
  it("GIVEN snapshots WHEN listed and read by prefix or latest THEN found; ambiguous and unknown prefixes are UserErrors", async () => {
    const repo = await initRepo(new LocalStore(tmp(), { fsync: false }), { chunkSize: CHUNK });
    const ref = await repo.putObject(Buffer.from("x"));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const m = manifest(repo, { id: `${i}${"0".repeat(15)}${i}`, tags: { n: String(i) }, files: [{ path: "aa/x", object: ref }] }, new Date(Date.UTC(2026, 10, 20 + i)).toISOString());
      ids.push(await repo.writeSnapshot(m));
    }
    const list = await repo.listSnapshots();
    expect(list.map((s) => s.id)).toEqual(ids);
    expect(list[0]?.filestore).toEqual({ db: "acme", files: 1, totalBytes: 0 });
    expect((await repo.readSnapshot("1")).tags.n).toBe("1");
    expect((await repo.readSnapshot("latest")).id).toBe(ids[2]);
    await expect(repo.readSnapshot("ffff")).rejects.toThrow(/no snapshot/);
    await expect(repo.readSnapshot("xyz")).rejects.toThrow(/not a snapshot id/);
    const extra = manifest(repo, { id: `1${"0".repeat(14)}99` });
    await repo.writeSnapshot(extra);
    await expect(repo.readSnapshot("10")).rejects.toThrow(/ambiguous/);
  });

  it("GIVEN a summary whose manifest was never written (crash between them) THEN list ignores it", async () => {
    const root = tmp();
    const repo = await initRepo(new LocalStore(root, { fsync: false }));
    const m = manifest(repo, {});
    await repo.writeSnapshot(m);
    unlinkSync(join(root, "snapshots", `${m.id}.json`));
    expect(await repo.listSnapshots()).toEqual([]);
  });

  it("GIVEN a manifest with an unsafe path WHEN written THEN refused", async () => {
    const repo = await initRepo(new LocalStore(tmp(), { fsync: false }));
    const ref = await repo.putObject(Buffer.from("x"));
    await expect(repo.writeSnapshot(manifest(repo, { files: [{ path: "../../etc/passwd", object: ref }] }))).rejects.toThrow(/unsafe filestore path/);
  });
});

describe("lock", () => {
  it("GIVEN a lock held by a live process WHEN another handle locks THEN a UserError naming the holder; --break-lock takes it; the loser cannot write its snapshot", async () => {
    const store = new LocalStore(tmp(), { fsync: false });
    await initRepo(store);
    const a = await openRepo(store, { host: "host-a", pid: process.pid });
    const b = await openRepo(store, { host: "host-b", pid: 42 });
    await a.lock({ purpose: "backup" });
    await expect(b.lock()).rejects.toThrow(/locked by .*@host-a:\d+ \(backup\)/);
    const warnings: string[] = [];
    await b.lock({ breakLock: true, onWarning: (w) => warnings.push(w) });
    expect(warnings[0]).toMatch(/breaking the repository lock held by/);
    await expect(a.writeSnapshot(manifest(a, {}))).rejects.toThrow(/lock was broken/);
    await b.unlock();
    expect(await store.stat(LOCK_KEY)).toBeUndefined();
  });

  it("GIVEN a lock of a dead process on this host, or an expired one THEN it is taken over with a warning", async () => {
    const store = new LocalStore(tmp(), { fsync: false });
    await initRepo(store);
    const dead = await openRepo(store, { host: "here", pid: 999_999_999 });
    await dead.lock();
    const warnings: string[] = [];
    const me = await openRepo(store, { host: "here" });
    await me.lock({ onWarning: (w) => warnings.push(w) });
    expect(warnings[0]).toMatch(/no longer exists/);
    await me.unlock();

    let clock = Date.UTC(2026, 10, 27);
    const old = await openRepo(store, { host: "elsewhere", now: () => new Date(clock) });
    await old.lock({ ttlMs: 60_000 });
    clock += 120_000;
    const later = await openRepo(store, { host: "here", now: () => new Date(clock) });
    await later.lock({ onWarning: (w) => warnings.push(w) });
    expect(warnings[1]).toMatch(/expired at/);
    await later.unlock();
  });
});

describe("verify and prune", () => {
  async function twoSnapshots(): Promise<{ root: string; repo: Repo; shared: ObjectRef; onlyOld: ObjectRef; onlyNew: ObjectRef; oldId: string; newId: string }> {
    const root = tmp();
    const repo = await initRepo(new LocalStore(root, { fsync: false }), { chunkSize: CHUNK });
    const shared = await repo.putObject(randomBytes(1000));
    const onlyOld = await repo.putObject(Readable.from([randomBytes(CHUNK + 10)]));
    const onlyNew = await repo.putObject(randomBytes(500));
    const oldId = await repo.writeSnapshot(manifest(repo, { files: [{ path: "aa/shared", object: shared }, { path: "bb/old", object: onlyOld }] }, "2026-11-01T02:00:00.000Z"));
    const newId = await repo.writeSnapshot(manifest(repo, { files: [{ path: "aa/shared", object: shared }, { path: "cc/new", object: onlyNew }] }, "2026-11-02T02:00:00.000Z"));
    return { root, repo, shared, onlyOld, onlyNew, oldId, newId };
  }

  it("GIVEN a sound repository WHEN verify with readData THEN ok and every byte re-hashed", async () => {
    const { repo } = await twoSnapshots();
    const r = await repo.verify({ readData: true });
    expect(r).toMatchObject({ ok: true, snapshots: 2, objects: 4, missing: [], corrupt: [], brokenSnapshots: [], unreferencedObjects: 0 });
    expect(r.checkedBytes).toBe(1000 + CHUNK + 10 + 500);
  });

  it("GIVEN a deleted object and a corrupted one WHEN verify THEN each is named with its snapshots and use", async () => {
    const { root, repo, shared, onlyNew, oldId, newId } = await twoSnapshots();
    unlinkSync(join(root, objectKey(onlyNew.hash)));
    const p = join(root, objectKey(shared.hash));
    const b = readFileSync(p);
    b.writeUInt8(b.readUInt8(10) ^ 0xff, 10);
    writeFileSync(p, b);
    const quick = await repo.verify();
    expect(quick.ok).toBe(false);
    expect(quick.missing.map((m) => m.key)).toEqual([objectKey(onlyNew.hash)]);
    expect(quick.corrupt).toEqual([]); // existence only
    const full = await repo.verify({ readData: true });
    expect(full.missing).toEqual([{ key: objectKey(onlyNew.hash), hash: onlyNew.hash, problem: "missing", snapshots: [newId], usedBy: ["filestore acme/cc/new"] }]);
    expect(full.corrupt).toHaveLength(1);
    expect(full.corrupt[0]).toMatchObject({ key: objectKey(shared.hash), snapshots: [oldId, newId].sort(), usedBy: ["filestore acme/aa/shared"] });
    expect(full.corrupt[0]?.problem).toMatch(/hashes to/);
    await expect(collect(repo, shared)).rejects.toThrow(/corrupt/);
  });

  it("GIVEN two snapshots WHEN prune keep-last 1 (dry run, then for real) THEN the old snapshot and its own objects go, shared ones stay", async () => {
    const { root, repo, shared, onlyOld, onlyNew, oldId, newId } = await twoSnapshots();
    const dry = await repo.prune({ keepLast: 1 }, { dryRun: true });
    expect(dry.plan.remove.map((r) => r.id)).toEqual([oldId]);
    expect(dry.unreferencedObjects).toBe(2); // the two chunks of onlyOld
    expect(readdirSync(join(root, "snapshots"))).toHaveLength(2);
    const res = await repo.prune({ keepLast: 1 });
    expect(res).toMatchObject({ deletedSnapshots: 1, deletedObjects: 2 });
    expect((await repo.listSnapshots()).map((s) => s.id)).toEqual([newId]);
    for (const c of onlyOld.chunks ?? []) expect(await repo.store.stat(objectKey(c.hash))).toBeUndefined();
    expect(await repo.store.stat(objectKey(shared.hash))).toBeDefined();
    expect(await repo.store.stat(objectKey(onlyNew.hash))).toBeDefined();
    expect((await repo.verify({ readData: true })).ok).toBe(true);
    expect(await repo.store.stat(LOCK_KEY)).toBeUndefined();
  });

  it("GIVEN temp files a killed writer left WHEN prune (dry run, then for real) THEN only the real prune removes them, and only those older than its lock", async () => {
    const { root, repo } = await twoSnapshots();
    const dir = join(root, "objects", "ab");
    mkdirSync(dir, { recursive: true });
    const old = join(dir, `.${"ab".padEnd(64, "0")}.tmp-0123456789ab`);
    writeFileSync(old, "half an object");
    utimesSync(old, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    expect((await repo.prune({ keepLast: 5 }, { dryRun: true })).removedTempFiles).toBe(0);
    expect(existsSync(old)).toBe(true);
    // a temp file written after the lock was taken (a writer that ignores the lock) stays
    const res = await repo.prune({ keepLast: 5 }, { lock: { onWarning: () => undefined } });
    expect(res).toMatchObject({ removedTempFiles: 1, deletedSnapshots: 0 });
    expect(existsSync(old)).toBe(false);
    const fresh = join(dir, `.${"ab".padEnd(64, "1")}.tmp-0123456789ab`);
    writeFileSync(fresh, "a live writer's temp file");
    utimesSync(fresh, new Date(Date.now() + 60_000), new Date(Date.now() + 60_000));
    expect((await repo.prune({ keepLast: 5 })).removedTempFiles).toBe(0);
    expect(existsSync(fresh)).toBe(true);
    expect((await repo.verify()).ok).toBe(true);
  });

  it("GIVEN an unreadable manifest WHEN prune THEN it stops before deleting anything", async () => {
    const { root, repo, oldId } = await twoSnapshots();
    writeFileSync(join(root, "snapshots", `${oldId}.json`), "{ not json");
    await expect(repo.prune({ keepLast: 1 })).rejects.toThrow(/prune stopped: snapshot .* cannot be read/);
    expect(readdirSync(join(root, "snapshots"))).toHaveLength(2);
    const v = await repo.verify();
    expect(v.brokenSnapshots.map((b) => b.id)).toEqual([oldId]);
  });
});
