/**
 * Directory-format dumps (pg_dump -j, one repository object per file of the dump), restore with
 * `--unaccent`, and `backup import` of plain SQL: the backup service and the built CLI against a
 * real PostgreSQL (test/harness/postgres.ts) loaded with the real Odoo 17 database
 * (../shared/fixtures/odoo17/backup-mail.dump) and its real filestore (from backup-mail.zip).
 * Every child process gets a private TMPDIR, so the tests can check that no temp dir is left.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { nodePlatform, type Platform } from "../../src/platform/index.js";
import { applyRestore, chooseDumpFormat, createBackup, exportBackup, initRepository, planRestore, showBackup, verifyRepository, type BackupContext } from "../../src/backup/service.js";
import { parseDbUrl } from "../../src/backup/sources.js";
import { identities } from "../../src/cli/commands/backup.js";
import { havePostgres, startPostgres, type PgCluster } from "../harness/postgres.js";
import { cliRunner, fileHashes, rowCounts as countRows, tableChecksum, type Run } from "../helpers/backup.js";
import { ODOO17, REPO_ROOT } from "../helpers/project.js";

const BIN = join(REPO_ROOT, "bin", "doodba-ops.js");
const PASSWORD = "Dir-dump-s3cret";
const HAVE = havePostgres() && spawnSync("age", ["--version"]).status === 0 && spawnSync("unzip", ["-v"]).status === 0;

let pg: PgCluster;
let root = "";
let repo = "";
let key = "";
let dataDir = "";
let tmp = "";
let platform: Platform;
let env: Record<string, string> = {};

const dbUrl = (db: string): string => `postgres://postgres:${PASSWORD}@127.0.0.1:${pg.port}/${db}`;

const rowCounts = (db: string): Record<string, number> => countRows((d, sql) => pg.psql(d, sql), db);
const checksum = (db: string, table: string): string => tableChecksum((d, sql) => pg.psql(d, sql), db, table);

const { cli, ok } = cliRunner(BIN, () => env, [PASSWORD]);

function ctx(): BackupContext {
  return { platform, repoUrl: repo, identities: identities(platform, { identityFile: key }), progress: () => {}, log: () => {} };
}

/** What the code under test left in the private temp dir (pg_dump dirs, fetched dumps, spools). */
const leftovers = (): string[] => readdirSync(tmp);

beforeAll(async () => {
  if (!HAVE) return;
  if (!existsSync(join(REPO_ROOT, "dist", "cli", "commands", "backup.js"))) execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: "ignore" });
  pg = await startPostgres();
  root = mkdtempSync(join(tmpdir(), "doodba-ops-backup-dir-"));
  repo = join(root, "repo");
  key = join(root, "age.key");
  dataDir = join(root, "odoo-data");
  tmp = join(root, "tmp");
  mkdirSync(tmp);
  pg.psql("postgres", "CREATE DATABASE acme ENCODING 'unicode' LC_COLLATE 'C' TEMPLATE template0;");
  execFileSync(pg.bin("pg_restore"), ["--no-owner", "-d", "acme", join(ODOO17, "backup-mail.dump")], { env: pg.env("acme") });
  execFileSync("unzip", ["-q", join(ODOO17, "backup-mail.zip"), "filestore/*", "-d", join(root, "zip")]);
  mkdirSync(join(dataDir, "filestore"), { recursive: true });
  renameSync(join(root, "zip", "filestore"), join(dataDir, "filestore", "acme"));
  env = { ...(process.env as Record<string, string>), NO_COLOR: "1", DOODBA_OPS_REPO: repo, DOODBA_OPS_AGE_IDENTITY_FILE: key, TMPDIR: tmp };
  for (const k of ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"]) delete env[k];
  const environ: Record<string, string | undefined> = { PATH: process.env.PATH, TMPDIR: tmp };
  platform = { ...nodePlatform(), environ, stdout: () => {}, stderr: () => {} };
  await initRepository(platform, { repoUrl: repo, recipients: [], identityFile: key, encrypt: true });
}, 180_000);

afterAll(async () => {
  if (!HAVE) return;
  await pg.stop();
  rmSync(root, { recursive: true, force: true });
}, 60_000);

describe("chooseDumpFormat", () => {
  it("GIVEN few CPUs or a small database THEN custom; GIVEN 4+ CPUs and 1 GiB+ THEN directory", () => {
    expect(chooseDumpFormat({ cpus: 2, dbBytes: 50 << 30 })).toBe("custom");
    expect(chooseDumpFormat({ cpus: 8, dbBytes: 100 << 20 })).toBe("custom");
    expect(chooseDumpFormat({ cpus: 8 })).toBe("custom");
    expect(chooseDumpFormat({ cpus: 4, dbBytes: 1 << 30 })).toBe("directory");
  });
});

describe.skipIf(!HAVE)("directory-format dumps on the real Odoo 17 database", { timeout: 180_000 }, () => {
  let snapId = "";

  it("WHEN createBackup with dumpFormat directory THEN each file of the pg_dump directory is its own object, sorted, with the exact row counts, and the temp dir is gone", async () => {
    const prevTmp = process.env.TMPDIR;
    process.env.TMPDIR = tmp; // os.tmpdir() of this process: where the dump directory goes
    try {
      const r = await createBackup(ctx(), { db: parseDbUrl(dbUrl("acme")), filestore: { path: join(dataDir, "filestore", "acme"), from: "--filestore" }, tags: {}, dumpFormat: "directory", jobs: 2 });
      const d = r.manifest.database;
      snapId = r.manifest.id;
      expect(d?.format).toBe("directory");
      const paths = d?.files.map((f) => f.path) ?? [];
      expect(paths).toContain("toc.dat");
      expect(paths.filter((p) => /^\d+\.dat\.gz$/.test(p)).length).toBeGreaterThan(50); // compressed by pg_dump (DUMP_COMPRESS_LEVEL)
      expect(paths).toEqual([...paths].sort());
      expect(d?.rowCounts).toEqual(rowCounts("acme"));
      expect(r.manifest.filestore?.files.length).toBe(Object.keys(fileHashes(join(dataDir, "filestore", "acme"))).length);
      expect(r.manifest.odoo?.majorVersion).toBe("17.0");
      expect(leftovers()).toEqual([]);
    } finally {
      if (prevTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = prevTmp;
    }
  });

  it("WHEN that snapshot is restored --as a new database THEN row counts, key tables and the filestore are equal, and the fetched dump is removed", async () => {
    const prevTmp = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const c = ctx();
      const manifest = showBackup(c, snapId);
      const server = parseDbUrl(dbUrl("acme_dir"));
      const plan = await planRestore(c, { manifest: await manifest, server, filestoreDir: join(dataDir, "filestore", "acme_dir") });
      const r = await applyRestore(c, plan, { force: false, jobs: 2 });
      expect(r.database).toBe("acme_dir");
      expect(rowCounts("acme_dir")).toEqual(rowCounts("acme"));
      for (const t of ["res_partner", "mail_message", "ir_attachment", "ir_module_module", "res_users"]) expect(checksum("acme_dir", t), t).toBe(checksum("acme", t));
      expect(fileHashes(join(dataDir, "filestore", "acme_dir"))).toEqual(fileHashes(join(dataDir, "filestore", "acme")));
      expect(leftovers()).toEqual([]);
    } finally {
      if (prevTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = prevTmp;
    }
  });

  it("WHEN verify --restore-test on the directory snapshot THEN every table compared, no mismatch", async () => {
    const r = await verifyRepository(ctx(), { readData: true, restoreTest: { server: parseDbUrl(dbUrl("postgres")), snapshot: snapId } });
    expect(r.problems).toEqual([]);
    expect(r.restoreTest?.tables).toBe(Object.keys(rowCounts("acme")).length);
    expect(r.restoreTest?.mismatches).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it("WHEN exported as odoo-zip THEN its dump.sql (from pg_restore -f - over the directory) loads into the same row counts", async () => {
    const out = join(root, "dir.zip");
    await exportBackup(ctx(), { id: snapId, format: "odoo-zip", output: out });
    const names = execFileSync("unzip", ["-Z1", out], { encoding: "utf8" }).trim().split("\n");
    expect(names.slice(0, 2)).toEqual(["dump.sql", "manifest.json"]);
    expect(names.filter((n) => n.startsWith("filestore/")).length).toBe(Object.keys(fileHashes(join(dataDir, "filestore", "acme"))).length);
    pg.psql("postgres", "CREATE DATABASE acme_zip ENCODING 'unicode' LC_COLLATE 'C' TEMPLATE template0;");
    pg.psql("acme_zip", execFileSync("unzip", ["-p", out, "dump.sql"], { encoding: "utf8", maxBuffer: 1 << 28 }));
    expect(rowCounts("acme_zip")).toEqual(rowCounts("acme"));
  });

  it("WHEN exported as dump THEN a pg_dump directory that pg_restore -Fd reads; an existing non-dump path is refused", async () => {
    const out = join(root, "acme.dir");
    const r = await exportBackup(ctx(), { id: snapId, format: "dump", output: out });
    expect(r.bytes).toBeGreaterThan(0);
    expect(statSync(join(out, "toc.dat")).isFile()).toBe(true);
    const list = execFileSync(pg.bin("pg_restore"), ["-l", "-Fd", out], { encoding: "utf8" });
    expect(list).toContain("TABLE DATA public res_partner");
    const file = join(root, "not-a-dump");
    writeFileSync(file, "keep me");
    await expect(exportBackup(ctx(), { id: snapId, format: "dump", output: file })).rejects.toThrow(/not a pg_dump directory dump/);
    expect(readFileSync(file, "utf8")).toBe("keep me");
  });

  it("WHEN the CLI runs create --dump-format directory --jobs 2 and restore --as THEN the same data, no temp dir left; --jobs with --dump-format custom is exit 2", () => {
    const created = JSON.parse(ok(["backup", "create", "--db", dbUrl("acme"), "--no-filestore", "--dump-format", "directory", "--jobs", "2", "--format", "json"]).stdout).snapshot;
    expect(created.database.format).toBe("directory");
    ok(["backup", "restore", created.id, "--db", dbUrl("postgres"), "--as", "acme_dir_cli", "--no-filestore"]);
    expect(rowCounts("acme_dir_cli")).toEqual(rowCounts("acme"));
    expect(ok(["backup", "show", created.id]).stdout).toMatch(/pg_dump directory, .* in \d+ objects/);
    expect(leftovers()).toEqual([]);
    const bad = cli(["backup", "create", "--db", dbUrl("acme"), "--no-filestore", "--dump-format", "custom", "--jobs", "2"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--jobs applies to --dump-format directory only");
  });
});

/** A Doodba project whose db service publishes the harness's port on loopback (how `create .`/`restore <id> .` reach it). */
function projectDir(odooEnv: string): string {
  const dir = join(root, `project-${Math.random().toString(16).slice(2, 8)}`);
  mkdirSync(join(dir, "odoo"), { recursive: true });
  mkdirSync(join(dir, ".docker"), { recursive: true });
  writeFileSync(join(dir, "odoo", "Dockerfile"), "FROM ghcr.io/tecnativa/doodba:17.0-onbuild\n");
  writeFileSync(join(dir, ".docker", "db-access.env"), `PGPASSWORD=${PASSWORD}\n`);
  writeFileSync(
    join(dir, "prod.yaml"),
    `services:
  odoo:
    build:
      context: ./odoo
    env_file: [.docker/db-access.env]
    environment:
      PGDATABASE: acme
      PGUSER: postgres${odooEnv}
    volumes:
      - filestore:/var/lib/odoo
  db:
    image: ghcr.io/tecnativa/postgres-autoconf:15-alpine
    environment:
      POSTGRES_USER: postgres
      POSTGRES_DB: acme
    ports: ["127.0.0.1:${pg.port}:5432"]
volumes:
  filestore:
  db:
`,
  );
  return dir;
}

const hasUnaccent = (db: string): string => pg.psql(db, "SELECT count(*) || '|' || coalesce(string_agg(p.provolatile::text, ''), '') FROM pg_extension e LEFT JOIN pg_proc p ON p.proname = 'unaccent' AND p.pronargs = 1 WHERE e.extname = 'unaccent'").trim();

describe.skipIf(!HAVE)("backup restore --unaccent", { timeout: 180_000 }, () => {
  let id = "";
  beforeAll(() => {
    id = JSON.parse(ok(["backup", "create", "--db", dbUrl("acme"), "--no-filestore", "--format", "json"]).stdout).snapshot.id;
  });

  it("GIVEN a doodba project (UNACCENT defaults to true) WHEN restore <id> <dir> THEN the restored database has the unaccent extension, IMMUTABLE as Odoo makes it", () => {
    const r = ok(["backup", "restore", id, projectDir(""), "--env", "prod", "--as", "acme_unacc", "--no-filestore"]);
    expect(r.stderr).toContain("with the unaccent extension");
    expect(hasUnaccent("acme_unacc")).toBe("1|i");
    expect(rowCounts("acme_unacc")).toEqual(rowCounts("acme"));
  });

  it("GIVEN UNACCENT=false in the project WHEN restore THEN no extension; --unaccent turns it on without a project, --no-unaccent off with one", () => {
    ok(["backup", "restore", id, projectDir(`\n      UNACCENT: "false"`), "--env", "prod", "--as", "acme_plain", "--no-filestore"]);
    expect(hasUnaccent("acme_plain")).toBe("0|");
    ok(["backup", "restore", id, "--db", dbUrl("postgres"), "--as", "acme_flag", "--no-filestore", "--unaccent"]);
    expect(hasUnaccent("acme_flag")).toBe("1|i");
    ok(["backup", "restore", id, "--db", dbUrl("postgres"), "--as", "acme_noflag", "--no-filestore"]);
    expect(hasUnaccent("acme_noflag")).toBe("0|");
    ok(["backup", "restore", id, projectDir(""), "--env", "prod", "--as", "acme_off", "--no-filestore", "--no-unaccent"]);
    expect(hasUnaccent("acme_off")).toBe("0|");
    // the restore test takes the flag too (a dump with indexes on unaccent() needs it)
    expect(ok(["backup", "verify", "--restore-test", "--snapshot", id, "--db", dbUrl("postgres"), "--unaccent"]).stdout).toContain("0 mismatches");
  });
});

describe.skipIf(!HAVE)("backup import of a plain SQL dump", { timeout: 180_000 }, () => {
  let sqlFile = "";
  beforeAll(() => {
    // plain SQL as pg_restore -f - prints it from the real Odoo 17 backup-mail.dump
    sqlFile = join(root, "acme-plain.sql");
    execFileSync(pg.bin("pg_restore"), ["--no-owner", "-f", sqlFile, join(ODOO17, "backup-mail.dump")]);
    execFileSync("sh", ["-c", `gzip -c '${sqlFile}' > '${sqlFile}.gz'`]);
  });

  it("WHEN a .sql file is imported THEN a plain snapshot with the row counts of its COPY blocks, which restores into the same rows", () => {
    const m = JSON.parse(ok(["backup", "import", sqlFile, "--format", "json"]).stdout);
    expect(m.database.format).toBe("plain");
    expect(m.database.name).toBe("acme-plain");
    expect(m.database.rowCounts).toEqual(rowCounts("acme"));
    ok(["backup", "restore", m.id, "--db", dbUrl("postgres"), "--as", "acme_from_sql", "--no-filestore"]);
    expect(rowCounts("acme_from_sql")).toEqual(rowCounts("acme"));
    for (const t of ["res_partner", "mail_message", "ir_attachment"]) expect(checksum("acme_from_sql", t), t).toBe(checksum("acme", t));
  });

  it("WHEN a .sql.gz (and a .sql.zst when zstd is installed) is imported THEN the same content is stored: the very same object", () => {
    const plain = JSON.parse(ok(["backup", "import", sqlFile, "--as", "acme", "--format", "json"]).stdout);
    const gz = JSON.parse(ok(["backup", "import", `${sqlFile}.gz`, "--format", "json"]).stdout);
    expect(gz.database.name).toBe("acme-plain");
    expect(gz.database.files[0].object.hash).toBe(plain.database.files[0].object.hash);
    expect(gz.database.rowCounts).toEqual(plain.database.rowCounts);
    if (spawnSync("zstd", ["--version"]).status === 0) {
      execFileSync("zstd", ["-q", "-f", sqlFile, "-o", `${sqlFile}.zst`]);
      const zst = JSON.parse(ok(["backup", "import", `${sqlFile}.zst`, "--as", "acme_zst", "--format", "json"]).stdout);
      expect(zst.database.files[0].object.hash).toBe(plain.database.files[0].object.hash);
      ok(["backup", "restore", zst.id, "--db", dbUrl("postgres"), "--as", "acme_from_zst", "--no-filestore"]);
      expect(rowCounts("acme_from_zst")).toEqual(rowCounts("acme"));
    }
  });

  it("GIVEN a text file that is not SQL, or gzip of something else THEN exit 2 and no snapshot", () => {
    const before = JSON.parse(ok(["backup", "list", "--format", "json"]).stdout).length;
    const notes = join(root, "notes.txt");
    writeFileSync(notes, "hello, this is not a database dump\n");
    const r = cli(["backup", "import", notes]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("plain SQL dump");
    execFileSync("sh", ["-c", `gzip -c '${notes}' > '${notes}.gz'`]);
    const g = cli(["backup", "import", `${notes}.gz`]);
    expect(g.code, g.stderr).toBe(2);
    expect(g.stderr).toContain("does not look like a plain SQL dump");
    expect(JSON.parse(ok(["backup", "list", "--format", "json"]).stdout).length).toBe(before);
  });
});

describe.skipIf(!HAVE)("the backup: section of .doodba-ops.yaml", { timeout: 180_000 }, () => {
  /** The CLI run from `cwd`, with no DOODBA_OPS_* variable unless given. */
  function inDir(cwd: string, args: string[], extraEnv: Record<string, string> = {}): Run {
    const base = { ...env };
    delete base.DOODBA_OPS_REPO;
    delete base.DOODBA_OPS_AGE_IDENTITY_FILE;
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", timeout: 120_000, env: { ...base, ...extraEnv }, input: "" });
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it("GIVEN repo, identity-file, tags, dump-format and retention in the file THEN create, list and prune use them; flags and variables win", () => {
    const dir = join(root, "cfg");
    mkdirSync(join(dir, "keys"), { recursive: true });
    writeFileSync(join(dir, "keys", "age.key"), readFileSync(key));
    writeFileSync(
      join(dir, ".doodba-ops.yaml"),
      `check:\n  fail-on: warning\nbackup:\n  repo: ${repo}\n  identity-file: keys/age.key\n  tags:\n    site: paris\n  dump-format: directory\n  retention:\n    keep-last: 1\n`,
    );
    const created = inDir(dir, ["backup", "create", "--db", dbUrl("acme"), "--no-filestore", "--tag", "site=lyon", "--format", "json"]);
    expect(created.code, created.stderr).toBe(0);
    const snap = JSON.parse(created.stdout).snapshot;
    expect(snap.database.format).toBe("directory");
    expect(snap.tags.site).toBe("lyon"); // --tag wins over the file's tags
    const custom = JSON.parse(inDir(dir, ["backup", "create", "--db", dbUrl("acme"), "--no-filestore", "--dump-format", "custom", "--format", "json"]).stdout).snapshot;
    expect(custom.database.format).toBe("custom");
    expect(custom.tags.site).toBe("paris");
    const list = inDir(dir, ["backup", "list", "--format", "json"]);
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout).map((s: { id: string }) => s.id)).toContain(custom.id);
    // prune without --keep-* flags: keep-last 1 from the file
    const prune = inDir(dir, ["backup", "prune", "--dry-run", "--format", "json"]);
    expect(prune.code, prune.stderr).toBe(0);
    expect(JSON.parse(prune.stdout).keep.map((k: { id: string }) => k.id)).toContain(custom.id);
    expect(JSON.parse(prune.stdout).policy).toEqual({ keepLast: 1, keepDaily: 0, keepWeekly: 0, keepMonthly: 0 });
    // DOODBA_OPS_REPO beats the file, --repo beats both
    const other = join(root, "no-such-repo");
    expect(inDir(dir, ["backup", "list"], { DOODBA_OPS_REPO: other }).stderr).toContain("no-such-repo");
    expect(inDir(dir, ["backup", "list", "--repo", repo], { DOODBA_OPS_REPO: other }).code).toBe(0);
  });

  it("GIVEN a mistake in the section THEN exit 2 naming the file, line and column", () => {
    const dir = join(root, "cfg-bad");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, ".doodba-ops.yaml"), `backup:\n  repo: ${repo}\n  dump-format: tarball\n`);
    const r = inDir(dir, ["backup", "list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(".doodba-ops.yaml:3:16");
    expect(r.stderr).toContain("auto | custom | directory");
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
