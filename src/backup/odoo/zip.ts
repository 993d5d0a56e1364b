/**
 * Odoo's database-manager backup format, both ways (odoo/service/db.py `dump_db` / `restore_db`,
 * odoo/tools/osutil.py `zip_dir`):
 *
 *   dump.sql        plain SQL from `pg_dump --no-owner`; always the first entry
 *   manifest.json   {odoo_dump, db_name, version, version_info, major_version, pg_version, modules}
 *   filestore/...   the content of <data_dir>/filestore/<db>, including Odoo 17's empty
 *                   checklist/ marker files
 *
 * The order is Odoo's: zip_dir walks the temp dir with `sorted(files, key=lambda f: f != 'dump.sql')`,
 * so the root's files come first (dump.sql, then manifest.json) and the filestore after them. The
 * real backup-mail.zip shows exactly that. Entries are deflated, without directory entries and
 * without extra fields (DOS timestamps only), like Python's zipfile writes them; ZIP64 is used
 * where a size, an offset or the entry count needs it, which Python's zipfile reads.
 *
 * Writing and reading stream (zipwriter.ts; yauzl for reading): no entry is held in memory, and
 * entries are opened one at a time (20,000 attachments do not mean 20,000 open files).
 */
import { Readable, type Writable } from "node:stream";
import type * as Yauzl from "yauzl";
import { UserError } from "../../errors.js";
import type { ProgressSink } from "../types.js";
import { checkDbName, type PgConn } from "./conn.js";
import { ZipWriter } from "./zipwriter.js";
import { majorFromModuleVersion, dumpDatabase, type DumpInfo } from "./dump.js";
import { filesOf, type BackupPlatform, type FileIO } from "./files.js";
import { openPlainSql, PLAIN_SQL_START } from "./plain.js";
import { listFilestore, openFilestoreWriter, safeRelPath, checkFilestoreTarget, type FilestoreRestoreResult } from "./filestore.js";
import { pgSession, spawnTool, toolError, pipeInto, type PgSession } from "./pg.js";
import { checkDatabaseTarget, restoreIn, type RestoreOptions, type RestoreResult } from "./restore.js";

/** manifest.json of an Odoo zip backup, keys in Odoo's order. */
export interface OdooManifest {
  odoo_dump: string;
  db_name: string;
  version: string;
  version_info: unknown[];
  major_version: string;
  pg_version: string;
  modules: Record<string, string>;
}

/** What odoo/release.py would say. */
export interface OdooRelease {
  version: string;
  versionInfo: unknown[];
  majorVersion: string;
}

/**
 * Odoo's release info for a series when the exact build is unknown (we do not run Odoo): "17.0"
 * gives version "17.0" and version_info [17, 0, 0, "final", 0, ""]. Neither Odoo's restore nor
 * click-odoo-restoredb read these fields; they are informative.
 */
export function releaseFromMajor(major: string): OdooRelease {
  const saas = /^saas~(\d+)\.(\d+)$/.exec(major);
  if (saas) return { version: major, versionInfo: [`saas~${saas[1]}`, Number(saas[2]), 0, "final", 0, ""], majorVersion: major };
  const m = /^(\d+)\.(\d+)$/.exec(major);
  if (!m) throw new UserError(`not an Odoo series: "${major}"`, { hint: 'Use the form "17.0".' });
  return { version: major, versionInfo: [Number(m[1]), Number(m[2]), 0, "final", 0, ""], majorVersion: major };
}

export function buildManifest(p: { db: string; release: OdooRelease; pgVersion: string; modules: Record<string, string> }): OdooManifest {
  return {
    odoo_dump: "1",
    db_name: p.db,
    version: p.release.version,
    version_info: p.release.versionInfo,
    major_version: p.release.majorVersion,
    pg_version: p.pgVersion,
    modules: p.modules,
  };
}

/** `json.dump(manifest, fh, indent=4)` of Python: 4-space indent, ", " -> ",\n", ASCII only. */
export function manifestJson(m: OdooManifest): string {
  return JSON.stringify(m, null, 4).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** A file to put under filestore/ in the zip. */
export interface ZipFileSource {
  /** Relative to the filestore root ("ab/ab12...", "checklist/ab/ab12..."). */
  path: string;
  mtimeMs?: number;
  mode?: number;
  size?: number;
  open(): Readable | Promise<Readable>;
}

export interface WriteZipParts {
  /** Plain SQL; opened when its turn comes. */
  dumpSql: () => Readable | Promise<Readable>;
  /** Resolved after dump.sql was written (its facts may come from the dump itself). */
  manifest: () => OdooManifest | Promise<OdooManifest>;
  filestore: AsyncIterable<ZipFileSource> | Iterable<ZipFileSource>;
  /** zlib level for every entry. @default 6 (Python's zipfile default) */
  compressionLevel?: number;
  now?: Date;
  progress?: ProgressSink;
}

export interface ZipStats {
  entries: number;
  filestoreFiles: number;
  /** Bytes of the zip file written. */
  bytes: number;
}

async function loadYauzl(): Promise<typeof Yauzl> {
  const m = (await import("yauzl")) as typeof Yauzl & { default?: typeof Yauzl };
  return m.default ?? m;
}

/** Writes an Odoo zip to `output` (a file stream, an HTTP response, a store upload...), entry by entry. */
export async function writeOdooZip(output: Writable, parts: WriteZipParts): Promise<ZipStats> {
  const zip = new ZipWriter(output);
  const now = parts.now ?? new Date();
  const level = parts.compressionLevel ?? 6;
  let filestoreFiles = 0;
  const progress = () => parts.progress?.({ phase: "zip", doneBytes: zip.bytes, doneItems: zip.entries });
  try {
    await zip.add("dump.sql", await parts.dumpSql(), { mtime: now, level });
    progress();
    await zip.add("manifest.json", Readable.from([Buffer.from(manifestJson(await parts.manifest()))]), { mtime: now, level });
    for await (const f of parts.filestore) {
      const rel = safeRelPath(f.path);
      await zip.add(`filestore/${rel}`, await f.open(), { mtime: f.mtimeMs !== undefined ? new Date(f.mtimeMs) : now, mode: f.mode ?? 0o100644, level });
      filestoreFiles += 1;
      if (filestoreFiles % 100 === 0) progress();
    }
    await zip.finish();
    progress();
  } catch (e) {
    // the destination is closed with the error, never left hanging
    output.destroy(e instanceof Error ? e : new Error(String(e)));
    throw e;
  }
  return { entries: zip.entries, filestoreFiles, bytes: zip.bytes };
}

export interface ExportZipOptions {
  /** Database to export. */
  db: string;
  /** <data_dir>/filestore/<db>; omitted or absent: a zip without filestore (as Odoo does). */
  filestoreDir?: string;
  /** Odoo release for the manifest. @default derived from the base module's version */
  release?: OdooRelease;
  compressionLevel?: number;
  progress?: ProgressSink;
}

/**
 * Exports a live database (and its filestore) as an Odoo zip: pg_dump --no-owner streamed
 * straight into the zip; the manifest comes from the dump's own snapshot.
 */
export async function exportOdooZip(platform: BackupPlatform, conn: PgConn, output: Writable, opts: ExportZipOptions): Promise<ZipStats & { manifest: OdooManifest; dump: DumpInfo }> {
  checkDbName(opts.db);
  const io = await filesOf(platform);
  const dump = await dumpDatabase(platform, conn, { db: opts.db, format: "plain", rowCounts: false, progress: opts.progress });
  let manifest: OdooManifest | undefined;
  let info: DumpInfo | undefined;
  try {
    const stats = await writeOdooZip(output, {
      dumpSql: () => dump.stream,
      manifest: async () => {
        info = await dump.done;
        const major = info.odoo?.majorVersion;
        if (!info.odoo) throw new UserError(`database "${opts.db}" is not an Odoo database (no ir_module_module)`);
        const release = opts.release ?? (major ? releaseFromMajor(major) : undefined);
        if (!release) throw new UserError(`cannot tell the Odoo version of "${opts.db}" (base module version unknown)`, { hint: "Pass the Odoo series, e.g. 17.0." });
        manifest = buildManifest({ db: opts.db, release, pgVersion: info.pgVersion, modules: info.odoo.modules });
        return manifest;
      },
      filestore: opts.filestoreDir ? filestoreSources(io, opts.filestoreDir) : [],
      compressionLevel: opts.compressionLevel,
      now: platform.now?.(),
      progress: opts.progress,
    });
    if (!manifest || !info) throw new Error("zip written without manifest");
    return { ...stats, manifest, dump: info };
  } catch (e) {
    dump.abort();
    throw e;
  }
}

/** A local filestore directory as zip sources (sorted; opened one at a time). */
export async function* filestoreSources(io: FileIO, dir: string): AsyncGenerator<ZipFileSource> {
  for await (const f of listFilestore(io, dir)) {
    yield { path: f.path, mtimeMs: f.mtimeMs, mode: f.mode, size: f.size, open: () => io.createReadStream(f.abs) };
  }
}

/**
 * Plain SQL from a custom or directory dump, without a database: `pg_restore --no-owner -f -`.
 * That is what pg_dump --no-owner would have printed, so a snapshot taken in custom format can
 * be exported as an Odoo zip.
 */
export async function plainSqlFromDump(platform: BackupPlatform, source: { format: "custom"; stream: Readable } | { format: "custom"; path: string } | { format: "directory"; dir: string }): Promise<{ stream: Readable; done: Promise<void> }> {
  const s = pgSession(platform, {});
  const args = ["--no-owner", "--file=-"];
  if (source.format === "directory") args.push("--format=directory", source.dir);
  else if ("path" in source) args.push(source.path);
  const proc = await spawnTool(s, "pg_restore", args);
  const feeding = "stream" in source ? pipeInto(proc, source.stream) : (proc.stdin.end(), Promise.resolve());
  const done = (async () => {
    await feeding;
    const r = await proc.done;
    if (r.exitCode !== 0) throw toolError(s, "pg_restore", "conversion of the dump to SQL", r);
  })();
  done.catch(() => undefined);
  // end the SQL stream only once pg_restore succeeded
  const { PassThrough } = await import("node:stream");
  const out = new PassThrough();
  proc.stdout.pipe(out, { end: false });
  proc.stdout.on("end", () => {
    done.then(
      () => out.end(),
      (e: unknown) => out.destroy(e instanceof Error ? e : new Error(String(e))),
    );
  });
  return { stream: out, done };
}

// ---------------------------------------------------------------- reading

export interface ZipEntryInfo {
  name: string;
  size: number;
  compressedSize: number;
  mtime: Date;
}

export interface OdooZip {
  path: string;
  /** manifest.json when present and valid JSON (Odoo itself does not read it on restore). */
  manifest?: OdooManifest;
  /** Every entry in zip order. */
  entries: ZipEntryInfo[];
  /** The entries Odoo's restore extracts: dump.sql and filestore/ (paths relative to filestore/). */
  filestore: ZipEntryInfo[];
  hasDump: boolean;
  open(name: string): Promise<Readable>;
  close(): void;
}

/** Opens an Odoo zip (random access through FileIO: the central directory is at the end). */
export async function openOdooZip(platform: BackupPlatform, path: string): Promise<OdooZip> {
  const yauzl = await loadYauzl();
  const io = await filesOf(platform);
  const st = await io.stat(path);
  if (!st?.isFile) throw new UserError(`${path}: no such file`);
  class Reader extends yauzl.RandomAccessReader {
    override _readStreamForRange(start: number, end: number): Readable {
      return end > start ? io.createReadStream(path, { start, end: end - 1 }) : Readable.from([]);
    }
  }
  let zip: Yauzl.ZipFile;
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(new Reader(), st.size, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false });
  } catch (e) {
    throw new UserError(`${path} is not a readable zip file: ${e instanceof Error ? e.message : String(e)}`, { hint: "Odoo zip backups start with 'PK'; a wrong master password gives an HTML page instead." });
  }
  const byName = new Map<string, Yauzl.Entry>();
  const entries: ZipEntryInfo[] = [];
  try {
    for await (const e of zip.eachEntry()) {
      if (e.fileName.endsWith("/")) continue;
      byName.set(e.fileName, e);
      entries.push({ name: e.fileName, size: e.uncompressedSize, compressedSize: e.compressedSize, mtime: e.getLastModDate() });
    }
  } catch (e) {
    // yauzl refuses absolute and ../ names itself (zip-slip) and damaged directories
    zip.close();
    throw new UserError(`${path} is damaged or unsafe: ${e instanceof Error ? e.message : String(e)}`, { hint: "Nothing was extracted." });
  }
  const open = async (name: string): Promise<Readable> => {
    const e = byName.get(name);
    if (!e) throw new UserError(`${path} has no entry ${name}`);
    return await zip.openReadStreamPromise(e);
  };
  let manifest: OdooManifest | undefined;
  if (byName.has("manifest.json")) {
    const chunks: Buffer[] = [];
    for await (const c of await open("manifest.json")) chunks.push(c as Buffer);
    try {
      manifest = JSON.parse(Buffer.concat(chunks).toString("utf8")) as OdooManifest;
    } catch {
      manifest = undefined;
    }
  }
  const filestore = entries.filter((e) => e.name.startsWith("filestore/") && e.name.length > "filestore/".length).map((e) => ({ ...e, name: safeRelPath(e.name.slice("filestore/".length), `${path}`) }));
  return { path, manifest, entries, filestore, hasDump: byName.has("dump.sql"), open, close: () => zip.close() };
}

/** What a backup file is, by its first bytes. */
export async function backupFileKind(platform: BackupPlatform, path: string): Promise<"zip" | "custom" | "plain" | "plain-gzip" | "plain-zstd" | "unknown"> {
  const io = await filesOf(platform);
  const f = await io.openRandomAccess(path).catch(() => {
    throw new UserError(`${path}: no such file`);
  });
  try {
    const head = Buffer.alloc(16);
    const n = await f.read(head, 0, 16, 0);
    const h = head.subarray(0, n);
    if (h.subarray(0, 4).equals(Buffer.from("PK\x03\x04", "latin1"))) return "zip";
    if (h.subarray(0, 5).toString("latin1") === "PGDMP") return "custom";
    if (h[0] === 0x1f && h[1] === 0x8b) return "plain-gzip";
    if (h[0] === 0x28 && h[1] === 0xb5 && h[2] === 0x2f && h[3] === 0xfd) return "plain-zstd";
    if (PLAIN_SQL_START.test(h.toString("utf8").replace(/^\s+/, ""))) return "plain";
    return "unknown";
  } finally {
    await f.close();
  }
}

export interface ImportOptions extends Omit<RestoreOptions, "beforeSwap"> {
  /** Where the filestore goes (<data_dir>/filestore/<db>); required when the zip has one. */
  filestoreDir?: string;
}

export interface ImportResult {
  kind: "zip" | "custom" | "plain" | "plain-gzip" | "plain-zstd";
  restore: RestoreResult;
  manifest?: OdooManifest;
  filestore?: FilestoreRestoreResult;
}

/**
 * Restores an Odoo backup file as Odoo's restore does: a zip (dump.sql through psql, the
 * filestore into `filestoreDir`) or a custom dump (pg_restore, no filestore). Only dump.sql and
 * filestore/ are read from a zip ("only extract known members!", db.py). Also accepted, for
 * migrations from scripted backups: plain SQL, gzip-compressed or not (`pg_dump | gzip`).
 */
export async function importOdooBackup(platform: BackupPlatform, conn: PgConn, file: string, opts: ImportOptions): Promise<ImportResult> {
  const kind = await backupFileKind(platform, file);
  const s = pgSession(platform, conn);
  if (kind === "custom") {
    const restore = await restoreIn(s, { format: "custom", path: file }, opts);
    return { kind, restore };
  }
  if (kind === "plain" || kind === "plain-gzip" || kind === "plain-zstd") {
    // not an Odoo format, but what `pg_dump | gzip > db.sql.gz` scripts leave behind
    const { stream } = await openPlainSql(s.platform, file, kind);
    const restore = await restoreIn(s, { format: "plain", stream }, opts);
    return { kind, restore };
  }
  if (kind !== "zip") {
    throw new UserError(`${file} is neither an Odoo zip backup nor a pg_dump custom-format dump`, {
      hint: "Odoo's database manager writes both (backup_format zip or dump); an HTML page means the master password was wrong. Plain SQL (.sql, .sql.gz, .sql.zst) is accepted too.",
    });
  }
  return await importZip(s, file, opts);
}

async function importZip(s: PgSession, file: string, opts: ImportOptions): Promise<ImportResult> {
  const zip = await openOdooZip(s.platform, file);
  try {
    if (!zip.hasDump) throw new UserError(`${file} has no dump.sql: not an Odoo zip backup`);
    if (zip.filestore.length && !opts.filestoreDir) {
      throw new UserError(`${file} holds a filestore (${zip.filestore.length} files) but no target directory was given`, {
        hint: "Pass the Odoo data_dir (the filestore goes to <data_dir>/filestore/<db>) or the odoo service of the project.",
      });
    }
    // refuse before doing anything
    await checkDatabaseTarget(s, opts.db, Boolean(opts.force), opts.maintenanceDb);
    const io = await filesOf(s.platform);
    if (opts.filestoreDir && zip.filestore.length) await checkFilestoreTarget(io, opts.filestoreDir, Boolean(opts.force));
    let filestore: FilestoreRestoreResult | undefined;
    const restore = await restoreIn(s, { format: "plain", stream: await zip.open("dump.sql") }, {
      ...opts,
      beforeSwap: async () => {
        if (!opts.filestoreDir || zip.filestore.length === 0) return;
        // a zip's CRC-32 is weak and the file may come from anywhere: check every name against its sha1
        const w = await openFilestoreWriter(s.platform, { dir: opts.filestoreDir, force: opts.force, verifySha1: true, progress: opts.progress });
        try {
          for (const e of zip.filestore) await w.write(e.name, await zip.open(`filestore/${e.name}`), { mtimeMs: e.mtime.getTime() });
          filestore = await w.commit();
        } catch (err) {
          await w.abort();
          throw err;
        }
      },
    });
    return { kind: "zip", restore, manifest: zip.manifest, filestore };
  } finally {
    zip.close();
  }
}

export { majorFromModuleVersion };
