/**
 * Filestore backups on a real file system: the real Odoo 17 filestore (from the database manager
 * backup in shared/fixtures/odoo17) plus generated attachments in Odoo's layout (<sha1[:2]>/<sha1>)
 * with a realistic mix (incompressible media, compressible text, a few files larger than a chunk).
 * Round trip (every file's hash and mtime), then the incremental second backup after ~1% changed:
 * it reads only what changed.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalStore } from "../../src/backup/stores/index.js";
import { backupFilestore, generateKey, initRepo, openRepo, restoreFilestore, type FilestoreBackup, type Repo } from "../../src/backup/repo/index.js";
import { MANIFEST_FORMAT_VERSION, type Progress, type SnapshotManifest } from "../../src/backup/types.js";
import { ODOO17 } from "../helpers/project.js";

const CHUNK = 256 * 1024;
let base = "";
let src = "";

function sha1(b: Buffer): string {
  return createHash("sha1").update(b).digest("hex");
}

/** Writes an attachment the way Odoo does: named by the sha1 of its content. */
function attach(dir: string, content: Buffer, mtime = new Date("2026-11-20T10:00:00Z")): string {
  const h = sha1(content);
  mkdirSync(join(dir, h.slice(0, 2)), { recursive: true });
  const p = join(dir, h.slice(0, 2), h);
  writeFileSync(p, content);
  utimesSync(p, mtime, mtime);
  return `${h.slice(0, 2)}/${h}`;
}

function textAttachment(i: number): Buffer {
  const rows = Array.from({ length: 20 + (i % 200) }, (_, r) => `<tr><td>INV/2026/${String(i * 1000 + r).padStart(6, "0")}</td><td>Alpha Trading Ltd</td><td>${(r * 13.7).toFixed(2)} EUR</td></tr>`);
  return Buffer.from(`<html><body><table>${rows.join("\n")}</table></body></html>`);
}

function hashTree(dir: string): Map<string, { sha: string; mtimeMs: number }> {
  const out = new Map<string, { sha: string; mtimeMs: number }>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(relative(dir, p), { sha: createHash("sha256").update(readFileSync(p)).digest("hex"), mtimeMs: Math.floor(statSync(p).mtimeMs) });
    }
  };
  walk(dir);
  return out;
}

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "doodba-ops-filestore-"));
  // the real filestore of database "acme"
  execFileSync("unzip", ["-q", join(ODOO17, "backup-mail.zip"), "filestore/*", "-d", join(base, "zip")]);
  src = join(base, "zip", "filestore");
  // 400 more attachments: 55% incompressible (photos, PDFs with compressed streams), 40% text, 2 larger than a chunk
  for (let i = 0; i < 400; i++) {
    if (i % 20 === 0) attach(src, Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(2000 + ((i * 7919) % 60_000))]));
    else if (i % 20 < 11) attach(src, randomBytes(500 + ((i * 7919) % 40_000)));
    else attach(src, textAttachment(i));
  }
  attach(src, randomBytes(CHUNK * 2 + 12_345));
  attach(src, Buffer.concat(Array.from({ length: 40 }, (_, i) => textAttachment(i))));
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

function snapshot(repo: Repo, fs: FilestoreBackup, createdAt: string): SnapshotManifest {
  return {
    formatVersion: MANIFEST_FORMAT_VERSION,
    id: repo.newSnapshotId(),
    createdAt,
    tags: { db: "acme" },
    filestore: { db: "acme", files: fs.files, totalBytes: fs.totalBytes },
    stats: {
      files: fs.stats.files,
      bytes: fs.stats.bytes,
      newObjects: fs.stats.newObjects,
      newBytes: fs.stats.newBytes,
      seconds: fs.stats.seconds,
      bytesRead: fs.stats.bytesRead,
      bytesUploaded: fs.stats.bytesUploaded,
      reusedObjects: fs.stats.reusedObjects,
      unchangedFiles: fs.stats.unchangedFiles,
    },
  };
}

describe("filestore backup and restore", () => {
  it("GIVEN the real Odoo filestore plus 402 attachments WHEN backed up, restored, changed by ~1% and backed up again THEN identical files, and the second backup reads only the change", async () => {
    const k = await generateKey();
    const store = new LocalStore(join(base, "repo"));
    const repo = await initRepo(store, { chunkSize: CHUNK, encryption: { kind: "age", recipients: [k.recipient] } });
    const before = hashTree(src);
    const progress: Progress[] = [];

    const first = await backupFilestore(repo, src, undefined, (p) => progress.push(p));
    const total = before.size;
    expect(first.stats.files).toBe(total);
    expect(first.files.map((f) => f.path)).toEqual([...before.keys()].sort());
    expect(first.stats.bytesRead).toBe(first.totalBytes);
    expect(first.stats.unchangedFiles).toBe(0);
    // zero-byte checklist markers and the two identical contract attachments share objects
    expect(first.stats.newObjects).toBeLessThan(total + 4);
    expect(progress[progress.length - 1]).toMatchObject({ phase: "filestore", doneItems: total, totalItems: total, doneBytes: first.totalBytes });
    // text compresses, media does not: stored bytes are well under the plaintext, but not by zstd's text ratio
    expect(first.stats.bytesUploaded).toBeLessThan(first.totalBytes * 0.9);
    const id1 = await repo.writeSnapshot(snapshot(repo, first, "2026-11-26T02:00:00.000Z"));

    const reader = await openRepo(store, { identity: k.identity });
    const m1 = await reader.readSnapshot(id1);
    const out = join(base, "restored");
    const r = await restoreFilestore(reader, m1.filestore?.files ?? [], out);
    expect(r.files).toBe(total);
    expect(hashTree(out)).toEqual(before);

    // ~1%: 4 new attachments, one deleted, one rewritten in place (Odoo does not, a script might)
    const added = [attach(src, randomBytes(30_000)), attach(src, textAttachment(9001)), attach(src, randomBytes(100)), attach(src, randomBytes(CHUNK + 1))];
    const victim = first.files.find((f) => f.size > 1000 && f.size < 20_000 && !f.path.startsWith("checklist"));
    unlinkSync(join(src, first.files[5]?.path ?? ""));
    writeFileSync(join(src, victim?.path ?? ""), randomBytes(victim?.size ?? 0)); // same size, new mtime
    const changedBytes = added.reduce((a, p) => a + statSync(join(src, p)).size, 0) + (victim?.size ?? 0);

    const second = await backupFilestore(reader, src, m1.filestore?.files);
    expect(second.stats.files).toBe(total + 4 - 1);
    expect(second.stats.unchangedFiles).toBe(total - 2);
    expect(second.stats.bytesRead).toBe(changedBytes);
    expect(second.stats.newObjects).toBe(1 + 1 + 1 + 2 + 1); // the large new file is 2 chunks
    expect(second.stats.bytesRead / first.stats.bytesRead).toBeLessThan(0.05);
    const id2 = await reader.writeSnapshot(snapshot(reader, second, "2026-11-27T02:00:00.000Z"));
    expect((await reader.listSnapshots()).map((s) => [s.id, s.filestore?.files, s.stats.unchangedFiles])).toEqual([
      [id1, total, 0],
      [id2, total + 3, total - 2],
    ]);

    // a backup of the restored copy against the first snapshot reads nothing: restore kept mtimes
    const again = await backupFilestore(reader, out, m1.filestore?.files);
    expect(again.stats.bytesRead).toBe(0);
    expect(again.stats.unchangedFiles).toBe(total);

    const v = await reader.verify({ readData: true });
    expect(v.ok).toBe(true);
    expect(v.snapshots).toBe(2);
  }, 60_000);
});
