/**
 * Interop with Debian's `age` (and `zstd`) binaries: an object stored by the repository decrypts
 * with `age -d -i key.txt objects/xx/xxxx`, and `| zstd -dcf` gives back the original bytes whether
 * or not the object was compressed; manifests decrypt to JSON; files encrypted by `age -e` decrypt
 * in the repository. Needs the Debian packages age and zstd.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalStore } from "../../src/backup/stores/index.js";
import { initRepo, objectKey, openRepo, parseIdentities, type Repo } from "../../src/backup/repo/index.js";
import { MANIFEST_FORMAT_VERSION, type ObjectRef } from "../../src/backup/types.js";
import { ODOO17 } from "../helpers/project.js";

let dir = "";
let keyFile = "";
let identity = "";
let recipient = "";

beforeAll(() => {
  for (const bin of ["age", "age-keygen", "zstd"]) {
    if (spawnSync("sh", ["-c", `command -v ${bin}`]).status !== 0) throw new Error(`${bin} is not installed: apt-get install -y age zstd`);
  }
  dir = mkdtempSync(join(tmpdir(), "doodba-ops-age-"));
  keyFile = join(dir, "key.txt");
  execFileSync("age-keygen", ["-o", keyFile], { stdio: "ignore" });
  identity = parseIdentities(readFileSync(keyFile, "utf8"))[0] as string;
  recipient = execFileSync("age-keygen", ["-y", keyFile], { encoding: "utf8" }).trim();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

/** `age -d -i key.txt <file> | zstd -dcf` as a user would type it. */
function decryptWithCli(file: string): Buffer {
  return execFileSync("sh", ["-c", 'age -d -i "$1" "$2" | zstd -dcf', "sh", keyFile, file], { maxBuffer: 1 << 28 });
}

describe("age CLI interop", () => {
  let repo: Repo;
  let root: string;
  beforeAll(async () => {
    root = join(dir, "repo");
    repo = await initRepo(new LocalStore(root, { fsync: false }), { chunkSize: 1 << 20, encryption: { kind: "age", recipients: [recipient] } });
  });

  it("GIVEN the real Odoo 17 SQL dump (compressible) WHEN stored THEN age -d | zstd -dcf restores it byte for byte", async () => {
    const sql = execFileSync("unzip", ["-p", join(ODOO17, "backup-mail.zip"), "dump.sql"], { maxBuffer: 1 << 28 });
    const ref = await repo.putObject(Readable.from([sql]));
    expect(ref.chunks?.length).toBe(Math.ceil(sql.length / (1 << 20)));
    const parts = (ref.chunks ?? []).map((c) => decryptWithCli(join(root, objectKey(c.hash))));
    expect(sha(Buffer.concat(parts))).toBe(sha(sql));
    // the age layer alone gives a zstd frame: compression paid for SQL
    const raw = execFileSync("age", ["-d", "-i", keyFile, join(root, objectKey(ref.chunks?.[0]?.hash ?? ""))]);
    expect(raw.subarray(0, 4).toString("hex")).toBe("28b52ffd");
    expect(raw.length).toBeLessThan((1 << 20) / 3);
  });

  it("GIVEN a real filestore PNG (compressed already) WHEN stored THEN it is stored as is, and age -d alone restores it", async () => {
    const png = execFileSync("unzip", ["-p", join(ODOO17, "backup-mail.zip"), "filestore/23/23fe89f51c8121f053a697a3dd79106f25aeeb52"]);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    const ref = await repo.putObject(png);
    const raw = execFileSync("age", ["-d", "-i", keyFile, join(root, objectKey(ref.hash))]);
    expect(raw.equals(png)).toBe(true);
    expect(decryptWithCli(join(root, objectKey(ref.hash))).equals(png)).toBe(true);
  });

  it("GIVEN the real pg_dump custom-format backup WHEN stored THEN the CLI pipeline restores it (its TOC and data compress: zstd pays)", async () => {
    const dump = readFileSync(join(ODOO17, "backup-mail.dump"));
    const ref = await repo.putObject(Readable.from([dump]));
    const all = Buffer.concat((ref.chunks ?? [ref]).map((c) => decryptWithCli(join(root, objectKey(c.hash)))));
    expect(sha(all)).toBe(sha(dump));
    expect(all.subarray(0, 5).toString()).toBe("PGDMP");
  });

  it("GIVEN a snapshot WHEN its manifest is decrypted with age THEN it is the JSON manifest", async () => {
    const ref = await repo.putObject(Buffer.from("x"));
    const id = await repo.writeSnapshot({
      formatVersion: MANIFEST_FORMAT_VERSION,
      id: repo.newSnapshotId(),
      createdAt: "2026-11-27T02:00:00.000Z",
      tags: { project: "acme" },
      filestore: { db: "acme", files: [{ path: "aa/x", size: 1, mtimeMs: 1, object: ref }], totalBytes: 1 },
      stats: { files: 1, bytes: 1, newObjects: 1, newBytes: 1, seconds: 0 },
    });
    const json = JSON.parse(execFileSync("age", ["-d", "-i", keyFile, join(root, "snapshots", `${id}.json`)], { encoding: "utf8" })) as { id: string; tags: object };
    expect(json.id).toBe(id);
    expect(json.tags).toEqual({ project: "acme" });
  });

  it("GIVEN files encrypted by `age -e -r` (sizes around the 64 KiB STREAM chunk) WHEN read by the repository THEN identical", async () => {
    for (const size of [0, 100, 65536, 65537, 300_000]) {
      const plain = randomBytes(size);
      const hash = sha(plain);
      const p = join(root, objectKey(hash));
      mkdirSync(join(root, "objects", hash.slice(0, 2)), { recursive: true });
      const src = join(dir, `plain-${size}`);
      writeFileSync(src, plain);
      execFileSync("age", ["-e", "-r", recipient, "-o", p, src]);
      const reader = await openRepo(new LocalStore(root), { identity });
      const ref: ObjectRef = { hash, size };
      const out: Buffer[] = [];
      for await (const c of reader.readObject(ref)) out.push(c);
      expect(sha(Buffer.concat(out))).toBe(hash);
    }
  });
});
