/**
 * `doodba-ops backup` end to end, as a user runs it: the built CLI (bin/doodba-ops.js) in child
 * processes against a real PostgreSQL (test/harness/postgres.ts) loaded with the real Odoo 17
 * database (../shared/fixtures/odoo17/backup-mail.dump), its real filestore (from backup-mail.zip)
 * on the file system, and the real `age` binary. No test double.
 *
 * One story, in order: init (age identity created) -> create -> list/show -> a change (one new
 * attachment, rows updated) -> second create reads only the change -> restore --as a new database
 * with the filestore in a temp data_dir: row counts and checksums of key tables equal, every
 * filestore file's hash equal -> refusals (existing database without --force, --force without a
 * confirmation: exit 2, nothing touched) -> verify, --read-data, --restore-test -> prune --dry-run,
 * --yes -> export odoo-zip -> import of that zip and of the real Odoo backups -> wrong identity ->
 * a killed backup leaves a valid repository -> a corrupted object is named by verify. Then the
 * same CLI on an s3:// repository served by s3rver, the stand-in for S3 (which cannot run here).
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { havePostgres, startPostgres, type PgCluster } from "../harness/postgres.js";
import { cliRunner, fileHashes, rowCounts as countRows, tableChecksum, type Run } from "../helpers/backup.js";
import { ODOO17, REPO_ROOT } from "../helpers/project.js";
import type { ObjectRef } from "../../src/backup/types.js";

const BIN = join(REPO_ROOT, "bin", "doodba-ops.js");
const PASSWORD = "Sup3r-s3cret-pw";
const HAVE = havePostgres() && spawnSync("age", ["--version"]).status === 0 && spawnSync("unzip", ["-v"]).status === 0;

let pg: PgCluster;
let root = "";
let repo = "";
let key = "";
let dataDir = "";
let env: Record<string, string> = {};

const { cli, ok } = cliRunner(BIN, () => env, [PASSWORD]);

const dbUrl = (db: string): string => `postgres://postgres:${PASSWORD}@127.0.0.1:${pg.port}/${db}`;
const rowCounts = (db: string): Record<string, number> => countRows((d, sql) => pg.psql(d, sql), db);
const checksum = (db: string, table: string): string => tableChecksum((d, sql) => pg.psql(d, sql), db, table);



function databases(): string[] {
  return pg.psql("postgres", "SELECT datname FROM pg_database ORDER BY 1").trim().split("\n");
}

beforeAll(async () => {
  if (!HAVE) return;
  if (!existsSync(join(REPO_ROOT, "dist", "cli", "commands", "backup.js"))) execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "ignore" });
  pg = await startPostgres();
  root = mkdtempSync(join(tmpdir(), "doodba-ops-backup-cli-"));
  repo = join(root, "repo");
  key = join(root, "keys", "age.key");
  dataDir = join(root, "odoo-data");
  pg.psql("postgres", "CREATE DATABASE acme ENCODING 'unicode' LC_COLLATE 'C' TEMPLATE template0;");
  execFileSync(pg.bin("pg_restore"), ["--no-owner", "-d", "acme", join(ODOO17, "backup-mail.dump")], { env: pg.env("acme") });
  // the filestore of the same database, from the database manager's zip (as Odoo lays it out)
  execFileSync("unzip", ["-q", join(ODOO17, "backup-mail.zip"), "filestore/*", "-d", join(root, "zip")]);
  mkdirSync(join(dataDir, "filestore"), { recursive: true });
  renameSync(join(root, "zip", "filestore"), join(dataDir, "filestore", "acme"));
  env = { ...(process.env as Record<string, string>), NO_COLOR: "1", DOODBA_OPS_REPO: repo, DOODBA_OPS_AGE_IDENTITY_FILE: key };
  for (const k of ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"]) delete env[k];
}, 120_000);

afterAll(async () => {
  if (!HAVE) return;
  await pg.stop();
  rmSync(root, { recursive: true, force: true });
}, 60_000);

describe.skipIf(!HAVE)("doodba-ops backup, end to end on the real Odoo 17 database", { timeout: 180_000 }, () => {
  let first: { id: string; files: number; dumpBytes: number } = { id: "", files: 0, dumpBytes: 0 };
  let second = "";

  it("GIVEN no repository WHEN backup init --age-identity-file THEN the repository and a 0600 key are created", () => {
    const r = ok(["backup", "init", "--age-identity-file", key]);
    expect(r.stdout).toContain("Encryption: age, to age1");
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(existsSync(join(repo, "config.json"))).toBe(true);
    // a second init refuses: the repository exists
    expect(cli(["backup", "init", "--age-identity-file", key]).code).toBe(2);
  });

  it("WHEN backup create --db <url with password> --filestore <data_dir> THEN a snapshot of the database and all its files", () => {
    const r = ok(["backup", "create", "--db", dbUrl("acme"), "--filestore", dataDir, "--tag", "env=prod", "--format", "json"]);
    const snap = JSON.parse(r.stdout).snapshot;
    const files = Object.keys(fileHashes(join(dataDir, "filestore", "acme")));
    expect(snap.database.name).toBe("acme");
    expect(snap.database.format).toBe("custom");
    expect(snap.database.serverVersion).toMatch(/^1\d\./);
    expect(snap.database.rowCounts["public.res_partner"]).toBe(rowCounts("acme")["public.res_partner"]);
    expect(snap.filestore.files).toHaveLength(files.length);
    expect(snap.odoo.majorVersion).toBe("17.0");
    expect(snap.odoo.modules.mail).toMatch(/^17\.0\./);
    expect(snap.tags.env).toBe("prod");
    // progress on stderr names the phases; the URL is shown masked
    expect(r.stderr).toContain("postgres://postgres:***@127.0.0.1");
    first = { id: snap.id, files: files.length, dumpBytes: snap.database.files[0].object.size };
  });

  it("THEN age (the real binary) decrypts an object of the repository", () => {
    const m = JSON.parse(ok(["backup", "show", first.id, "--files", "--format", "json"]).stdout);
    const f = m.filestore.files.find((x: { size: number }) => x.size > 1000);
    const obj = join(repo, "objects", f.object.hash.slice(0, 2), f.object.hash);
    let plain = execFileSync("age", ["-d", "-i", key, obj]);
    if (plain.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) plain = execFileSync("zstd", ["-d", "-c"], { input: plain });
    expect(createHash("sha256").update(plain).digest("hex")).toBe(f.object.hash);
    expect(plain.equals(readFileSync(join(dataDir, "filestore", "acme", f.path)))).toBe(true);
  });

  it("WHEN backup list / show THEN the snapshot with its sizes, Odoo version and tags", () => {
    const list = ok(["backup", "list"]);
    expect(list.stdout).toMatch(new RegExp(`^${first.id.slice(0, 8)}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+acme\\s`, "m"));
    const json = JSON.parse(ok(["backup", "list", "--format", "json"]).stdout);
    expect(json).toHaveLength(1);
    const show = ok(["backup", "show", first.id.slice(0, 6)]);
    expect(show.stdout).toContain(`snapshot   ${first.id}`);
    expect(show.stdout).toMatch(/odoo {7}17\.0, 23 modules installed/);
  });

  it("GIVEN one new 64 KiB attachment and changed rows WHEN backup create again THEN only the change is read from the filestore", () => {
    const content = Buffer.alloc(65536, 7);
    const sha1 = createHash("sha1").update(content).digest("hex");
    mkdirSync(join(dataDir, "filestore", "acme", sha1.slice(0, 2)), { recursive: true });
    writeFileSync(join(dataDir, "filestore", "acme", sha1.slice(0, 2), sha1), content);
    pg.psql("acme", `UPDATE res_partner SET comment = 'changed after the first backup' WHERE id IN (SELECT id FROM res_partner ORDER BY id LIMIT 5);
      INSERT INTO ir_attachment (name, type, store_fname, checksum, file_size, mimetype, res_model) VALUES ('new.bin', 'binary', '${sha1.slice(0, 2)}/${sha1}', '${sha1}', 65536, 'application/octet-stream', 'res.partner');`);
    const r = ok(["backup", "create", "--db", dbUrl("acme"), "--filestore", join(dataDir, "filestore", "acme"), "--format", "json"]);
    const snap = JSON.parse(r.stdout).snapshot;
    second = snap.id;
    expect(snap.filestore.files).toHaveLength(first.files + 1);
    expect(snap.stats.unchangedFiles).toBe(first.files);
    // bytes read = the dump + the one new file, nothing else of the filestore
    expect(snap.stats.bytesRead - snap.database.files[0].object.size).toBe(65536);
    expect(snap.database.rowCounts["public.ir_attachment"]).toBe(rowCounts("acme")["public.ir_attachment"]);
  });

  it("WHEN backup restore --as a new database with --data-dir THEN row counts, key tables and every filestore file are equal", () => {
    const r = ok(["backup", "restore", second, "--db", dbUrl("postgres"), "--as", "acme_restored", "--data-dir", dataDir]);
    expect(r.stdout).toContain(`Restored ${second} into database acme_restored and ${first.files + 1} filestore files`);
    expect(rowCounts("acme_restored")).toEqual(rowCounts("acme"));
    for (const t of ["res_partner", "mail_message", "ir_attachment", "ir_module_module", "res_users"]) expect(checksum("acme_restored", t), t).toBe(checksum("acme", t));
    expect(fileHashes(join(dataDir, "filestore", "acme_restored"))).toEqual(fileHashes(join(dataDir, "filestore", "acme")));
    // Odoo's restore steps: unicode, template0 (C collation), pg_trgm
    expect(pg.psql("postgres", "SELECT pg_encoding_to_char(encoding), datcollate FROM pg_database WHERE datname = 'acme_restored'").trim()).toBe("UTF8|C");
    expect(pg.psql("acme_restored", "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'").trim()).toBe("1");
  });

  it("WHEN restore --jobs 2 (the schema restored from a stream of its own while the dump is spooled, then data and post-data from the spool with 2 jobs) THEN rows, key tables, indexes, constraints and files are equal, and no spool is left", () => {
    const tmp = mkdtempSync(join(root, "tmp-"));
    const saved = env;
    env = { ...env, TMPDIR: tmp };
    try {
      const r = ok(["backup", "restore", second, "--db", dbUrl("postgres"), "--as", "acme_jobs", "--data-dir", dataDir, "--jobs", "2", "--format", "json"]);
      expect(JSON.parse(r.stdout).phases.spool).toBeGreaterThan(0);
    } finally {
      env = saved;
    }
    expect(readdirSync(tmp)).toEqual([]);
    expect(rowCounts("acme_jobs")).toEqual(rowCounts("acme"));
    for (const t of ["res_partner", "mail_message", "ir_attachment", "res_users"]) expect(checksum("acme_jobs", t), t).toBe(checksum("acme", t));
    const schema = "SELECT (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public') || '|' || (SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public') || '|' || (SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal)";
    expect(pg.psql("acme_jobs", schema).trim()).toBe(pg.psql("acme", schema).trim());
    expect(fileHashes(join(dataDir, "filestore", "acme_jobs"))).toEqual(fileHashes(join(dataDir, "filestore", "acme")));
  });

  it("GIVEN TMPDIR on a full 1 MiB tmpfs WHEN restore --jobs 2 THEN a warning, the partial spool removed, the data streamed (one job) and the same rows and indexes", (tctx) => {
    const mnt = mkdtempSync(join(root, "tmpfs-"));
    const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt], { encoding: "utf8" });
    if (m.status !== 0) {
      tctx.skip(`cannot mount a tmpfs here (${(m.stderr || "not root").trim()}): full-temp-dir test skipped`);
      return;
    }
    const saved = env;
    env = { ...env, TMPDIR: mnt };
    try {
      const r = ok(["backup", "restore", second, "--db", dbUrl("postgres"), "--as", "acme_nospool", "--no-filestore", "--jobs", "2"]);
      expect(r.stderr).toMatch(/warning: no room to spool the \d+ MiB dump in the temp dir \(ENOSPC\); streaming it to pg_restore instead/);
      expect(readdirSync(mnt)).toEqual([]);
    } finally {
      env = saved;
      spawnSync("umount", [mnt]);
    }
    expect(rowCounts("acme_nospool")).toEqual(rowCounts("acme"));
    const schema = "SELECT (SELECT count(*) FROM pg_indexes WHERE schemaname = 'public') || '|' || (SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public')";
    expect(pg.psql("acme_nospool", schema).trim()).toBe(pg.psql("acme", schema).trim());
  });

  it("GIVEN the database exists WHEN restore without --force, or --force without confirmation THEN exit 2 and nothing is touched", () => {
    const before = { dbs: databases(), counts: rowCounts("acme_restored"), files: fileHashes(join(dataDir, "filestore", "acme_restored")) };
    const noForce = cli(["backup", "restore", first.id, "--db", dbUrl("postgres"), "--as", "acme_restored", "--data-dir", dataDir]);
    expect(noForce.code).toBe(2);
    expect(noForce.stderr).toContain("Database acme_restored already exists");
    expect(noForce.stderr).toContain("nothing was changed");
    const noConfirm = cli(["backup", "restore", first.id, "--db", dbUrl("postgres"), "--as", "acme_restored", "--data-dir", dataDir, "--force"]);
    expect(noConfirm.code).toBe(2);
    expect(noConfirm.stderr).toContain("--yes or --confirm acme_restored");
    const wrong = cli(["backup", "restore", first.id, "--db", dbUrl("postgres"), "--as", "acme_restored", "--data-dir", dataDir, "--force", "--confirm", "acme"]);
    expect(wrong.code).toBe(2);
    expect({ dbs: databases(), counts: rowCounts("acme_restored"), files: fileHashes(join(dataDir, "filestore", "acme_restored")) }).toEqual(before);
  });

  it("WHEN restore --force --confirm <name> --copy --neutralize THEN the database is replaced by the first snapshot, copied and neutralised", () => {
    const uuid = pg.psql("acme", "SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'").trim();
    const r = ok(["backup", "restore", first.id, "--db", dbUrl("postgres"), "--as", "acme_restored", "--data-dir", dataDir, "--force", "--confirm", "acme_restored", "--copy", "--neutralize"]);
    expect(r.stdout).toContain("neutralised:");
    expect(Object.keys(fileHashes(join(dataDir, "filestore", "acme_restored")))).toHaveLength(first.files);
    expect(pg.psql("acme_restored", "SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'").trim()).not.toBe(uuid);
    expect(pg.psql("acme_restored", "SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'").trim()).toBe("true");
    expect(pg.psql("acme_restored", "SELECT count(*) FROM ir_cron c JOIN ir_model_data d ON d.model = 'ir.cron' AND d.res_id = c.id WHERE c.active AND d.name <> 'autovacuum_job'").trim()).toBe("0");
  });

  it("WHEN verify, --read-data, --restore-test THEN OK, and the scratch database is gone afterwards", () => {
    expect(ok(["backup", "verify"]).stdout).toMatch(/Checked 2 snapshots and \d+ objects \(existence and size\)\.\nOK/);
    expect(ok(["backup", "verify", "--read-data"]).stdout).toMatch(/read and re-hashed/);
    const dbs = databases();
    const t = ok(["backup", "verify", "--restore-test", "--db", dbUrl("postgres")]);
    expect(t.stdout).toMatch(/Restore test of [0-9a-f]{8}: \d{3} tables compared, 0 mismatches\./);
    expect(databases()).toEqual(dbs);
  });

  it("WHEN prune --keep-last 1 --dry-run / without --yes / --yes THEN plan only, refusal, then removal", () => {
    const dry = ok(["backup", "prune", "--keep-last", "1", "--dry-run"]);
    expect(dry.stdout).toContain(`remove  ${first.id.slice(0, 8)}`);
    expect(dry.stdout).toContain("dry run: nothing removed");
    expect(cli(["backup", "prune", "--keep-last", "1"]).code).toBe(2);
    expect(JSON.parse(ok(["backup", "list", "--format", "json"]).stdout)).toHaveLength(2);
    const r = ok(["backup", "prune", "--keep-last", "1", "--yes"]);
    expect(r.stdout).toMatch(/Removed 1 snapshot and \d+ objects/);
    const left = JSON.parse(ok(["backup", "list", "--format", "json"]).stdout);
    expect(left.map((s: { id: string }) => s.id)).toEqual([second]);
    expect(ok(["backup", "verify", "--read-data"]).stdout).toMatch(/OK\n$/);
  });

  it("WHEN export --format odoo-zip THEN Odoo's layout: dump.sql first, filestore/, manifest.json with Odoo's fields; import of it restores the same data", () => {
    const zip = join(root, "acme.zip");
    ok(["backup", "export", second, "--format", "odoo-zip", "-o", zip]);
    const names = execFileSync("unzip", ["-Z1", zip], { encoding: "utf8" }).trim().split("\n");
    expect(names[0]).toBe("dump.sql");
    expect(names).toContain("manifest.json");
    expect(names.filter((n) => n.startsWith("filestore/"))).toHaveLength(first.files + 1);
    const manifest = JSON.parse(execFileSync("unzip", ["-p", zip, "manifest.json"], { encoding: "utf8" }));
    const real = JSON.parse(readFileSync(join(ODOO17, "manifest.json"), "utf8"));
    expect(Object.keys(manifest).sort()).toEqual(Object.keys(real).sort());
    expect(manifest.db_name).toBe("acme");
    expect(manifest.modules).toEqual(real.modules);
    // refuses to overwrite
    expect(cli(["backup", "export", second, "-o", zip]).code).toBe(2);

    const imp = JSON.parse(ok(["backup", "import", zip, "--as", "acme_zip", "--format", "json"]).stdout);
    expect(imp.database.format).toBe("plain");
    expect(imp.database.rowCounts["public.res_partner"]).toBe(rowCounts("acme")["public.res_partner"]);
    ok(["backup", "restore", imp.id, "--db", dbUrl("postgres"), "--data-dir", dataDir]);
    expect(rowCounts("acme_zip")).toEqual(rowCounts("acme"));
    expect(checksum("acme_zip", "res_partner")).toBe(checksum("acme", "res_partner"));
    expect(fileHashes(join(dataDir, "filestore", "acme_zip"))).toEqual(fileHashes(join(dataDir, "filestore", "acme")));
  });

  it("WHEN import of the real Odoo database-manager backups (zip and dump) THEN snapshots that restore", () => {
    const z = JSON.parse(ok(["backup", "import", join(ODOO17, "backup-mail.zip"), "--format", "json"]).stdout);
    expect(z.database.name).toBe("acme");
    expect(z.odoo.version).toBe("17.0-20240709");
    const d = JSON.parse(ok(["backup", "import", join(ODOO17, "backup-mail.dump"), "--as", "acme_dump", "--format", "json"]).stdout);
    expect(d.database.format).toBe("custom");
    ok(["backup", "restore", d.id, "--db", dbUrl("postgres"), "--no-filestore"]);
    expect(pg.psql("acme_dump", "SELECT count(*) FROM res_partner WHERE name LIKE '% Trading Ltd'").trim()).toBe("25");
  });

  it("GIVEN another age identity WHEN list THEN exit 2: the key does not decrypt this repository", () => {
    const other = join(root, "keys", "other.key");
    execFileSync("age-keygen", ["-o", other], { stdio: "ignore" });
    const r = cli(["backup", "list"], { DOODBA_OPS_AGE_IDENTITY_FILE: other });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not decrypt this repository/);
    const none = cli(["backup", "list"], { DOODBA_OPS_AGE_IDENTITY_FILE: "" });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("no age identity was given");
  });

  it("GIVEN a backup killed mid-way WHEN verify and create again THEN the repository is valid and the next backup succeeds", async () => {
    const before = JSON.parse(ok(["backup", "list", "--format", "json"]).stdout).length;
    // a bigger filestore (random bytes: nothing deduplicates) so that the backup is still running when it is killed
    const big = join(root, "big-filestore");
    for (let i = 0; i < 60; i++) {
      mkdirSync(join(big, String(i).padStart(2, "0")), { recursive: true });
      writeFileSync(join(big, String(i).padStart(2, "0"), `file-${i}`), randomBytes(4 << 20));
    }
    const child = spawn(process.execPath, [BIN, "backup", "create", "--db", dbUrl("acme"), "--filestore", big], { env, stdio: ["ignore", "ignore", "pipe"] });
    const closed = new Promise((r) => child.on("close", r));
    // killed as soon as it reports reading the filestore: objects are being written, no snapshot yet
    await new Promise<void>((resolve) => {
      let err = "";
      child.stderr?.on("data", (c: Buffer) => {
        err += c.toString();
        if (/filestore, \d+\/\d+ objects/.test(err)) resolve();
      });
      child.on("close", () => resolve());
    });
    child.kill("SIGKILL");
    await closed;
    expect(child.signalCode).toBe("SIGKILL");
    expect(existsSync(join(repo, "locks", "exclusive.json"))).toBe(true);
    expect(JSON.parse(ok(["backup", "list", "--format", "json"]).stdout)).toHaveLength(before);
    expect(ok(["backup", "verify"]).stdout).toMatch(/OK\n$/);
    const again = ok(["backup", "create", "--db", dbUrl("acme"), "--filestore", big]);
    expect(again.stdout).toMatch(/Snapshot [0-9a-f]+ created/);
    expect(JSON.parse(ok(["backup", "list", "--format", "json"]).stdout)).toHaveLength(before + 1);
  });

  it("GIVEN a damaged dump object WHEN restore --jobs 2 (the dump is spooled first) THEN it fails before anything is swapped in: no database, no temp database, no filestore, no staging folder", () => {
    const m = JSON.parse(ok(["backup", "show", second, "--files", "--format", "json"]).stdout);
    const ref = m.database.files[0].object as ObjectRef;
    const hash = ref.chunks?.[0]?.hash ?? ref.hash;
    const obj = join(repo, "objects", hash.slice(0, 2), hash);
    const saved = readFileSync(obj);
    chmodSync(obj, 0o644);
    try {
      const b = Buffer.from(saved);
      b[b.length - 20] = (b[b.length - 20] ?? 0) ^ 0xff;
      writeFileSync(obj, b);
      const r = cli(["backup", "restore", second, "--db", dbUrl("postgres"), "--as", "acme_broken", "--data-dir", dataDir, "--jobs", "2"]);
      expect(r.code).toBe(2);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(r.stderr).toContain(hash);
      expect(databases().filter((d) => d.startsWith("acme_broken"))).toEqual([]);
      expect(readdirSync(join(dataDir, "filestore")).filter((n) => n.includes("acme_broken"))).toEqual([]);
      // the same damage at the very first chunk of an export: no output and no temp file beside it
      const outDir = mkdtempSync(join(root, "export-broken-"));
      for (const format of ["dump", "odoo-zip"]) {
        const e = cli(["backup", "export", second, "--format", format, "--output", join(outDir, `broken.${format}`)]);
        expect(e.code, format).toBe(2);
        expect(e.stderr).toContain(`doodba-ops: error: object objects/${hash.slice(0, 2)}/${hash} is corrupt`);
        expect(e.stderr).toContain("backup verify --read-data");
        expect(e.stderr).not.toMatch(/internal error|\n\s+at /);
        expect(readdirSync(outDir), format).toEqual([]);
      }
    } finally {
      writeFileSync(obj, saved);
    }
  });

  it("GIVEN one corrupted object WHEN verify --read-data THEN exit 1 naming the object and what it holds", () => {
    const m = JSON.parse(ok(["backup", "show", second, "--files", "--format", "json"]).stdout);
    const f = m.filestore.files[0];
    const obj = join(repo, "objects", f.object.hash.slice(0, 2), f.object.hash);
    chmodSync(obj, 0o644);
    const b = readFileSync(obj);
    b[b.length - 20] = (b[b.length - 20] ?? 0) ^ 0xff;
    writeFileSync(obj, b);
    const r = cli(["backup", "verify", "--read-data"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`PROBLEM objects/${f.object.hash.slice(0, 2)}/${f.object.hash}`);
    expect(r.stdout).toContain(f.path);
    expect(r.stdout).toMatch(/FAILED\n$/);
  });
});

describe.skipIf(!HAVE)("doodba-ops backup on an s3:// repository (s3rver on 127.0.0.1, the stand-in for S3)", { timeout: 120_000 }, () => {
  let server: ChildProcess | undefined;
  let url = "";
  const creds = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };
  beforeAll(async () => {
    const dir = join(root, "s3rver");
    mkdirSync(dir, { recursive: true });
    server = spawn(process.execPath, ["--openssl-legacy-provider", join(REPO_ROOT, "test", "fixtures", "backup-repo", "s3rver.mjs"), dir, "backups"], { stdio: ["pipe", "pipe", "inherit"] });
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      server?.stdout?.on("data", (c: Buffer) => {
        out += c.toString();
        const m = /\{"port":(\d+)\}/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      server?.on("exit", (code) => reject(new Error(`s3rver exited (${code})`)));
    });
    url = `s3://backups/acme/prod?endpoint=http://127.0.0.1:${port}&region=us-east-1`;
  });
  afterAll(() => {
    server?.stdin?.end();
    server?.kill("SIGTERM");
  });

  it("WHEN init, create and restore go through S3 THEN the restored filestore and rows are equal, no credential printed", () => {
    const e = { ...creds, DOODBA_OPS_REPO: url };
    const all: string[] = [];
    const run = (args: string[]): Run => {
      const r = ok(args, e);
      all.push(r.stdout, r.stderr);
      return r;
    };
    run(["backup", "init", "--age-identity-file", key]);
    const snap = JSON.parse(run(["backup", "create", "--db", dbUrl("acme"), "--filestore", dataDir, "--format", "json"]).stdout).snapshot;
    run(["backup", "restore", snap.id, "--db", dbUrl("postgres"), "--as", "acme_s3", "--data-dir", dataDir]);
    expect(rowCounts("acme_s3")).toEqual(rowCounts("acme"));
    expect(fileHashes(join(dataDir, "filestore", "acme_s3"))).toEqual(fileHashes(join(dataDir, "filestore", "acme")));
    expect(run(["backup", "verify", "--read-data"]).stdout).toMatch(/OK\n$/);
    expect(all.join("")).not.toContain("S3RVER");
  });
});
