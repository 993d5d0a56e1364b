/**
 * The backup service in process, on a real local repository (temp dir) and the real Odoo 17
 * backups of ../shared/fixtures: import (no database server needed), list/show, export back to
 * Odoo's zip layout, prune; plus the CLI helpers that resolve the repository, the age identity
 * and render progress.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { applyPrune, exportBackup, importBackup, initRepository, listBackups, planPrune, problemLines, showBackup, summarize, verifyRepository, type BackupContext } from "../../../src/backup/service.js";
import { identities, progressRenderer, repoUrl } from "../../../src/cli/commands/backup.js";
import { UserError } from "../../../src/errors.js";
import { nodePlatform, type Platform } from "../../../src/platform/index.js";
import { ODOO17 } from "../../helpers/project.js";

const root = mkdtempSync(join(tmpdir(), "doodba-ops-service-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// "now" is real (the prune lock compares it with the objects' mtimes), a day apart per snapshot
const DAY = 86_400_000;
const start = Date.now() - DAY;
let clock = new Date(start);
const nowFn = (): Date => (clock.getTime() === start ? clock : new Date());
const platform: Platform = { ...nodePlatform(), environ: { PATH: process.env.PATH }, now: nowFn, stdout: () => {}, stderr: () => {} };
const repo = join(root, "repo");
const keyFile = join(root, "age.key");

async function ctx(): Promise<BackupContext> {
  return { platform, repoUrl: repo, identities: identities(platform, { identityFile: keyFile }), progress: () => {}, log: () => {} };
}

describe("backup service on a local repository", () => {
  it("GIVEN no key file WHEN initRepository THEN an age key is created and the repository encrypts to it", async () => {
    const r = await initRepository(platform, { repoUrl: repo, recipients: [], identityFile: keyFile, encrypt: true });
    expect(r.encryption).toBe("age");
    expect(r.recipients).toHaveLength(1);
    expect(r.identityCreated).toBe(keyFile);
    expect(readFileSync(keyFile, "utf8")).toContain(`# public key: ${r.recipients[0]}`);
    await expect(initRepository(platform, { repoUrl: repo, recipients: [], identityFile: keyFile, encrypt: true })).rejects.toThrow(/already exists/);
  });

  it("WHEN the real Odoo zip and dump are imported THEN snapshots with row counts from the dumps, the filestore and Odoo's manifest", async () => {
    const c = await ctx();
    const zip = await importBackup(c, { file: join(ODOO17, "backup-mail.zip"), tags: { source: "odoo" } });
    expect(zip.database?.format).toBe("plain");
    expect(zip.database?.name).toBe("acme");
    expect(zip.database?.rowCounts["public.res_partner"]).toBeGreaterThanOrEqual(25);
    expect(zip.odoo?.version).toBe("17.0-20240709");
    expect(zip.filestore?.files.some((f) => f.path === "89/89985aa3f96deae93552576ec67d15f1be0ca58b")).toBe(true);
    clock = new Date();
    const dump = await importBackup(c, { file: join(ODOO17, "backup-mail.dump"), as: "acme", tags: {} });
    expect(dump.database?.format).toBe("custom");
    // the same database: the same row counts, whichever format Odoo wrote
    expect(dump.database?.rowCounts).toEqual(zip.database?.rowCounts);
  });

  it("WHEN listed and shown THEN oldest first, with sizes; a prefix finds a snapshot", async () => {
    const c = await ctx();
    const list = await listBackups(c);
    expect(list).toHaveLength(2);
    expect(list[0]?.createdAt).toBe(new Date(start).toISOString());
    expect(Date.parse(list[1]?.createdAt ?? "") - start).toBeGreaterThanOrEqual(DAY);
    const row = summarize(list[0] as never);
    expect(row.database).toBe("acme");
    expect(row.files).toBe(30);
    const shown = await showBackup(c, (list[1]?.id ?? "").slice(0, 6));
    expect(shown.id).toBe(list[1]?.id);
  });

  it("WHEN the zip snapshot is exported THEN Odoo's layout again, with the same dump.sql and files", async () => {
    const c = await ctx();
    const [first] = await listBackups(c);
    const out = join(root, "export.zip");
    await exportBackup(c, { id: first?.id ?? "", format: "odoo-zip", output: out });
    const names = execFileSync("unzip", ["-Z1", out], { encoding: "utf8" }).trim().split("\n");
    expect(names[0]).toBe("dump.sql");
    const orig = execFileSync("unzip", ["-Z1", join(ODOO17, "backup-mail.zip")], { encoding: "utf8" }).trim().split("\n");
    expect([...names].sort()).toEqual([...orig].sort());
    const sql = (z: string): Buffer => execFileSync("unzip", ["-p", z, "dump.sql"], { maxBuffer: 1 << 28 });
    expect(sql(out).equals(sql(join(ODOO17, "backup-mail.zip")))).toBe(true);
    const manifest = JSON.parse(execFileSync("unzip", ["-p", out, "manifest.json"], { encoding: "utf8" }));
    expect(manifest).toEqual(JSON.parse(readFileSync(join(ODOO17, "manifest.json"), "utf8")));
    await expect(exportBackup(c, { id: first?.id ?? "", format: "dump", output: join(root, "x.dump") })).rejects.toThrow(/plain dump/);
  });

  it("WHEN verified with --read-data THEN OK and no problem lines", async () => {
    const r = await verifyRepository(await ctx(), { readData: true });
    expect(r.ok).toBe(true);
    expect(problemLines(r.report)).toEqual([]);
  });

  it("WHEN pruned keeping the last one THEN the older snapshot goes, objects only it used go too", async () => {
    const c = await ctx();
    const plan = await planPrune(c, { keepLast: 1 });
    expect(plan.remove).toHaveLength(1);
    const r = await applyPrune(c, plan);
    expect(r.deletedObjects).toBeGreaterThan(0);
    expect(await listBackups(c)).toHaveLength(1);
    expect((await verifyRepository(c, { readData: true })).ok).toBe(true);
  });
});

describe("CLI helpers", () => {
  const p = (environ: Record<string, string>): Platform => ({ ...platform, environ });
  it("GIVEN neither --repo nor DOODBA_OPS_REPO THEN a UserError naming both", () => {
    expect(() => repoUrl(p({}), {})).toThrow(UserError);
    expect(repoUrl(p({ DOODBA_OPS_REPO: "/srv/b" }), {})).toBe("/srv/b");
    expect(repoUrl(p({ DOODBA_OPS_REPO: "/srv/b" }), { repo: "/x" })).toBe("/x");
  });
  it("GIVEN identities from a file or the environment THEN the keys; junk is refused without echoing it", () => {
    const k = readFileSync(keyFile, "utf8");
    expect(identities(p({ DOODBA_OPS_AGE_IDENTITY: k }), {})).toHaveLength(1);
    expect(identities(p({}), {})).toEqual([]);
    const junk = join(root, "junk.key");
    writeFileSync(junk, "not-a-key-s3cret\n");
    try {
      identities(p({}), { identityFile: junk });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      expect((e as Error).message).not.toContain("s3cret");
    }
  });
  it("GIVEN no terminal THEN one line per phase start, a throttled line, and the totals at the end", () => {
    const lines: string[] = [];
    let t = 0;
    const r = progressRenderer({ ...platform, isTTY: false, stderr: (s) => lines.push(s), now: () => new Date(t) });
    r.sink({ phase: "dump", doneBytes: 0 });
    r.sink({ phase: "filestore", doneItems: 1, totalItems: 10, doneBytes: 1024, totalBytes: 10240 });
    t = 1000;
    r.sink({ phase: "filestore", doneItems: 2, totalItems: 10, doneBytes: 2048, totalBytes: 10240 });
    t = 20_000;
    r.sink({ phase: "dump", doneBytes: 10 << 20 });
    r.end();
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe("dump, 0 B\n");
    expect(lines[1]).toBe("filestore, 1/10 objects, 1.0 KiB of 10.0 KiB\n");
    expect(lines[2]).toContain("dump, 10.0 MiB, 512 KiB/s  |  filestore, 2/10 objects");
  });
});
