/**
 * Pure parts of src/backup/odoo: connection resolution and masking, names and quoting, Odoo's
 * manifest formatting (checked against the real manifest.json Odoo wrote), copy parameters,
 * neutralize statement selection, row-count comparison and counting of plain dumps.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { UserError } from "../../../src/errors.js";
import { checkDbName, dbConninfo, maskSecrets, maskUrl, quoteIdent, resolveConn } from "../../../src/backup/odoo/conn.js";
import { copyParameters, odooDatetime, setParamsSql, uuid1, uuid4 } from "../../../src/backup/odoo/copy.js";
import { majorFromModuleVersion, pgDumpArgs } from "../../../src/backup/odoo/dump.js";
import { isContentAddressed, safeRelPath, filestoreDir } from "../../../src/backup/odoo/filestore.js";
import { NEUTRALIZE_CATALOG } from "../../../src/backup/odoo/neutralize-catalog.js";
import { expandAddonsPaths, parseTags, selectStatements } from "../../../src/backup/odoo/neutralize.js";
import { odooPgVersion } from "../../../src/backup/odoo/sql.js";
import { compareRowCounts, PlainDumpRowCounter } from "../../../src/backup/odoo/verify.js";
import { buildManifest, manifestJson, releaseFromMajor, type OdooManifest } from "../../../src/backup/odoo/zip.js";
import { ODOO17 } from "../../helpers/project.js";

describe("resolveConn", () => {
  it("GIVEN a URL THEN host, port, user, password, database and libpq parameters become PG* variables, and inherited targets do not leak in", () => {
    const r = resolveConn({ url: "postgres://odoo:p%40ss%3Aw0rd@db.internal:5433/prod?sslmode=require&application_name=x" }, { PGHOST: "other", PGPASSWORD: "old", PGDATABASE: "old", PATH: "/bin" });
    expect(r.pgEnv).toMatchObject({ PGHOST: "db.internal", PGPORT: "5433", PGUSER: "odoo", PGPASSWORD: "p@ss:w0rd", PGDATABASE: "prod", PGSSLMODE: "require", PGAPPNAME: "x" });
    expect(r.pgEnv.PATH).toBeUndefined();
    expect(r.database).toBe("prod");
    expect(r.secrets).toEqual(["p@ss:w0rd"]);
    expect(r.description).toBe("db.internal:5433 as odoo");
    expect(r.description).not.toContain("p@ss");
  });

  it("GIVEN only PG* variables (Doodba's db-access.env) THEN they are used; explicit env overrides them", () => {
    const r = resolveConn({ env: { PGHOST: "db" } }, { PGHOST: "localhost", PGUSER: "odoo", PGPASSWORD: "odoopassword", PGDATABASE: "prod" });
    expect(r.pgEnv).toMatchObject({ PGHOST: "db", PGUSER: "odoo", PGPASSWORD: "odoopassword", PGDATABASE: "prod", PGAPPNAME: "doodba-ops" });
  });

  it("GIVEN a unix socket URL (host in the query) THEN the socket directory is the host", () => {
    expect(resolveConn({ url: "postgresql:///prod?host=/var/run/postgresql" }, {}).pgEnv).toMatchObject({ PGHOST: "/var/run/postgresql", PGDATABASE: "prod" });
  });

  it("GIVEN a bad URL THEN a UserError whose message does not contain the password", () => {
    for (const url of ["mysql://u:hunter22@h/db", "postgres://u:hunter22@h/db?nosuch=1"]) {
      const e = (() => {
        try {
          resolveConn({ url }, {});
        } catch (err) {
          return err;
        }
      })();
      expect(e).toBeInstanceOf(UserError);
      expect((e as Error).message).not.toContain("hunter22");
    }
  });
});

describe("masking and quoting", () => {
  it("masks URL passwords and known secrets anywhere in a message", () => {
    expect(maskUrl("could not connect to postgres://odoo:hunter2@db/prod and postgresql://u:x@h")).toBe("could not connect to postgres://odoo:***@db/prod and postgresql://u:***@h");
    expect(maskUrl("postgres://h/db?password=abc&sslmode=x")).toBe("postgres://h/db?password=***&sslmode=x");
    expect(maskSecrets('FATAL: password "hunter2" rejected', ["hunter2"])).toBe('FATAL: password "***" rejected');
  });

  it("names a database as a quoted conninfo value, so that names with = or :// are not taken as connection strings", () => {
    expect(dbConninfo("prod")).toBe("dbname='prod'");
    expect(dbConninfo("a=b")).toBe("dbname='a=b'");
    expect(dbConninfo("it's\\x")).toBe("dbname='it\\'s\\\\x'");
    expect(quoteIdent('we"ird')).toBe('"we""ird"');
  });

  it("accepts the database names Odoo accepts and refuses the others", () => {
    for (const ok of ["prod", "acme_test", "acme-17.0", "9db"]) expect(() => checkDbName(ok)).not.toThrow();
    for (const bad of ["", "a", "_x", "x y", "x;drop", "é", "a".repeat(64)]) expect(() => checkDbName(bad), bad).toThrow(UserError);
  });
});

describe("pg_dump arguments", () => {
  it("GIVEN each format THEN the arguments carry the snapshot, the lock timeout and the database, never a password", () => {
    expect(pgDumpArgs("prod", { format: "custom", compressLevel: 0 }, "00000003-1")).toEqual(["--format=custom", "--compress=0", "--lock-wait-timeout=300000", "--snapshot=00000003-1", "--dbname=dbname='prod'"]);
    expect(pgDumpArgs("prod", { format: "directory", jobs: 4 }, undefined)).toEqual(["--format=directory", "--jobs=4", "--lock-wait-timeout=300000", "--dbname=dbname='prod'"]);
    // Odoo's zip: plain SQL with --no-owner
    expect(pgDumpArgs("prod", { format: "plain", compressLevel: 5 }, undefined)).toEqual(["--format=plain", "--no-owner", "--lock-wait-timeout=300000", "--dbname=dbname='prod'"]);
  });
});

describe("Odoo manifest", () => {
  const fixtureText = readFileSync(join(ODOO17, "manifest.json"), "utf8");
  const fixture = JSON.parse(fixtureText) as OdooManifest;

  it("GIVEN the real manifest.json Odoo wrote THEN our serialisation of it is byte-identical (Python json.dump indent=4)", () => {
    expect(manifestJson(fixture)).toBe(fixtureText.replace(/\n$/, ""));
  });

  it("builds the manifest with Odoo's keys in Odoo's order", () => {
    const m = buildManifest({ db: "acme", release: releaseFromMajor("17.0"), pgVersion: "15.0", modules: fixture.modules });
    expect(Object.keys(m)).toEqual(Object.keys(fixture));
    expect(m).toEqual({ ...fixture, version: "17.0" });
  });

  it("escapes non-ASCII like Python's ensure_ascii", () => {
    const m = buildManifest({ db: "x", release: releaseFromMajor("16.0"), pgVersion: "14.0", modules: { café: "16.0.1" } });
    expect(manifestJson(m)).toContain('"caf\\u00e9": "16.0.1"');
  });

  it("computes pg_version the way Odoo does (true division, divmod, %d)", () => {
    expect(odooPgVersion(150018)).toBe("15.0");
    expect(odooPgVersion(160004)).toBe("16.0");
    expect(odooPgVersion(90624)).toBe("9.6");
    expect(odooPgVersion(100023)).toBe("10.0");
  });

  it("derives the release from the series and the series from the base module's version", () => {
    expect(releaseFromMajor("17.0")).toEqual({ version: "17.0", versionInfo: [17, 0, 0, "final", 0, ""], majorVersion: "17.0" });
    expect(releaseFromMajor("saas~17.2").versionInfo).toEqual(["saas~17", 2, 0, "final", 0, ""]);
    expect(() => releaseFromMajor("seventeen")).toThrow(UserError);
    expect(majorFromModuleVersion("17.0.1.3")).toBe("17.0");
    expect(majorFromModuleVersion("saas~17.2.1.3")).toBe("saas~17.2");
    expect(majorFromModuleVersion(undefined)).toBeUndefined();
  });
});

describe("copy semantics", () => {
  it("GIVEN fixed time and randomness THEN the six parameters Odoo's init(force=True) writes, in their formats", () => {
    const p = copyParameters({ now: () => new Date("2026-11-27T01:53:59.912Z"), randomBytes: (n) => Buffer.alloc(n, 0xab) }, { httpPort: 18069 });
    expect(Object.keys(p)).toEqual(["database.secret", "database.uuid", "database.create_date", "web.base.url", "base.login_cooldown_after", "base.login_cooldown_duration"]);
    expect(p["database.secret"]).toBe("abababab-abab-4bab-abab-abababababab");
    expect(p["database.create_date"]).toBe("2026-11-27 01:53:59");
    expect(p["web.base.url"]).toBe("http://localhost:18069");
    expect(copyParameters({ now: () => new Date(0), randomBytes: (n) => Buffer.alloc(n) }, { baseUrl: "https://staging.example.com" })["web.base.url"]).toBe("https://staging.example.com");
  });

  it("makes RFC 4122 uuids: v4 from random bytes, v1 from the clock with a multicast (non-MAC) node", () => {
    expect(uuid4(Buffer.alloc(16, 0xff))).toBe("ffffffff-ffff-4fff-bfff-ffffffffffff");
    const u = uuid1(new Date("2026-11-27T01:53:59Z"), Buffer.from([0, 0x12, 0x34, 0x02, 0x11, 0x22, 0x33, 0x44, 0x55]));
    expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-9234-031122334455$/);
    // the fixture's database.uuid was made by Python's uuid1() at 2026-11-27 01:53:59 UTC: same time_mid and time_hi
    expect(u.slice(8, 19)).toBe("697e9a9a-ea05-11f1-88b9-02fc00000001".slice(8, 19));
    expect(odooDatetime(new Date("2030-01-02T03:04:05.999Z"))).toBe("2030-01-02 03:04:05");
  });

  it("sets parameters like set_param: update when present, insert when missing, one statement", () => {
    const sql = setParamsSql({ "web.base.url": "http://x'y" });
    expect(sql).toContain("('web.base.url', 'http://x''y')");
    expect(sql).toMatch(/UPDATE ir_config_parameter p SET value = v\.value/);
    expect(sql).toMatch(/INSERT INTO ir_config_parameter \(key, value, create_uid, create_date, write_uid, write_date\)/);
  });
});

describe("neutralize statement selection", () => {
  const schema17 = new Map<string, Set<string>>([
    ["ir_mail_server", new Set(["name", "smtp_port", "smtp_host", "smtp_encryption", "active", "smtp_authentication"])],
    ["ir_cron", new Set(["active"])],
    ["ir_model_data", new Set(["model", "name", "module", "res_id"])],
    ["ir_config_parameter", new Set(["key", "value"])],
    ["ir_act_server", new Set(["webhook_url", "state"])],
    ["payment_provider", new Set(["state"])],
  ]);

  it("GIVEN Odoo 17's schema THEN base runs with the 17 flag variant, payment's state variant, and uninstalled modules contribute nothing", () => {
    const { run, notApplicable } = selectStatements(NEUTRALIZE_CATALOG, ["base", "payment"], schema17);
    expect(run.map((b) => b.module)).toEqual(["base", "base", "base", "base", "base", "base", "payment"]);
    expect(run.find((b) => b.sql.includes("database.is_neutralized"))?.sql).not.toContain("type");
    expect(run.find((b) => b.module === "payment")?.sql).toContain("state = 'disabled'");
    expect(notApplicable).toEqual([]);
    expect(selectStatements(NEUTRALIZE_CATALOG, ["website"], schema17).run).toEqual([]);
  });

  it("GIVEN Odoo 18's ir_config_parameter.type and payment is_live THEN the 18 variants run instead", () => {
    const schema18 = new Map(schema17);
    schema18.set("ir_config_parameter", new Set(["key", "value", "type"]));
    schema18.set("payment_provider", new Set(["is_live"]));
    const { run } = selectStatements(NEUTRALIZE_CATALOG, ["base", "payment"], schema18);
    expect(run.filter((b) => b.sql.includes("database.is_neutralized"))).toHaveLength(1);
    expect(run.find((b) => b.sql.includes("database.is_neutralized"))?.sql).toContain("type = 'str'");
    expect(run.find((b) => b.module === "payment")?.sql).toBe("UPDATE payment_provider SET is_live = false");
  });

  it("GIVEN a module installed whose table is missing THEN its statements are reported as not applicable", () => {
    const { run, notApplicable } = selectStatements(NEUTRALIZE_CATALOG, ["delivery"], schema17);
    expect(run).toEqual([]);
    expect(notApplicable.map((a) => a.module)).toEqual(["delivery", "delivery"]);
  });

  it("every catalog statement names what it needs and carries no trailing semicolon", () => {
    for (const st of NEUTRALIZE_CATALOG) {
      expect(st.requires.length, st.why).toBeGreaterThan(0);
      expect(st.sql.trim().endsWith(";"), st.sql).toBe(false);
    }
  });

  it("parses psql's command tags after each marker", () => {
    const tags = parseTags("@@0\nUPDATE 12\n@@1\nTRUNCATE TABLE\n@@2\nINSERT 0 1\nUPDATE 3\n");
    expect([...tags.entries()]).toEqual([
      [0, ["UPDATE 12"]],
      [1, ["TRUNCATE TABLE"]],
      [2, ["INSERT 0 1", "UPDATE 3"]],
    ]);
  });

  it("expands an Odoo source root into its two addons directories", () => {
    const exists = (p: string) => p === "/src/odoo/odoo/addons/base/__manifest__.py";
    expect(expandAddonsPaths(["/src/odoo/", "/src/oca"], exists)).toEqual(["/src/odoo/odoo/addons", "/src/odoo/addons", "/src/oca"]);
  });
});

describe("filestore paths", () => {
  it("puts the filestore where Odoo expects it", () => {
    expect(filestoreDir("/var/lib/odoo/", "prod")).toBe("/var/lib/odoo/filestore/prod");
  });

  it("refuses paths that could escape the target (zip-slip)", () => {
    for (const bad of ["/etc/passwd", "../x", "a/../../x", "a//b", "a\\b", "./a", ""]) expect(() => safeRelPath(bad), bad).toThrow(UserError);
    expect(safeRelPath("checklist/ab/ab12")).toBe("checklist/ab/ab12");
  });

  it("knows which files are content-addressed", () => {
    const h = "89985aa3f96deae93552576ec67d15f1be0ca58b";
    expect(isContentAddressed(`89/${h}`)).toBe(true);
    expect(isContentAddressed(`88/${h}`)).toBe(false);
    expect(isContentAddressed(`checklist/89/${h}`)).toBe(false);
  });
});

describe("row counts", () => {
  it("GIVEN expected and actual counts THEN differences name each table, including tables on one side only", () => {
    expect(compareRowCounts({ "public.a": 1, "public.b": 2 }, { "public.a": 1, "public.b": 2 })).toEqual({ ok: true, tables: 2, differences: [] });
    expect(compareRowCounts({ "public.a": 1, "public.b": 2 }, { "public.a": 3, "public.c": 0 })).toEqual({
      ok: false,
      tables: 3,
      differences: [
        { table: "public.a", expected: 1, actual: 3 },
        { table: "public.b", expected: 2 },
        { table: "public.c", actual: 0 },
      ],
    });
  });

  it("GIVEN a plain dump split at arbitrary points THEN COPY rows are counted per table, empty and quoted tables included", async () => {
    const sql = [
      "SET x = 1;",
      "COPY public.res_partner (id, name) FROM stdin;",
      "1\tAlpha",
      "2\tline\\nbreak",
      "\\.",
      'COPY public."Weird.Name" (id) FROM stdin;',
      "\\.",
      "COPY public.mail_message (id) FROM stdin;",
      "7",
      "\\.",
      "",
    ].join("\n");
    const chunks = sql.match(/[\s\S]{1,5}/g) ?? [];
    const c = new PlainDumpRowCounter();
    await pipeline(Readable.from(chunks.map((s) => Buffer.from(s))), c);
    expect(c.result()).toEqual({ "public.res_partner": 2, "public.Weird.Name": 0, "public.mail_message": 1 });
  });
});

describe("ZipWriter", () => {
  it("GIVEN empty, small and streamed (> 1 MiB) entries THEN yauzl reads them back with the right content, CRC and Unix modes", async () => {
    const { ZipWriter } = await import("../../../src/backup/odoo/zipwriter.js");
    const yauzl = await import("yauzl");
    const { PassThrough } = await import("node:stream");
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on("data", (c: Buffer) => chunks.push(c));
    const z = new ZipWriter(out);
    const big = Buffer.alloc(3 << 20);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
    const mtime = new Date(2026, 10, 27, 1, 53, 58);
    await z.add("empty", Readable.from([]), { mtime });
    await z.add("dir/small.txt", Readable.from([Buffer.from("hello "), Buffer.from("odoo")]), { mtime, mode: 0o100600 });
    await z.add("big.bin", Readable.from([big.subarray(0, 1 << 20), big.subarray(1 << 20)]), { mtime, level: 1 });
    await z.add("stored", Readable.from([Buffer.from("as is")]), { mtime, level: 0 });
    await z.finish();
    const zip = await yauzl.fromBufferPromise(Buffer.concat(chunks), { lazyEntries: true });
    const got: Record<string, { data: Buffer; mode: number; method: number; date: Date }> = {};
    for await (const e of zip.eachEntry()) {
      const parts: Buffer[] = [];
      for await (const c of await zip.openReadStreamPromise(e)) parts.push(c as Buffer);
      got[e.fileName] = { data: Buffer.concat(parts), mode: e.externalFileAttributes >>> 16, method: e.compressionMethod, date: e.getLastModDate() };
    }
    expect(Object.keys(got)).toEqual(["empty", "dir/small.txt", "big.bin", "stored"]);
    expect(got.empty?.data.length).toBe(0);
    expect(got["dir/small.txt"]?.data.toString()).toBe("hello odoo");
    expect(got["dir/small.txt"]?.mode).toBe(0o100600);
    expect(got["big.bin"]?.data.equals(big)).toBe(true);
    expect(got.stored?.method).toBe(0);
    expect(got.empty?.method).toBe(8);
    expect(got["big.bin"]?.date.getTime()).toBe(mtime.getTime());
  });

  it("computes CRC-32 and DOS timestamps as the zip format wants them", async () => {
    const { crc32, dosDateTime } = await import("../../../src/backup/odoo/zipwriter.js");
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(crc32(Buffer.from("6789"), crc32(Buffer.from("12345")))).toBe(0xcbf43926);
    expect(dosDateTime(new Date(1970, 0, 1))).toEqual({ date: 0x21, time: 0 }); // clamped to 1980-01-01
    expect(dosDateTime(new Date(2026, 10, 27, 1, 53, 59))).toEqual({ date: ((2026 - 1980) << 9) | (11 << 5) | 27, time: (1 << 11) | (53 << 5) | 29 });
  });
});
