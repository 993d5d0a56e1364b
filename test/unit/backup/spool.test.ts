/**
 * startSpool (src/backup/odoo/restore.ts): a dump written to a private temp file while the
 * restore goes on (the schema is restored meanwhile from a stream of its own). Real files in a
 * temp dir; the source is a PassThrough fed piece by piece.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { startSpool } from "../../../src/backup/odoo/restore.js";
import type { Platform } from "../../../src/platform/index.js";

const work = mkdtempSync(join(tmpdir(), "doodba-ops-spool-test-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const platform = { environ: {} } as unknown as Platform;
const tick = () => new Promise((r) => setTimeout(r, 5));

describe("startSpool", () => {
  it("GIVEN a source that arrives in pieces WHEN spooled THEN it returns at once, done settles at the end, the file holds every byte in order, and cleanup removes its folder", async () => {
    const dir = mkdtempSync(join(work, "a-"));
    const src = new PassThrough();
    const spool = await startSpool(platform, src, dir);
    let finished = false;
    void spool.done.then(() => (finished = true));
    const data = Array.from({ length: 12 }, (_, i) => Buffer.alloc(300_000 + i * 7919, i & 0xff));
    for (const p of data) {
      src.write(p);
      await tick();
    }
    expect(finished).toBe(false);
    src.end();
    await spool.done;
    expect(readFileSync(spool.path).equals(Buffer.concat(data))).toBe(true);
    await spool.cleanup();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("GIVEN a source that fails at once WHEN spooled THEN done rejects with its error and cleanup leaves nothing behind (the file was created before the first read)", async () => {
    const dir = mkdtempSync(join(work, "b-"));
    const src = new PassThrough();
    src.destroy(new Error("object 1f2e... is corrupt"));
    const spool = await startSpool(platform, src, dir);
    await expect(spool.done).rejects.toThrow("object 1f2e... is corrupt");
    await spool.cleanup();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("GIVEN a spool still running WHEN cleaned up THEN the source is stopped, done settles and the file is gone", async () => {
    const dir = mkdtempSync(join(work, "c-"));
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
