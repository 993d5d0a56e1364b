/**
 * Database dumps with pg_dump, streamed to the caller, plus what verification needs later: the
 * exact row count of every table and the server version, both read in the very snapshot that
 * pg_dump dumps (a psql session exports it with pg_export_snapshot(), pg_dump imports it with
 * --snapshot). Odoo's module list comes from the same snapshot.
 *
 *   const d = await dumpDatabase(platform, { url }, { db: "prod", format: "custom" });
 *   const ref = await repo.putObject(d.stream);   // streamed, never buffered whole
 *   const info = await d.done;                    // rejects if pg_dump failed
 *
 * If pg_dump fails, the stream errors instead of ending, so a consumer never sees a truncated
 * dump as complete.
 */
import { PassThrough, Transform, type Readable, type TransformCallback } from "node:stream";
import { UserError } from "../../errors.js";
import type { ProgressSink } from "../types.js";
import { checkDbName, dbConninfo, type PgConn } from "./conn.js";
import { filesOf, walkFiles, joinPath, type BackupPlatform } from "./files.js";
import { pgSession, spawnTool, toolError, type PgSession } from "./pg.js";
import { PsqlSession } from "./session.js";
import { IS_ODOO_SQL, MODULES_SQL, odooPgVersion, ROW_COUNTS_SQL, rowCountsFromRows, SERVER_VERSION_SQL } from "./sql.js";

export interface DumpOptions {
  /** Database to dump. @default the connection's database (URL path or PGDATABASE) */
  db?: string;
  /**
   * "custom": one stream (pg_dump -Fc), restorable with pg_restore -j from a file;
   * "directory": one file per table in a temp dir, dumped in parallel (-j);
   * "plain": SQL text (what Odoo's zip holds as dump.sql; written with --no-owner like Odoo).
   */
  format: "custom" | "directory" | "plain";
  /** Parallel jobs of a directory dump. @default 2 */
  jobs?: number;
  /**
   * pg_dump's compression level (-Z, 0-9) for custom and directory dumps (`create` uses
   * DUMP_COMPRESS_LEVEL of service.ts: pg_restore -j then reads a file a tenth the size, and
   * inflates it in its own processes). @default pg_dump's default
   */
  compressLevel?: number;
  /** Count rows exactly (count(*) per table, same snapshot). @default true */
  rowCounts?: boolean;
  /**
   * Give up when a table lock cannot be had within this time (an Odoo module update holds
   * ACCESS EXCLUSIVE locks; a nightly dump must fail loudly, not hang). @default 300000
   */
  lockWaitTimeoutMs?: number;
  /** Directory under which a directory-format dump is written. @default the system temp dir */
  workDir?: string;
  /**
   * Called once the database snapshot is taken, before pg_dump starts: what is read from now on
   * (the filestore) is at least as new as the dump. A directory dump returns only when pg_dump
   * has finished, so this is where work that overlaps it starts.
   */
  onSnapshot?: () => void;
  progress?: ProgressSink;
}

/** Odoo facts read from the dumped snapshot (the fields of Odoo's manifest.json that a database knows). */
export interface OdooDbInfo {
  /** {module: latest_version} of installed modules. */
  modules: Record<string, string>;
  /** "17.0", from the base module's version ("17.0.1.3"). */
  majorVersion?: string;
}

export interface DumpInfo {
  name: string;
  format: "custom" | "directory" | "plain";
  /** "15.18" */
  serverVersion: string;
  serverVersionNum: number;
  /** Odoo's manifest pg_version ("15.0" for 15.18). */
  pgVersion: string;
  /** schema.table -> rows; {} when counting was off. */
  rowCounts: Record<string, number>;
  /** True when counts and dump come from the same exported snapshot. */
  consistent: boolean;
  /** Present for Odoo databases. */
  odoo?: OdooDbInfo;
  /** Bytes pg_dump wrote (all files for a directory dump). */
  bytes: number;
  seconds: number;
}

export interface StreamDump {
  /** pg_dump's output. Ends only after pg_dump exited 0; errors otherwise. */
  stream: Readable;
  /** Resolves after the stream ended and the counts are in. */
  done: Promise<DumpInfo>;
  /** Stops pg_dump and the snapshot session. */
  abort(): void;
}

export interface DirectoryDump {
  /** The dump directory (pg_restore -j accepts it as is). */
  dir: string;
  /** Files relative to `dir`, sorted ("toc.dat", "1234.dat.gz", ...). */
  files: { path: string; size: number }[];
  info: DumpInfo;
  /** Removes the temp dir. */
  cleanup(): Promise<void>;
}

export async function dumpDatabase(platform: BackupPlatform, conn: PgConn, opts: DumpOptions & { format: "directory" }): Promise<DirectoryDump>;
export async function dumpDatabase(platform: BackupPlatform, conn: PgConn, opts: DumpOptions & { format: "custom" | "plain" }): Promise<StreamDump>;
export async function dumpDatabase(platform: BackupPlatform, conn: PgConn, opts: DumpOptions): Promise<StreamDump | DirectoryDump> {
  const s = pgSession(platform, conn);
  const db = opts.db ?? s.conn.database;
  if (!db) throw new UserError("no database to dump", { hint: "Name it in the URL (postgres://host/dbname), with PGDATABASE, or with --db." });
  checkDbName(db);
  if (opts.format === "directory" && s.conn.via) {
    // pg_dump --file would write into the container's file system, not this host's.
    throw new UserError(`A directory-format dump cannot be made through docker compose exec (${s.conn.description})`, {
      hint: "Use the custom format (--dump-format custom), or publish the db port on 127.0.0.1 and pass --db postgres://user:password@127.0.0.1:port/db.",
    });
  }
  const started = Date.now();
  const snap = await openSnapshot(s, db);
  opts.onSnapshot?.();
  const args = pgDumpArgs(db, opts, snap.snapshot);
  if (opts.format === "directory") {
    try {
      return await dumpToDirectory(s, db, opts, args, snap, started);
    } catch (e) {
      snap.session.kill();
      throw e;
    }
  }
  return await dumpToStream(s, db, opts, args, snap, started);
}

interface Snapshot {
  session: PsqlSession;
  snapshot?: string;
  serverVersion: string;
  serverVersionNum: number;
  isOdoo: boolean;
}

async function openSnapshot(s: PgSession, db: string): Promise<Snapshot> {
  let session = await PsqlSession.open(s, db);
  try {
    const [v] = await session.json<{ v: string; num: number }[]>(SERVER_VERSION_SQL);
    const [o] = await session.json<{ odoo: boolean }[]>(IS_ODOO_SQL);
    let snapshot: string | undefined;
    try {
      await session.ask("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;");
      snapshot = (await session.ask("SELECT pg_export_snapshot();")).trim() || undefined;
    } catch {
      // e.g. a transaction-pooling proxy: psql (ON_ERROR_STOP) has exited. The dump still
      // works; the counts come from a fresh session and are then only "close" (consistent: false).
      session.kill();
      session = await PsqlSession.open(s, db);
      snapshot = undefined;
    }
    return { session, snapshot, serverVersion: v?.v ?? "", serverVersionNum: v?.num ?? 0, isOdoo: Boolean(o?.odoo) };
  } catch (e) {
    session.kill();
    throw e;
  }
}

export function pgDumpArgs(db: string, opts: DumpOptions, snapshot: string | undefined): string[] {
  const args = [`--format=${opts.format}`];
  if (opts.format === "plain") args.push("--no-owner");
  if (opts.format === "directory") args.push(`--jobs=${Math.max(1, opts.jobs ?? 2)}`);
  if (opts.compressLevel !== undefined && opts.format !== "plain") args.push(`--compress=${opts.compressLevel}`);
  args.push(`--lock-wait-timeout=${opts.lockWaitTimeoutMs ?? 300_000}`);
  if (snapshot) args.push(`--snapshot=${snapshot}`);
  args.push(`--dbname=${dbConninfo(db)}`);
  return args;
}

/** Counts and Odoo facts, read in the exported snapshot, then the session ends. */
async function readFacts(snap: Snapshot, countRows: boolean): Promise<{ rowCounts: Record<string, number>; odoo?: OdooDbInfo }> {
  const rowCounts = countRows ? rowCountsFromRows(await snap.session.json<{ t: string; n: number }[]>(ROW_COUNTS_SQL)) : {};
  let odoo: OdooDbInfo | undefined;
  if (snap.isOdoo) {
    const mods = await snap.session.json<{ name: string; version: string | null }[]>(MODULES_SQL);
    const modules: Record<string, string> = {};
    for (const m of mods) modules[m.name] = m.version ?? "";
    odoo = { modules, majorVersion: majorFromModuleVersion(modules.base) };
  }
  return { rowCounts, odoo };
}

/** "17.0.1.3" -> "17.0"; "saas~17.2.1.3" -> "saas~17.2". */
export function majorFromModuleVersion(v: string | undefined): string | undefined {
  const m = v ? /^((?:saas~)?\d+\.\d+)\./.exec(v) : null;
  return m?.[1];
}

class CountingUntilExit extends Transform {
  bytes = 0;
  constructor(
    private readonly exited: Promise<Error | undefined>,
    private readonly onBytes?: (n: number) => void,
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes?.(this.bytes);
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    // Hold the end of the stream until pg_dump's exit status is known.
    this.exited.then((err) => cb(err ?? null), (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))));
  }
}

async function dumpToStream(s: PgSession, db: string, opts: DumpOptions, args: string[], snap: Snapshot, started: number): Promise<StreamDump> {
  const proc = await spawnTool(s, "pg_dump", args);
  const exited = proc.done.then((r) => (r.exitCode === 0 ? undefined : toolError(s, "pg_dump", `dump of database "${db}"`, r)));
  const counter = new CountingUntilExit(exited, opts.progress ? (n) => opts.progress?.({ phase: "dump", doneBytes: n }) : undefined);
  const out = new PassThrough();
  proc.stdout.pipe(counter).pipe(out);
  counter.on("error", (e) => out.destroy(e));
  const facts = readFacts(snap, opts.rowCounts !== false);
  let aborted = false;
  const done = (async (): Promise<DumpInfo> => {
    try {
      const err = await exited;
      if (err) throw err;
      if (aborted) throw new Error("dump aborted");
      const f = await facts;
      await snap.session.close();
      return {
        name: db,
        format: opts.format,
        serverVersion: snap.serverVersion,
        serverVersionNum: snap.serverVersionNum,
        pgVersion: odooPgVersion(snap.serverVersionNum),
        rowCounts: f.rowCounts,
        consistent: snap.snapshot !== undefined,
        odoo: f.odoo,
        bytes: counter.bytes,
        seconds: (Date.now() - started) / 1000,
      };
    } catch (e) {
      // tool errors are masked where they are made
      snap.session.kill();
      throw e;
    }
  })();
  // A consumer that only reads the stream must not crash the process with an unhandled rejection.
  done.catch(() => undefined);
  facts.catch(() => undefined);
  return {
    stream: out,
    done,
    abort: () => {
      aborted = true;
      proc.kill();
      snap.session.kill();
      out.destroy(new Error("dump aborted"));
    },
  };
}

async function dumpToDirectory(s: PgSession, db: string, opts: DumpOptions, args: string[], snap: Snapshot, started: number): Promise<DirectoryDump> {
  const io = await filesOf(s.platform);
  const parent = await io.mkdtemp("doodba-ops-dump-", opts.workDir);
  const dir = joinPath(parent, "dump");
  const cleanup = async () => io.rm(parent);
  try {
    const proc = await spawnTool(s, "pg_dump", [...args.slice(0, -1), `--file=${dir}`, args[args.length - 1] as string]);
    proc.stdout.resume();
    const facts = readFacts(snap, opts.rowCounts !== false);
    facts.catch(() => undefined);
    const r = await proc.done;
    if (r.exitCode !== 0) throw toolError(s, "pg_dump", `dump of database "${db}"`, r);
    const f = await facts;
    await snap.session.close();
    const files: { path: string; size: number }[] = [];
    let bytes = 0;
    for await (const file of walkFiles(io, dir)) {
      const st = await io.stat(file.abs);
      const size = st?.size ?? 0;
      bytes += size;
      files.push({ path: file.path, size });
    }
    opts.progress?.({ phase: "dump", doneBytes: bytes, doneItems: files.length, totalItems: files.length });
    return {
      dir,
      files,
      cleanup,
      info: {
        name: db,
        format: "directory",
        serverVersion: snap.serverVersion,
        serverVersionNum: snap.serverVersionNum,
        pgVersion: odooPgVersion(snap.serverVersionNum),
        rowCounts: f.rowCounts,
        consistent: snap.snapshot !== undefined,
        odoo: f.odoo,
        bytes,
        seconds: (Date.now() - started) / 1000,
      },
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
