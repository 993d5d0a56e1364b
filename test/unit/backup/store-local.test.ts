/** LocalStore and openStore: atomic puts, create-if-absent, sorted listing, URL parsing. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { LocalStore, S3Store, openStore } from "../../../src/backup/stores/index.js";
import { NotFoundError } from "../../../src/backup/types.js";
import { UserError } from "../../../src/errors.js";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "doodba-ops-store-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function text(s: Readable): Promise<string> {
  let out = "";
  for await (const c of s) out += Buffer.from(c as Buffer).toString();
  return out;
}

describe("LocalStore", () => {
  it("GIVEN a buffer and a stream WHEN put THEN get returns them and stat gives their size", async () => {
    const s = new LocalStore(tmp());
    await s.put("a/b/c.txt", Buffer.from("hello"));
    await s.put("a/d.txt", Readable.from([Buffer.from("wor"), Buffer.from("ld")]));
    expect(await text(await s.get("a/b/c.txt"))).toBe("hello");
    expect(await text(await s.get("a/d.txt"))).toBe("world");
    expect(await s.stat("a/d.txt")).toEqual({ size: 5 });
    expect(await s.stat("a/nope")).toBeUndefined();
    await expect(s.get("a/nope")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("GIVEN a key WHEN putIfAbsent twice THEN only the first wins and keeps its content", async () => {
    const s = new LocalStore(tmp());
    expect(await s.putIfAbsent("locks/x.json", Buffer.from("first"))).toBe(true);
    expect(await s.putIfAbsent("locks/x.json", Buffer.from("second"))).toBe(false);
    expect(await text(await s.get("locks/x.json"))).toBe("first");
  });

  it("GIVEN many concurrent putIfAbsent on one key THEN exactly one succeeds", async () => {
    const s = new LocalStore(tmp());
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.putIfAbsent("locks/race", Buffer.from(String(i)))));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it("GIVEN a stream that fails midway WHEN put THEN nothing is visible and no temp file remains", async () => {
    const root = tmp();
    const s = new LocalStore(root);
    await s.put("objects/ab/keep", Buffer.from("old"));
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1000, 1));
        this.destroy(new Error("source died"));
      },
    });
    await expect(s.put("objects/ab/keep", failing)).rejects.toThrow(/source died/);
    expect(await text(await s.get("objects/ab/keep"))).toBe("old");
    expect(readdirSync(join(root, "objects", "ab"))).toEqual(["keep"]);
  });

  it("GIVEN keys in several directories WHEN listed by prefix THEN sorted, hidden temp files excluded", async () => {
    const root = tmp();
    const s = new LocalStore(root);
    for (const k of ["objects/ff/ff1", "objects/0a/0a2", "objects/0a/0a1", "snapshots/s1.json", "objects/0b/0b1"]) await s.put(k, Buffer.from(k));
    writeFileSync(join(root, "objects", "0a", ".0a3.tmp-123"), "partial");
    const keys: string[] = [];
    for await (const o of s.list("objects/")) keys.push(o.key);
    expect(keys).toEqual(["objects/0a/0a1", "objects/0a/0a2", "objects/0b/0b1", "objects/ff/ff1"]);
    const some: string[] = [];
    for await (const o of s.list("objects/0a/0a")) some.push(o.key);
    expect(some).toEqual(["objects/0a/0a1", "objects/0a/0a2"]);
    const none: string[] = [];
    for await (const o of s.list("nothing/")) none.push(o.key);
    expect(none).toEqual([]);
  });

  it("GIVEN unsafe keys THEN they are refused", async () => {
    const s = new LocalStore(tmp());
    await expect(s.put("../escape", Buffer.from("x"))).rejects.toThrow(/invalid store key/);
    await expect(s.put("/abs", Buffer.from("x"))).rejects.toThrow(/invalid store key/);
    await expect(s.put("a//b", Buffer.from("x"))).rejects.toThrow(/invalid store key/);
  });

  it("GIVEN objects put WHEN flush THEN one syncfs for all of them (or per-file fsync without it), nothing when none are pending", async () => {
    const calls: string[] = [];
    const root = tmp();
    const s = new LocalStore(root, { syncFs: async (d) => void calls.push(d) });
    await s.put("objects/aa/1", Buffer.from("1"));
    await s.put("objects/aa/2", Buffer.from("2"));
    await s.flush();
    await s.flush();
    expect(calls).toEqual([root]);
    const failing = new LocalStore(tmp(), { syncFs: () => Promise.reject(new Error("no sync -f")) });
    await failing.put("objects/bb/1", Buffer.from("1"));
    await failing.delete("objects/bb/1");
    await expect(failing.flush()).resolves.toBeUndefined();
  });

  it("GIVEN temp files of a killed writer WHEN removeStaleTemp THEN old ones go, fresh ones stay", async () => {
    const root = tmp();
    mkdirSync(join(root, "objects", "aa"), { recursive: true });
    writeFileSync(join(root, "objects", "aa", ".x.tmp-1"), "x");
    const s = new LocalStore(root);
    expect(await s.removeStaleTemp(60_000)).toBe(0);
    expect(await s.removeStaleTemp(0, Date.now() + 1000)).toBe(1);
  });
});

describe("openStore", () => {
  it("GIVEN paths and file URLs THEN a LocalStore on the absolute path", () => {
    expect(openStore("/srv/backups").description).toBe("file:///srv/backups");
    expect(openStore("file:///srv/backups").description).toBe("file:///srv/backups");
    expect(openStore("backups", { cwd: "/srv" }).description).toBe("file:///srv/backups");
  });

  it("GIVEN an s3 URL with endpoint THEN an S3Store, path-style, credentials from the environment, none in the description", () => {
    const s = openStore("s3://my-bucket/odoo/prod?endpoint=http://127.0.0.1:9000&region=eu-west-1", { environ: { AWS_ACCESS_KEY_ID: "AKIA", AWS_SECRET_ACCESS_KEY: "secret" } });
    expect(s).toBeInstanceOf(S3Store);
    expect(s.description).toBe("s3://my-bucket/odoo/prod (endpoint http://127.0.0.1:9000)");
    expect(s.description).not.toContain("secret");
  });

  it("GIVEN bad S3 URLs THEN a UserError that names the problem", () => {
    const env = { environ: {} };
    expect(() => openStore("s3://user:pw@bucket/x", env)).toThrow(/credentials do not belong/);
    expect(() => openStore("s3://B_ad/x", env)).toThrow(/invalid S3 bucket name/);
    expect(() => openStore("s3://bucket/x?colour=blue", env)).toThrow(/unknown S3 URL parameter colour/);
    expect(() => openStore("s3://bucket/x", { environ: { AWS_ACCESS_KEY_ID: "x" } })).toThrow(/AWS_SECRET_ACCESS_KEY is not set/);
    expect(() => openStore("ftp://host/x", env)).toThrow(UserError);
  });
});
