/**
 * The Odoo/PostgreSQL side of backups against a REAL PostgreSQL 15 (test/harness/postgres.ts)
 * loaded from the REAL Odoo 17 backup in ../shared/fixtures/odoo17 (backup-mail.zip: dump.sql +
 * filestore; backup-mail.dump: pg_dump custom format). One cluster for the file; the source
 * database and filestore are loaded once, independently of the code under test (unzip, then
 * psql -f dump.sql into a database created the way Odoo creates it). Python's zipfile (what
 * Odoo's restore_db uses) and Info-ZIP's unzip check the zips we write.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { nodePlatform, type Exec, type Platform } from "../../src/platform/index.js";
import { dumpDatabase } from "../../src/backup/odoo/dump.js";
import { restoreDatabase } from "../../src/backup/odoo/restore.js";
import { neutralizeDatabase } from "../../src/backup/odoo/neutralize.js";
import { copyFilestore, filestoreDir, openFilestoreWriter } from "../../src/backup/odoo/filestore.js";
import { exportOdooZip, importOdooBackup, openOdooZip, plainSqlFromDump, writeOdooZip, filestoreSources, type OdooManifest } from "../../src/backup/odoo/zip.js";
import { countRows, PlainDumpRowCounter, restoreTest } from "../../src/backup/odoo/verify.js";
import { nodeFiles } from "../../src/platform/files.js";
import { startPostgres, type PgCluster } from "../harness/postgres.js";
import { ODOO17 } from "../helpers/project.js";

const ZIP = join(ODOO17, "backup-mail.zip");
const DUMP = join(ODOO17, "backup-mail.dump");
const FIXTURE_MANIFEST = JSON.parse(readFileSync(join(ODOO17, "manifest.json"), "utf8")) as OdooManifest;
/** Tables whose content a round trip must keep byte for byte (md5 over the rows in id order). */
const KEY_TABLES = ["res_partner", "ir_attachment", "mail_message", "res_users", "ir_module_module", "ir_cron", "ir_mail_server"];

let pg: PgCluster;
let work: string;
let platform: Platform;
/** <data_dir>/filestore/acme of the source, extracted from the real zip. */
let sourceFilestore: string;
let sourceCounts: Record<string, number>;

function sh(cmd: string, args: string[], opts: { input?: string; cwd?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", input: opts.input, cwd: opts.cwd, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}
const q = (db: string, sql: string) => pg.psql(db, sql).trim();
const checksum = (db: string, table: string) => q(db, `SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM ${table} t`);
const checksums = (db: string) => Object.fromEntries(KEY_TABLES.map((t) => [t, checksum(db, t)]));
const param = (db: string, key: string) => q(db, `SELECT value FROM ir_config_parameter WHERE key = '${key}'`);
const dbExists = (db: string) => q("postgres", `SELECT count(*) FROM pg_database WHERE datname = '${db}'`) === "1";

/** Reference counts (each table's own rows, as pg_dump writes them), computed without the code under test. */
function referenceCounts(db: string): Record<string, number> {
  const tables = q(db, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").split("\n");
  const sql = tables.map((t) => `SELECT 'public.${t}', count(*) FROM ONLY public."${t}"`).join(" UNION ALL ") + ";";
  return Object.fromEntries(q(db, sql.replace(/;$/, "") + " ORDER BY 1").split("\n").map((l) => [l.split("|")[0], Number(l.split("|")[1])]));
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}
const sha1 = (file: string) => createHash("sha1").update(readFileSync(file)).digest("hex");
/** GIVEN Odoo's content-addressed layout THEN every xx/<sha1> file hashes to its name; checklist markers are empty. */
function expectFilestoreIntact(dir: string): void {
  const files = filesUnder(dir);
  expect(files.length).toBe(filesUnder(sourceFilestore).length);
  for (const f of files) {
    if (f.startsWith("checklist/")) expect(statSync(join(dir, f)).size).toBe(0);
    else expect(sha1(join(dir, f)), f).toBe(f.split("/")[1]);
  }
  expect(files).toEqual(filesUnder(sourceFilestore));
}

async function toFile(stream: NodeJS.ReadableStream, file: string): Promise<void> {
  await pipeline(stream, createWriteStream(file));
}

beforeAll(async () => {
  pg = await startPostgres();
  work = mkdtempSync(join(tmpdir(), "doodba-ops-odoo-"));
  const environ: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PG")) environ[k] = v;
  platform = { ...nodePlatform(), environ };
  // Odoo's _create_empty_database + restore_db, done by hand
  pg.psql("postgres", `CREATE DATABASE acme ENCODING 'unicode' LC_COLLATE 'C' TEMPLATE template0;`);
  pg.psql("acme", "CREATE EXTENSION IF NOT EXISTS pg_trgm; GRANT CREATE ON SCHEMA PUBLIC TO PUBLIC;");
  pg.psql("acme", sh("unzip", ["-p", ZIP, "dump.sql"]));
  sh("unzip", ["-q", ZIP, "filestore/*", "-d", join(work, "src")]);
  mkdirSync(join(work, "src-data", "filestore"), { recursive: true });
  renameSync(join(work, "src", "filestore"), join(work, "src-data", "filestore", "acme"));
  sourceFilestore = join(work, "src-data", "filestore", "acme");
  sourceCounts = referenceCounts("acme");
}, 120_000);

afterAll(async () => {
  await pg?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
}, 60_000);

describe("dumpDatabase", () => {
  it("GIVEN the real Odoo 17 database WHEN dumped in custom format THEN the stream is a pg_dump archive and the info carries exact row counts, the server version and the installed modules", async () => {
    const d = await dumpDatabase(platform, { url: pg.url("acme") }, { format: "custom" });
    const file = join(work, "acme.dump");
    await toFile(d.stream, file);
    const info = await d.done;
    expect(readFileSync(file).subarray(0, 5).toString()).toBe("PGDMP");
    expect(info.bytes).toBe(statSync(file).size);
    expect(info.serverVersion).toMatch(/^15\.\d+$/);
    expect(info.pgVersion).toBe("15.0"); // what Odoo writes for 15.x (see the fixture manifest)
    expect(info.consistent).toBe(true);
    expect(info.rowCounts).toEqual(sourceCounts);
    expect(info.rowCounts["public.res_partner"]).toBe(31);
    expect(info.odoo?.majorVersion).toBe("17.0");
    expect(info.odoo?.modules).toEqual(FIXTURE_MANIFEST.modules);
  });

  it("GIVEN rows written while a dump runs THEN the counts describe exactly the dumped snapshot, not the live table", async () => {
    pg.psql("postgres", "CREATE DATABASE busy TEMPLATE acme;");
    const d = await dumpDatabase(platform, { url: pg.url("busy") }, { format: "custom" });
    // the snapshot is exported when dumpDatabase returns: these rows are after it
    pg.psql("busy", "INSERT INTO res_partner (name, active, type) SELECT 'late ' || g, true, 'contact' FROM generate_series(1, 50) g;");
    const file = join(work, "busy.dump");
    await toFile(d.stream, file);
    const info = await d.done;
    expect(info.rowCounts["public.res_partner"]).toBe(31);
    expect(q("busy", "SELECT count(*) FROM res_partner")).toBe("81");
    // and the dump holds those 31 rows: its res_partner COPY block, printed by pg_restore itself
    const copy = sh(pg.bin("pg_restore"), ["--data-only", "--table=res_partner", "-f", "-", file]);
    expect(copy.split("\n").filter((l) => /^\d+\t/.test(l))).toHaveLength(31);
  });

  it("GIVEN a server path where snapshots cannot be exported (a transaction pooler) THEN the dump still succeeds and says its counts are not from the dump's snapshot", async () => {
    // Test double for the pooler (pgbouncer in transaction mode cannot run here): the real psql,
    // with its pg_export_snapshot() call made to fail the way a pooler makes it fail.
    const real = platform.exec as Exec;
    const { Transform } = await import("node:stream");
    const pooler: Exec = {
      run: (c, a, o) => real.run(c, a, o),
      which: (c) => real.which(c),
      spawn: async (cmd, args, opts) => {
        const p = await real.spawn(cmd, args, opts);
        if (!cmd.endsWith("psql")) return p;
        const rewrite = new Transform({ transform: (chunk: Buffer, _e, cb) => cb(null, chunk.toString().replace("pg_export_snapshot()", "pg_export_snapshot_unavailable()")) });
        rewrite.pipe(p.stdin);
        return { ...p, stdin: rewrite };
      },
    };
    const d = await dumpDatabase({ ...platform, exec: pooler }, { url: pg.url("acme") }, { format: "custom" });
    await toFile(d.stream, join(work, "pooled.dump"));
    const info = await d.done;
    expect(info.consistent).toBe(false);
    expect(info.rowCounts).toEqual(sourceCounts);
    expect(info.odoo?.majorVersion).toBe("17.0");
  });

  it("GIVEN a directory dump with 2 jobs WHEN restored with 2 jobs THEN key tables and counts equal the source", async () => {
    const d = await dumpDatabase(platform, { url: pg.url() }, { db: "acme", format: "directory", jobs: 2, workDir: work });
    try {
      expect(d.files.map((f) => f.path)).toContain("toc.dat");
      expect(d.info.rowCounts).toEqual(sourceCounts);
      await restoreDatabase(platform, { url: pg.url() }, { format: "directory", dir: d.dir }, { db: "acme_dir", jobs: 2 });
    } finally {
      await d.cleanup();
    }
    expect(existsSync(d.dir)).toBe(false);
    expect(checksums("acme_dir")).toEqual(checksums("acme"));
    expect(await countRows(platform, { url: pg.url() }, "acme_dir")).toEqual(sourceCounts);
  });

  it("GIVEN a password in the URL THEN it travels in PGPASSWORD only, never in argv, and errors are masked", async () => {
    const calls: { cmd: string; args: readonly string[]; env?: Record<string, string | undefined> }[] = [];
    const real = platform.exec as Exec;
    // a recording wrapper around the real Exec (the processes still run)
    const spy: Exec = {
      run: (cmd, args, opts) => (calls.push({ cmd, args, env: opts?.env }), real.run(cmd, args, opts)),
      spawn: (cmd, args, opts) => (calls.push({ cmd, args, env: opts?.env }), real.spawn(cmd, args, opts)),
      which: (c) => real.which(c),
    };
    const secret = "s3cr3t-Pa55word";
    const url = `postgres://postgres:${secret}@127.0.0.1:${pg.port}/acme`;
    const d = await dumpDatabase({ ...platform, exec: spy }, { url }, { format: "custom", rowCounts: false });
    await toFile(d.stream, join(work, "pw.dump"));
    await d.done;
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const c of calls) {
      expect(c.args.join(" ")).not.toContain(secret);
      expect(c.env?.PGPASSWORD).toBe(secret);
    }
    // a refused connection: the message names the server, never the password
    const err = await dumpDatabase({ ...platform, exec: spy }, { url: `postgres://postgres:${secret}@127.0.0.1:1/acme` }, { format: "custom" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(String((err as Error).message)).toMatch(/127\.0\.0\.1/);
    expect(String((err as Error).message) + String((err as UserError).hint)).not.toContain(secret);
  });
});

describe("restoreDatabase", () => {
  it("GIVEN the real backup-mail.dump WHEN imported under another name THEN it is created the way Odoo creates databases, without filestore, and equals the source", async () => {
    const r = await importOdooBackup(platform, { url: pg.url() }, DUMP, { db: "from_dump", jobs: 2, unaccent: true });
    expect(r.kind).toBe("custom");
    expect(r.filestore).toBeUndefined();
    expect(r.restore).toMatchObject({ db: "from_dump", replaced: false, warnings: [] });
    expect(q("postgres", "SELECT pg_encoding_to_char(encoding), datcollate FROM pg_database WHERE datname = 'from_dump'")).toBe("UTF8|C");
    expect(q("from_dump", "SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension")).toBe("pg_trgm,plpgsql,unaccent");
    expect(q("from_dump", "SELECT provolatile FROM pg_proc WHERE proname = 'unaccent' AND pronargs = 1")).toBe("i");
    expect(q("from_dump", "SELECT has_schema_privilege('public', 'public', 'CREATE')")).toBe("t");
    expect(checksums("from_dump")).toEqual(checksums("acme"));
    expect(referenceCounts("from_dump")).toEqual(sourceCounts);
    // no work database left behind
    expect(q("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE '%\\_\\_restoring\\_%'")).toBe("0");
  });

  it("GIVEN an existing database WHEN restoring over it without force THEN it refuses and touches nothing; WITH force THEN it is replaced", async () => {
    pg.psql("postgres", "CREATE DATABASE target TEMPLATE acme;");
    pg.psql("target", "UPDATE res_partner SET name = 'changed' WHERE id = 1;");
    const before = checksum("target", "res_partner");
    const refused = await restoreDatabase(platform, { url: pg.url() }, { format: "custom", path: DUMP }, { db: "target" }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UserError);
    expect((refused as UserError).message).toBe('database "target" already exists');
    expect((refused as UserError).hint).toMatch(/--as/);
    expect(checksum("target", "res_partner")).toBe(before);

    const r = await restoreDatabase(platform, { url: pg.url() }, { format: "custom", path: DUMP }, { db: "target", force: true });
    expect(r.replaced).toBe(true);
    expect(checksum("target", "res_partner")).toBe(checksum("acme", "res_partner"));
    expect(q("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'target\\_\\_%'")).toBe("0");
  });

  it("GIVEN a damaged dump THEN the restore fails with pg_restore's reason and leaves no database behind", async () => {
    const bad = join(work, "truncated.dump");
    await toFile((await import("node:fs")).createReadStream(DUMP, { start: 0, end: 200_000 }), bad);
    const err = await restoreDatabase(platform, { url: pg.url() }, { format: "custom", path: bad }, { db: "broken" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/pg_restore exit 1/);
    expect(dbExists("broken")).toBe(false);
    expect(q("postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'broken%'")).toBe("0");
  });

  it("GIVEN --copy --neutralize THEN uuid, secret, create_date and web.base.url are regenerated as Odoo's copy does, the copy is neutralized, and the data is untouched", async () => {
    const now = new Date("2030-01-02T03:04:05.678Z");
    let n = 0;
    const fixed = { ...platform, now: () => now, randomBytes: (k: number) => Buffer.alloc(k, ++n) };
    const r = await restoreDatabase(fixed, { url: pg.url() }, { format: "custom", path: DUMP }, { db: "staging", jobs: 2, copy: { httpPort: 18069 }, neutralize: true });
    expect(r.neutralize?.db).toBe("staging");
    expect(r.copy?.uuid).toBe(param("staging", "database.uuid"));
    expect(param("staging", "database.uuid")).not.toBe(param("acme", "database.uuid"));
    expect(param("staging", "database.uuid")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(param("staging", "database.secret")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(param("staging", "database.secret")).not.toBe(param("acme", "database.secret"));
    expect(param("staging", "database.create_date")).toBe("2030-01-02 03:04:05");
    expect(param("staging", "web.base.url")).toBe("http://localhost:18069");
    expect(param("staging", "database.is_neutralized")).toBe("true");
    expect(q("staging", "SELECT count(*) FROM ir_cron WHERE active")).toBe("1");
    const others = "SELECT md5(string_agg(key || '=' || value, ',' ORDER BY key)) FROM ir_config_parameter WHERE key NOT IN ('database.uuid', 'database.secret', 'database.create_date', 'web.base.url', 'database.is_neutralized')";
    expect(q("staging", others)).toBe(q("acme", others));
    for (const t of ["res_partner", "ir_attachment", "mail_message", "res_users", "ir_module_module"]) expect(checksum("staging", t), t).toBe(checksum("acme", t));
  });
});

describe("neutralize", () => {
  it("GIVEN the real Odoo 17 database WHEN neutralized THEN mail servers, crons and push are off, the flag is set, only installed modules' statements ran", async () => {
    pg.psql("postgres", "CREATE DATABASE neutral TEMPLATE acme;");
    // production-like state to neutralize: a real mail server, a webhook action, a push device
    pg.psql(
      "neutral",
      `INSERT INTO ir_mail_server (name, smtp_host, smtp_port, smtp_encryption, smtp_authentication, active, sequence) VALUES ('prod smtp', 'smtp.example.com', 587, 'starttls', 'login', true, 1);
       INSERT INTO ir_act_server (name, type, usage, binding_type, state, model_id, webhook_url) SELECT '{"en_US": "hook"}', 'ir.actions.server', 'ir_actions_server', 'action', 'webhook', id, 'https://hooks.example.com/x' FROM ir_model WHERE model = 'res.partner';
       INSERT INTO mail_partner_device (partner_id, endpoint, keys) VALUES (3, 'https://push.example.com/abc', '{}');
       INSERT INTO ir_config_parameter (key, value) VALUES ('mail.web_push_vapid_private_key', 'k');`,
    );
    expect(q("neutral", "SELECT count(*) FROM ir_cron WHERE active")).toBe("12");
    const r = await neutralizeDatabase(platform, { url: pg.url() }, "neutral");
    expect(r.source).toBe("builtin");
    expect(r.modules).toEqual(Object.keys(FIXTURE_MANIFEST.modules).sort());
    // only modules installed in this database contributed
    expect([...new Set(r.applied.map((a) => a.module))]).toEqual(["base", "web", "mail", "iap"]);
    expect(r.notApplicable).toEqual([]);
    // THEN, in SQL
    expect(q("neutral", "SELECT string_agg(c.cron_name || ':' || c.active, ',') FROM ir_cron c WHERE c.active")).toBe("Base: Auto-vacuum internal data:true");
    expect(q("neutral", "SELECT name || '|' || smtp_host || '|' || smtp_port || '|' || active FROM ir_mail_server WHERE active")).toBe("neutralization - disable emails|invalid|1025|true");
    expect(q("neutral", "SELECT active FROM ir_mail_server WHERE name = 'prod smtp'")).toBe("f");
    expect(param("neutral", "database.is_neutralized")).toBe("true");
    expect(q("neutral", "SELECT webhook_url FROM ir_act_server WHERE state = 'webhook'")).toBe("neutralization - disable webhook");
    expect(q("neutral", "SELECT count(*) FROM mail_template WHERE mail_server_id IS NOT NULL")).toBe("0");
    expect(q("neutral", "SELECT count(*) FROM mail_partner_device")).toBe("0");
    expect(param("neutral", "mail.web_push_vapid_private_key")).toBe("");
    expect(q("neutral", "SELECT active FROM ir_ui_view WHERE key = 'web.neutralize_banner'")).toBe("t");
    expect(r.applied.find((a) => a.what.startsWith("deactivate every scheduled"))?.rows).toBe(12); // every cron but the autovacuum
    // data untouched
    for (const t of ["res_partner", "ir_attachment", "mail_message"]) expect(checksum("neutral", t)).toBe(checksum("acme", t));

    // re-running changes nothing more and adds no second dummy server
    await neutralizeDatabase(platform, { url: pg.url() }, "neutral");
    expect(q("neutral", "SELECT count(*) FROM ir_cron WHERE active")).toBe("1");
    expect(q("neutral", "SELECT count(*) FROM ir_mail_server WHERE name = 'neutralization - disable emails'")).toBe("1");
  });

  it("GIVEN an Odoo source tree WHEN neutralizing from its files THEN the real neutralize.sql of installed modules run, in one transaction", async () => {
    // A minimal tree shaped like Odoo's: a broken file of a module that is NOT installed must not run
    const src = join(work, "odoo-src");
    const file = (p: string, text: string) => {
      mkdirSync(join(src, p, ".."), { recursive: true });
      (spawnSync("sh", ["-c", `cat > '${join(src, p)}'`], { input: text }));
    };
    file("odoo/addons/base/__manifest__.py", "{}");
    file("odoo/addons/base/data/neutralize.sql", "UPDATE ir_cron SET active = false WHERE id <> 1;\nINSERT INTO ir_config_parameter (key, value) VALUES ('database.is_neutralized', true) ON CONFLICT (key) DO UPDATE SET value = true;\n-- trailing comment");
    file("addons/mail/data/neutralize.sql", "UPDATE mail_template SET mail_server_id = NULL;");
    file("addons/website/data/neutralize.sql", "UPDATE website SET domain = NULL; -- no such table here");
    pg.psql("postgres", "CREATE DATABASE neutral_files TEMPLATE acme;");
    const r = await neutralizeDatabase(platform, { url: pg.url() }, "neutral_files", { addonsPaths: [src] });
    expect(r.source).toBe("odoo-files");
    expect(r.applied.map((a) => [a.module, relative(src, a.what)])).toEqual([
      ["base", "odoo/addons/base/data/neutralize.sql"],
      ["mail", "addons/mail/data/neutralize.sql"],
    ]);
    expect(q("neutral_files", "SELECT count(*) FROM ir_cron WHERE active")).toBe("1");
    expect(param("neutral_files", "database.is_neutralized")).toBe("true");

    // a failing file rolls the whole neutralisation back
    file("addons/mail/data/neutralize.sql", "UPDATE mail_template SET no_such_column = 1;");
    pg.psql("postgres", "CREATE DATABASE neutral_fail TEMPLATE acme;");
    await expect(neutralizeDatabase(platform, { url: pg.url() }, "neutral_fail", { addonsPaths: [src] })).rejects.toThrow(/no_such_column/);
    expect(q("neutral_fail", "SELECT count(*) FROM ir_cron WHERE active")).toBe("12");
  });
});

describe("filestore", () => {
  it("GIVEN a filestore WHEN copied to <data_dir>/filestore/<newdb> THEN every file hashes to its name and the checklist markers are kept", async () => {
    const dataDir = join(work, "data-copy");
    const r = await copyFilestore(platform, sourceFilestore, { dir: filestoreDir(dataDir, "newdb"), verifySha1: true });
    expect(r).toMatchObject({ files: 30, replaced: false, sha1Mismatches: [] });
    expectFilestoreIntact(join(dataDir, "filestore", "newdb"));
    expect(readdirSync(join(dataDir, "filestore"))).toEqual(["newdb"]); // no staging left

    // refuses to overwrite without force; replaces with force
    await expect(copyFilestore(platform, sourceFilestore, { dir: filestoreDir(dataDir, "newdb") })).rejects.toThrow(/already exists/);
    const again = await copyFilestore(platform, sourceFilestore, { dir: filestoreDir(dataDir, "newdb"), force: true });
    expect(again.replaced).toBe(true);
    expect(readdirSync(join(dataDir, "filestore"))).toEqual(["newdb"]);
  });

  it("GIVEN a file whose content does not match its sha1 name or a path escaping the target THEN the writer reports / refuses it", async () => {
    const { Readable } = await import("node:stream");
    const w = await openFilestoreWriter(platform, { dir: join(work, "data-bad", "filestore", "x"), verifySha1: true });
    await w.write("ab/ab00000000000000000000000000000000000000", Readable.from([Buffer.from("not that")]));
    await expect(w.write("../../etc/evil", Readable.from([Buffer.from("x")]))).rejects.toThrow(/unsafe path/);
    const r = await w.commit();
    expect(r.sha1Mismatches).toEqual(["ab/ab00000000000000000000000000000000000000"]);
    expect(existsSync(join(work, "etc"))).toBe(false);
  });

  it("GIVEN root restores into a volume owned by the odoo user THEN the files belong to that user", async () => {
    if (process.getuid?.() !== 0) return; // ownership can only be given away by root
    const dataDir = join(work, "data-owned");
    mkdirSync(dataDir);
    spawnSync("chown", ["1000:1000", dataDir]);
    await copyFilestore(platform, sourceFilestore, { dir: filestoreDir(dataDir, "owned") });
    for (const p of [join(dataDir, "filestore"), join(dataDir, "filestore", "owned"), ...filesUnder(join(dataDir, "filestore", "owned")).map((f) => join(dataDir, "filestore", "owned", f))]) {
      expect(statSync(p).uid, p).toBe(1000);
    }
  });
});

describe("Odoo zip", () => {
  it("GIVEN the real backup-mail.zip WHEN imported under a new name THEN database and filestore equal the source and the filestore is where that Odoo expects it", async () => {
    const dataDir = join(work, "data-import");
    const r = await importOdooBackup(platform, { url: pg.url() }, ZIP, { db: "imported", filestoreDir: filestoreDir(dataDir, "imported") });
    expect(r.kind).toBe("zip");
    expect(r.manifest).toEqual(FIXTURE_MANIFEST);
    expect(r.filestore).toMatchObject({ files: 30, sha1Mismatches: [] });
    expect(checksums("imported")).toEqual(checksums("acme"));
    expect(referenceCounts("imported")).toEqual(sourceCounts);
    expectFilestoreIntact(join(dataDir, "filestore", "imported"));
    // every attachment stored on disk is there
    for (const f of q("imported", "SELECT store_fname FROM ir_attachment WHERE store_fname IS NOT NULL").split("\n")) {
      expect(existsSync(join(dataDir, "filestore", "imported", f)), f).toBe(true);
    }
  });

  it("GIVEN a scripted backup (pg_dump | gzip > db.sql.gz, the seed playbook's) WHEN imported THEN it restores through psql like a zip's dump.sql", async () => {
    const gz = join(work, "db.sql.gz");
    sh("sh", ["-c", `unzip -p '${ZIP}' dump.sql | gzip -1 > '${gz}'`]);
    const r = await importOdooBackup(platform, { url: pg.url() }, gz, { db: "from_gzip" });
    expect(r.kind).toBe("plain-gzip");
    expect(checksums("from_gzip")).toEqual(checksums("acme"));
  });

  it("GIVEN a zip that holds a filestore but no target directory, or an HTML error page THEN import refuses before touching anything", async () => {
    await expect(importOdooBackup(platform, { url: pg.url() }, ZIP, { db: "nowhere" })).rejects.toThrow(/no target directory/);
    expect(dbExists("nowhere")).toBe(false);
    const html = join(work, "denied.zip");
    spawnSync("sh", ["-c", `printf '<!DOCTYPE html><html>Access Denied</html>' > '${html}'`]);
    await expect(importOdooBackup(platform, { url: pg.url() }, html, { db: "nowhere" })).rejects.toThrow(/neither an Odoo zip backup/);
    // a crafted zip whose filestore entry climbs out of the target (zip-slip), written by Python's zipfile
    const evil = join(work, "evil.zip");
    sh("python3", ["-c", "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1], 'w')\nz.writestr('dump.sql', 'SELECT 1;')\nz.writestr('filestore/../../../evil', 'x')\nz.close()", evil]);
    const err = await importOdooBackup(platform, { url: pg.url() }, evil, { db: "nowhere", filestoreDir: join(work, "data-evil", "filestore", "nowhere") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/damaged or unsafe|unsafe path/);
    expect(existsSync(join(work, "evil"))).toBe(false);
    expect(dbExists("nowhere")).toBe(false);
  });

  it("GIVEN a live database and its filestore WHEN exported THEN the zip has Odoo's layout and manifest, Python's zipfile and unzip accept it, and Odoo's restore steps give back the same database", async () => {
    const out = join(work, "export.zip");
    const r = await exportOdooZip(platform, { url: pg.url() }, createWriteStream(out), { db: "acme", filestoreDir: sourceFilestore, release: { version: "17.0-20240709", versionInfo: [17, 0, 0, "final", 0, ""], majorVersion: "17.0" } });
    expect(r.filestoreFiles).toBe(30);
    expect(r.bytes).toBe(statSync(out).size);
    // manifest: same fields, same values, same key order as Odoo's own
    expect(r.manifest).toEqual(FIXTURE_MANIFEST);
    expect(Object.keys(r.manifest)).toEqual(Object.keys(FIXTURE_MANIFEST));

    // layout against the real zip: dump.sql first, then manifest.json, then filestore/ (same names)
    const ours = await openOdooZip(platform, out);
    const theirs = await openOdooZip(platform, ZIP);
    ours.close();
    theirs.close();
    const names = (z: typeof ours) => z.entries.map((e) => e.name);
    expect(names(ours).slice(0, 2)).toEqual(["dump.sql", "manifest.json"]);
    expect(names(theirs).slice(0, 2)).toEqual(["dump.sql", "manifest.json"]);
    expect([...names(ours)].sort()).toEqual([...names(theirs)].sort());
    expect(names(ours).slice(2).every((n) => n.startsWith("filestore/"))).toBe(true);
    expect(JSON.parse(sh("unzip", ["-p", out, "manifest.json"]))).toEqual(FIXTURE_MANIFEST);
    expect(sh("unzip", ["-tq", out])).toMatch(/No errors detected/);

    // Odoo's restore_db, step by step: zipfile.is_zipfile, extract only dump.sql + filestore/, psql -q -f dump.sql
    const ex = join(work, "odoo-restore");
    sh("python3", ["-c", `import sys, zipfile
p, d = sys.argv[1], sys.argv[2]
assert zipfile.is_zipfile(p)
with zipfile.ZipFile(p, 'r') as z:
    assert z.testzip() is None
    filestore = [m for m in z.namelist() if m.startswith('filestore/')]
    z.extractall(d, ['dump.sql'] + filestore)
`, out, ex]);
    pg.psql("postgres", `CREATE DATABASE odoo_restored ENCODING 'unicode' LC_COLLATE 'C' TEMPLATE template0;`);
    pg.psql("odoo_restored", "CREATE EXTENSION IF NOT EXISTS pg_trgm; GRANT CREATE ON SCHEMA PUBLIC TO PUBLIC;");
    const psql = spawnSync(pg.bin("psql"), ["-q", "--dbname=odoo_restored", "-f", join(ex, "dump.sql")], { env: pg.env("odoo_restored"), encoding: "utf8" });
    expect(psql.status).toBe(0);
    expect(psql.stderr).not.toMatch(/ERROR/);
    expect(checksums("odoo_restored")).toEqual(checksums("acme"));
    expect(referenceCounts("odoo_restored")).toEqual(sourceCounts);
    const exFiles = filesUnder(join(ex, "filestore"));
    expect(exFiles).toEqual(filesUnder(sourceFilestore));
    for (const f of exFiles) if (!f.startsWith("checklist/")) expect(sha1(join(ex, "filestore", f))).toBe(f.split("/")[1]);
  });

  it("GIVEN an exported zip WHEN re-imported with our import THEN it round-trips", async () => {
    const out = join(work, "export2.zip");
    await exportOdooZip(platform, { url: pg.url() }, createWriteStream(out), { db: "acme", filestoreDir: sourceFilestore });
    const zip = await openOdooZip(platform, out);
    zip.close();
    expect(zip.manifest?.version).toBe("17.0"); // derived from the base module: the build date is unknown without Odoo
    expect(zip.manifest?.version_info).toEqual([17, 0, 0, "final", 0, ""]);
    const dataDir = join(work, "data-reimport");
    await importOdooBackup(platform, { url: pg.url() }, out, { db: "reimported", filestoreDir: filestoreDir(dataDir, "reimported") });
    expect(checksums("reimported")).toEqual(checksums("acme"));
    expectFilestoreIntact(join(dataDir, "filestore", "reimported"));
  });

  it("GIVEN a custom dump from the repository WHEN exported as an Odoo zip THEN dump.sql is pg_restore's plain SQL and restores to the same data", async () => {
    const out = join(work, "from-snapshot.zip");
    const sql = await plainSqlFromDump(platform, { format: "custom", stream: (await import("node:fs")).createReadStream(DUMP) });
    await writeOdooZip(createWriteStream(out), {
      dumpSql: () => sql.stream,
      manifest: () => ({ ...FIXTURE_MANIFEST }),
      filestore: filestoreSources(nodeFiles, sourceFilestore),
    });
    await sql.done;
    await importOdooBackup(platform, { url: pg.url() }, out, { db: "from_snapshot", filestoreDir: filestoreDir(join(work, "data-snap"), "from_snapshot") });
    expect(checksums("from_snapshot")).toEqual(checksums("acme"));
  });
});

describe("verification", () => {
  it("GIVEN a dump and the counts recorded at backup time WHEN restore-tested THEN the restored counts are compared table by table and the scratch database is dropped", async () => {
    const d = await dumpDatabase(platform, { url: pg.url("acme") }, { format: "custom" });
    const file = join(work, "verify.dump");
    await toFile(d.stream, file);
    const info = await d.done;
    const tampered = { ...info.rowCounts, "public.res_partner": 32, "public.gone": 1 };
    const r = await restoreTest(platform, { url: pg.url() }, { format: "custom", path: file }, { expected: tampered, jobs: 2 });
    // what the restore gave back is what the backup recorded...
    expect(r.actual).toEqual(info.rowCounts);
    expect(r.actual).toEqual(sourceCounts);
    // ...and a recorded count that does not match is named
    expect(r.ok).toBe(false);
    expect(r.differences).toEqual([
      { table: "public.gone", expected: 1 },
      { table: "public.res_partner", expected: 32, actual: 31 },
    ]);
    expect(dbExists(r.scratchDb)).toBe(false);
  });

  it("GIVEN Odoo's plain dump.sql THEN the rows counted from its COPY blocks equal the restored database's", async () => {
    const counter = new PlainDumpRowCounter();
    const zip = await openOdooZip(platform, ZIP);
    await pipeline(await zip.open("dump.sql"), counter);
    zip.close();
    expect(counter.result()).toEqual(sourceCounts);
  });
});
