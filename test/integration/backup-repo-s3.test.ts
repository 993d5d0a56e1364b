/**
 * S3Store and the repository over S3. S3 itself cannot run here: the stand-in is s3rver (npm), an
 * S3-compatible server started by this test on 127.0.0.1 (test/fixtures/backup-repo/s3rver.mjs).
 * Covered: streaming multipart uploads (an object of several 5 MiB parts), paginated listing of
 * more than 1000 keys, putIfAbsent's best effort on a server that ignores If-None-Match, and a
 * whole encrypted repository (chunked objects, snapshots, verify, prune) over S3.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3Store, openStore } from "../../src/backup/stores/index.js";
import { generateKey, initRepo, openRepo, objectKey } from "../../src/backup/repo/index.js";
import { MANIFEST_FORMAT_VERSION, NotFoundError } from "../../src/backup/types.js";
import { REPO_ROOT } from "../helpers/project.js";

const CREDS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };
let server: ChildProcess | undefined;
let endpoint = "";
let dataDir = "";

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "doodba-ops-s3rver-"));
  server = spawn(process.execPath, ["--openssl-legacy-provider", join(REPO_ROOT, "test", "fixtures", "backup-repo", "s3rver.mjs"), dataDir, "backups", "other"], {
    cwd: REPO_ROOT,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    server?.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /\{"port":(\d+)\}/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    server?.on("exit", (code) => reject(new Error(`s3rver exited (${code}) before listening`)));
  });
  endpoint = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  server?.stdin?.end();
  server?.kill("SIGTERM");
  rmSync(dataDir, { recursive: true, force: true });
});

function store(prefix: string, opts: Partial<ConstructorParameters<typeof S3Store>[0]> = {}): S3Store {
  return new S3Store({ bucket: "backups", prefix, endpoint, region: "us-east-1", credentials: CREDS, forcePathStyle: true, ...opts });
}

async function sha(s: Readable): Promise<string> {
  const h = createHash("sha256");
  for await (const c of s) h.update(c as Buffer);
  return h.digest("hex");
}

describe("S3Store against s3rver (the stand-in for S3)", () => {
  it("GIVEN objects WHEN put, stat, get, delete THEN S3 semantics, NotFoundError for absent keys", async () => {
    const s = store("basic");
    await s.put("a/b", Buffer.from("hello"));
    expect(await s.stat("a/b")).toEqual({ size: 5 });
    expect(await sha(await s.get("a/b"))).toBe(createHash("sha256").update("hello").digest("hex"));
    await s.delete("a/b");
    expect(await s.stat("a/b")).toBeUndefined();
    await expect(s.get("a/b")).rejects.toBeInstanceOf(NotFoundError);
    await s.delete("a/b"); // idempotent
  });

  it("GIVEN a 13 MiB stream WHEN put with 5 MiB parts THEN a 3-part multipart upload that reads back identical", async () => {
    const parts = new Set<number>();
    const s = store("multipart", { partSize: 5 << 20, onUploadProgress: (p) => p.part && parts.add(p.part) });
    const data = randomBytes(13 << 20);
    // a stream of odd-sized pieces, as a pipe from pg_dump would give
    const pieces: Buffer[] = [];
    for (let off = 0; off < data.length; off += 777_777) pieces.push(data.subarray(off, off + 777_777));
    await s.put("big", Readable.from(pieces));
    expect([...parts].sort()).toEqual([1, 2, 3]);
    expect(await s.stat("big")).toEqual({ size: 13 << 20 });
    expect(await sha(await s.get("big"))).toBe(createHash("sha256").update(data).digest("hex"));
  });

  it("GIVEN 1,100 keys WHEN listed THEN every key once, sorted, across pages of 1000, prefixes respected", async () => {
    const s = store("many");
    const keys = Array.from({ length: 1100 }, (_, i) => `objects/${(i % 256).toString(16).padStart(2, "0")}/k${String(i).padStart(5, "0")}`);
    const queue = [...keys];
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let k = queue.pop(); k; k = queue.pop()) await s.put(k, Buffer.from(k));
    }));
    await store("many-other").put("objects/zz/not-mine", Buffer.from("x"));
    const listed: string[] = [];
    for await (const o of s.list("objects/")) listed.push(o.key);
    expect(listed).toEqual([...keys].sort());
    const sub: string[] = [];
    for await (const o of s.list("objects/0a/")) sub.push(o.key);
    expect(sub).toEqual(keys.filter((k) => k.startsWith("objects/0a/")).sort());
  }, 120_000);

  it("GIVEN a server that ignores If-None-Match WHEN putIfAbsent races THEN exactly one writer wins (best effort)", async () => {
    const s = store("locks");
    expect(await s.putIfAbsent("l", Buffer.from("one"))).toBe(true);
    expect(await s.putIfAbsent("l", Buffer.from("two"))).toBe(false);
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => s.putIfAbsent("race", Buffer.from(`writer-${i}-${randomBytes(8).toString("hex")}`))));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("GIVEN an s3:// URL WHEN openStore THEN it reaches the same bucket", async () => {
    const s = openStore(`s3://backups/url-test?endpoint=${encodeURIComponent(endpoint)}&region=us-east-1`, {
      environ: { AWS_ACCESS_KEY_ID: CREDS.accessKeyId, AWS_SECRET_ACCESS_KEY: CREDS.secretAccessKey },
    });
    await s.put("x", Buffer.from("via url"));
    expect(await store("url-test").stat("x")).toEqual({ size: 7 });
  });
});

describe("an encrypted repository over S3", () => {
  it("GIVEN an age repository with 6 MiB chunks WHEN a 14 MiB dump and a snapshot are written THEN list, restore, verify and prune work over S3", async () => {
    const k = await generateKey();
    const s = store("repo", { partSize: 5 << 20 });
    const repo = await initRepo(s, { chunkSize: 6 << 20, encryption: { kind: "age", recipients: [k.recipient] } });
    const dump = randomBytes(14 << 20);
    const ref = await repo.putObject(Readable.from([dump]));
    expect(ref.chunks).toHaveLength(3);
    const small = await repo.putObject(Buffer.from("filestore attachment ".repeat(100)));
    const id = await repo.writeSnapshot({
      formatVersion: MANIFEST_FORMAT_VERSION,
      id: repo.newSnapshotId(),
      createdAt: "2026-11-27T02:00:00.000Z",
      tags: { env: "prod" },
      database: { name: "acme", format: "custom", files: [{ path: "dump", object: ref }], serverVersion: "15.18", rowCounts: {} },
      filestore: { db: "acme", files: [{ path: "ab/abcd", size: small.size, mtimeMs: 1, object: small }], totalBytes: small.size },
      stats: { files: 1, bytes: small.size, newObjects: 4, newBytes: dump.length + small.size, seconds: 1 },
    });
    const reader = await openRepo(store("repo"), { identity: k.identity });
    expect((await reader.listSnapshots()).map((x) => x.id)).toEqual([id]);
    const m = await reader.readSnapshot(id.slice(0, 6));
    expect(await sha(reader.openObject(m.database?.files[0]?.object ?? ref))).toBe(createHash("sha256").update(dump).digest("hex"));
    const v = await reader.verify({ readData: true });
    expect(v).toMatchObject({ ok: true, objects: 4, checkedBytes: dump.length + small.size });
    // a chunk stored on S3 is an age file
    const first = await sha(await s.get(objectKey(ref.chunks?.[0]?.hash ?? "")));
    expect(first).not.toBe(ref.chunks?.[0]?.hash);
    const later = await reader.writeSnapshot({ ...m, id: reader.newSnapshotId(), createdAt: "2026-11-28T02:00:00.000Z", database: undefined });
    const pr = await reader.prune({ keepLast: 1 }, { groupBy: () => "all" });
    expect(pr.plan.keep.map((x) => x.id)).toEqual([later]);
    expect(pr.deletedObjects).toBe(3); // the dump's chunks
    expect((await reader.verify({ readData: true })).ok).toBe(true);
  }, 120_000);
});
