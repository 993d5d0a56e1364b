/**
 * startSpool (src/backup/odoo/restore.ts): a dump written to a private temp file while readers
 * follow it from its first byte (pg_restore --section=pre-data reads the head of a dump still
 * being spooled). Real files in a temp dir; the source is a PassThrough fed piece by piece.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { startSpool } from "../../../src/backup/odoo/restore.js";
import type { Platform } from "../../../src/platform/index.js";

const work = mkdtempSync(join(tmpdir(), "doodba-ops-spool-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const platform = { environ: {} } as unknown as Platform;
const tick = () => new Promise((r) => setTimeout(r, 5));

async function collect(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

function pieces(n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => Buffer.alloc(300_000 + i * 7919, i & 0xff));
}

describe("startSpool", () => {
  it("GIVEN a source that arrives in pieces WHEN followed from before the first byte THEN the follower gets every byte in order and ends with the spool; the file holds the same", async () => {
    const dir = mkdtempSync(join(work, "a-"));
    const src = new PassThrough();
    const spool = await startSpool(platform, src, dir);
    const early = collect(spool.follow());
    const data = pieces(12);
    for (const p of data) {
      src.write(p);
      await tick();
    }
    const late = spool.follow(); // started mid-way: still from the first byte
    src.end();
    await spool.done;
    const whole = Buffer.concat(data);
    expect((await early).equals(whole)).toBe(true);
    expect((await collect(late)).equals(whole)).toBe(true);
    expect(readFileSync(spool.path).equals(whole)).toBe(true);
    await spool.cleanup();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("GIVEN a follower that stops reading early (pg_restore has its table of contents) WHEN destroyed THEN the spool goes on to the end", async () => {
    const dir = mkdtempSync(join(work, "b-"));
    const src = new PassThrough();
    const spool = await startSpool(platform, src, dir);
    const head = spool.follow();
    src.write(Buffer.alloc(2 << 20, 1));
    const first = await new Promise<Buffer>((resolve) => head.once("data", resolve));
    expect(first.length).toBeGreaterThan(0);
    head.destroy();
    src.end(Buffer.alloc(3 << 20, 2));
    await spool.done;
    expect(readFileSync(spool.path).length).toBe(5 << 20);
    await spool.cleanup();
  });

  it("GIVEN a source that fails mid-way WHEN followed THEN done rejects and the follower fails with the same error, not with an early end", async () => {
    const dir = mkdtempSync(join(work, "c-"));
    const src = new PassThrough();
    const spool = await startSpool(platform, src, dir);
    const follower = collect(spool.follow());
    src.write(Buffer.alloc(100_000, 3));
    await tick();
    src.destroy(new Error("object 1f2e... is corrupt"));
    await expect(spool.done).rejects.toThrow("object 1f2e... is corrupt");
    await expect(follower).rejects.toThrow("object 1f2e... is corrupt");
    await spool.cleanup();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("GIVEN a spool still running WHEN cleaned up THEN the source is stopped, done settles and the file is gone", async () => {
    const dir = mkdtempSync(join(work, "d-"));
    const src = new PassThrough();
    const spool = await startSpool(platform, src, dir);
    src.write(Buffer.alloc(50_000, 4));
    await tick();
    await spool.cleanup();
    expect(src.destroyed).toBe(true);
    await expect(spool.done).rejects.toBeDefined();
    expect(readdirSync(dir)).toEqual([]);
  });
});
