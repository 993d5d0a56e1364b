/**
 * Backup orchestration: what `doodba-ops backup <subcommand>` does, on top of the repository
 * (./repo: objects, snapshots, lock, verify, prune) and the Odoo/PostgreSQL side (./odoo: dump,
 * restore, neutralise, copy, Odoo zip). The CLI (src/cli/commands/backup.ts) only parses flags,
 * asks for confirmations and prints.
 *
 * create: lock -> export a database snapshot (pg_dump runs in it) -> stream the dump into the
 * repository while the filestore is backed up alongside (only files changed since the previous
 * snapshot of the same database are read) -> write the manifest last -> unlock. The filestore is
 * listed after the database snapshot is taken: every attachment row the dump holds has its file
 * (Odoo writes the file before it commits the row).
 */
import { availableParallelism } from "node:os";
import { posix } from "node:path";
import type { Readable, Writable } from "node:stream";
import { UserError } from "../errors.js";
import type { Platform } from "../platform/index.js";
import { VERSION } from "../version.js";
import { openStore } from "./stores/index.js";
import { backupFilestore, scanFilestore, generateKey, initRepo, openRepo, recipientOf, type FilestoreScan, type PruneResult, type SnapshotSummary, type Repo, type RetentionPlan, type RetentionPolicy, type VerifyReport } from "./repo/index.js";
import { dumpDatabase, type DirectoryDump, type DumpInfo } from "./odoo/dump.js";
import { filesOf, joinPath, type BackupPlatform } from "./odoo/files.js";
import type { PgConn } from "./odoo/conn.js";
import { databaseExists, pgSession, query } from "./odoo/pg.js";
import { restoreDatabase, startSpool, type CustomDump, type RestoreSource } from "./odoo/restore.js";
import type { NeutralizeReport } from "./odoo/neutralize.js";
import { checkFilestoreTarget, openFilestoreWriter, type FilestoreRestoreResult } from "./odoo/filestore.js";
import { restoreTest, PlainDumpRowCounter } from "./odoo/verify.js";
import { openPlainSql } from "./odoo/plain.js";
import { buildManifest, openOdooZip, backupFileKind, plainSqlFromDump, releaseFromMajor, writeOdooZip, type ZipFileSource } from "./odoo/zip.js";
import { ByteBudget, mapLimit } from "./repo/limit.js";
import { MANIFEST_FORMAT_VERSION, type DatabaseDump, type FilestoreEntry, type ObjectRef, type ProgressSink, type SnapshotManifest } from "./types.js";
import { maskSecrets, maskUrl, type DbSource, type FilestoreSource } from "./sources.js";

/** What every operation needs: effects, the repository location and key, progress and log sinks. */
export interface BackupContext {
  platform: Platform;
  repoUrl: string;
  /** age identities (AGE-SECRET-KEY-1...). */
  identities: string[];
  progress: ProgressSink;
  /** One line for stderr. */
  log: (line: string) => void;
}

/**
 * Plaintext bytes in flight in the repository (chunks being hashed, compressed, encrypted,
 * stored). Each chunk briefly exists two or three times (plain, compressed, encrypted, in pooled
 * buffers where possible), and the dump and the filestore share it. 8 MiB (eight 1 MiB chunks)
 * backed up the benchmark as fast as 16 MiB did, with a peak RSS 6 MB lower (bench/README.md).
 * DOODBA_OPS_MEMORY_BUDGET_MIB overrides it.
 */
export const MEMORY_BUDGET = 8 << 20;

async function open(ctx: BackupContext, opts: { needRead?: boolean } = {}): Promise<Repo> {
  const store = openStore(ctx.repoUrl, { environ: ctx.platform.environ });
  const mib = Number(ctx.platform.environ.DOODBA_OPS_MEMORY_BUDGET_MIB);
  const memoryBudget = Number.isFinite(mib) && mib >= 1 ? mib << 20 : MEMORY_BUDGET;
  const conc = Number(ctx.platform.environ.DOODBA_OPS_CONCURRENCY);
  const concurrency = Number.isInteger(conc) && conc >= 1 ? conc : undefined;
  const repo = await openRepo(store, { identity: ctx.identities, now: ctx.platform.now, randomBytes: ctx.platform.randomBytes, memoryBudget, concurrency });
  if (opts.needRead && !repo.canRead) {
    throw new UserError(`The repository at ${maskUrl(store.description)} is encrypted and no age identity was given`, {
      hint: "Pass --identity-file <file with AGE-SECRET-KEY-1...>, or set DOODBA_OPS_AGE_IDENTITY_FILE / DOODBA_OPS_AGE_IDENTITY.",
    });
  }
  return repo;
}

/** A connection for the ./odoo tools: libpq variables only (no password in argv or URL); inside the db container for "compose-exec". */
export function pgConn(db: DbSource): PgConn {
  if (db.kind === "compose-exec" && db.compose) return { env: { ...db.env }, via: { kind: "compose-exec", ...db.compose } };
  return { env: { ...db.env } };
}

// ---------------------------------------------------------------------------------------------
// init

export interface InitResult {
  id: string;
  description: string;
  encryption: "age" | "none";
  recipients: string[];
  /** Path of an identity file created for the repository. */
  identityCreated?: string;
}

export async function initRepository(platform: Platform, opts: { repoUrl: string; recipients: string[]; identityFile?: string; encrypt: boolean }): Promise<InitResult> {
  const recipients = [...opts.recipients];
  let identityCreated: string | undefined;
  if (opts.identityFile) {
    const fs = platform.fs;
    if (fs.exists(opts.identityFile)) {
      const keys = fs
        .readText(opts.identityFile)
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l.startsWith("AGE-SECRET-KEY-"));
      if (keys.length === 0) throw new UserError(`${opts.identityFile} holds no age identity (AGE-SECRET-KEY-1...)`);
      for (const k of keys) recipients.push(await recipientOf(k));
    } else {
      const key = await generateKey();
      const dir = posix.dirname(posix.resolve(opts.identityFile));
      if (fs.mkdirp) await fs.mkdirp(dir);
      const created = (platform.now?.() ?? new Date()).toISOString();
      await fs.writeText(opts.identityFile, `# created: ${created} by doodba-ops ${VERSION} backup init\n# public key: ${key.recipient}\n${key.identity}\n`, 0o600);
      if (fs.chmod) await fs.chmod(opts.identityFile, 0o600);
      recipients.push(key.recipient);
      identityCreated = opts.identityFile;
    }
  }
  const store = openStore(opts.repoUrl, { environ: platform.environ });
  const repo = await initRepo(store, {
    encryption: opts.encrypt ? { kind: "age", recipients: [...new Set(recipients)] } : { kind: "none" },
    now: platform.now,
    randomBytes: platform.randomBytes,
  });
  return {
    id: repo.config.id,
    description: maskUrl(store.description),
    encryption: repo.config.encryption.kind,
    recipients: repo.config.encryption.kind === "age" ? repo.config.encryption.recipients : [],
    ...(identityCreated ? { identityCreated } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// create

export interface CreateOptions {
  db: DbSource;
  filestore?: FilestoreSource;
  tags: Record<string, string>;
  /**
   * pg_dump format: "custom" streams one archive into the repository; "directory" dumps with
   * `pg_dump -j` into a temp dir and stores each file as its own object.
   * @default chooseDumpFormat(): directory on >= 4 CPUs for a database of >= 1 GiB, else custom
   */
  dumpFormat?: DumpFormat;
  /** pg_dump --jobs of a directory dump. @default defaultDumpJobs(CPUs) */
  jobs?: number;
}

export type DumpFormat = "custom" | "directory";

/** A database from this size (pg_database_size) is dumped in directory format when the CPUs allow it. */
export const DIRECTORY_DUMP_MIN_BYTES = 1 << 30;
/** Fewer CPUs than this: always custom (pg_dump -j and the filestore would fight for the cores). */
export const DIRECTORY_DUMP_MIN_CPUS = 4;

/**
 * The dump format when none is asked for: parallel `pg_dump -j` pays once there are cores to
 * spare (the filestore is read at the same time) and the database is large enough for the
 * per-table split to matter; otherwise the custom format streams straight into the repository
 * with no temp space.
 */
export function chooseDumpFormat(p: { cpus: number; dbBytes?: number }): DumpFormat {
  return p.cpus >= DIRECTORY_DUMP_MIN_CPUS && (p.dbBytes ?? 0) >= DIRECTORY_DUMP_MIN_BYTES ? "directory" : "custom";
}

/** pg_dump -j of a directory dump: one core left for the filestore, at most 8, at least 2. */
export function defaultDumpJobs(cpus: number): number {
  return Math.min(8, Math.max(2, cpus - 1));
}

/** pg_database_size of the database, or undefined when it cannot be read (the dump then decides nothing from it). */
async function databaseBytes(platform: BackupPlatform, db: DbSource): Promise<number | undefined> {
  try {
    const [r] = await query<{ n: number }>(pgSession(platform, pgConn(db)), db.name, "SELECT pg_database_size(current_database())::bigint AS n");
    return typeof r?.n === "number" ? r.n : undefined;
  } catch {
    return undefined;
  }
}

export interface CreateResult {
  manifest: SnapshotManifest;
  /** Seconds per phase (they overlap: the filestore is read while the dump streams). */
  phases: Record<string, number>;
}

const since = (t: number): number => Math.round((Date.now() - t) / 10) / 100;

/**
 * An incremental filestore pass that reads at most this much runs before the dump is read rather
 * than beside it (createBackup): it is over in a second or two, and on two cores it took 3x longer
 * while the dump was being hashed on the same thread (bench/README.md).
 */
export const SERIAL_FILESTORE_MAX_BYTES = 128 << 20;

export async function createBackup(ctx: BackupContext, opts: CreateOptions): Promise<CreateResult> {
  const started = Date.now();
  const repo = await open(ctx);
  const platform = ctx.platform as BackupPlatform;
  const secrets = [opts.db.env.PGPASSWORD];
  const phases: Record<string, number> = {};
  try {
    return await repo.withLock({ purpose: "backup", onWarning: (m) => ctx.log(`doodba-ops: ${m}`) }, async () => {
      repo.resetCounters();
      let previous: SnapshotManifest | undefined;
      if (opts.filestore) {
        if (repo.canRead) previous = await repo.latestSnapshot((s) => s.filestore?.db === opts.db.name);
        else ctx.log("doodba-ops: no age identity given: the previous snapshot cannot be read, so every filestore file is read again (objects are still stored once)");
      }
      const tDb = Date.now();
      // docker compose exec: pg_dump runs in the container and streams to stdout; a directory
      // dump would be written inside the container, so the default is the custom format there.
      if (opts.db.kind === "compose-exec" && opts.dumpFormat === undefined) opts = { ...opts, dumpFormat: "custom" };
      const cpus = availableParallelism();
      const format = opts.dumpFormat ?? chooseDumpFormat({ cpus, dbBytes: cpus >= DIRECTORY_DUMP_MIN_CPUS ? await databaseBytes(platform, opts.db) : undefined });
      // Started once the database snapshot is exported: every attachment row the dump holds has its file.
      const startFilestore = (scan?: FilestoreScan) =>
        opts.filestore
          ? (async () => {
              const t = Date.now() - (scan ? scan.seconds * 1000 : 0);
              const r = await backupFilestore(repo, opts.filestore?.path ?? "", previous?.filestore?.files, ctx.progress, scan);
              phases.filestore = since(t);
              return r;
            })()
          : undefined;
      let fsWork: ReturnType<typeof startFilestore>;
      let dumpFiles: DatabaseDump["files"];
      let info: DumpInfo;
      if (format === "directory") {
        // pg_dump -j writes one file per table into a private temp dir; each file becomes an object.
        let dir: DirectoryDump | undefined;
        try {
          dir = await dumpDatabase(platform, pgConn(opts.db), {
            db: opts.db.name,
            format: "directory",
            jobs: opts.jobs ?? defaultDumpJobs(cpus),
            compressLevel: DUMP_COMPRESS_LEVEL,
            progress: ctx.progress,
            onSnapshot: () => {
              fsWork = startFilestore();
              fsWork?.catch(() => undefined);
            },
          });
          const d = dir;
          const io = await filesOf(platform);
          const total = d.files.reduce((a, f) => a + f.size, 0);
          let doneItems = 0;
          let doneBytes = 0;
          dumpFiles = await mapLimit(d.files, 4, async (f) => {
            const object = await repo.putObject(io.createReadStream(joinPath(d.dir, f.path)));
            doneItems++;
            doneBytes += f.size;
            ctx.progress({ phase: "store dump", doneItems, totalItems: d.files.length, doneBytes, totalBytes: total });
            return { path: f.path, object };
          });
          dumpFiles.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
          info = d.info;
        } catch (e) {
          await (fsWork as Promise<unknown> | undefined)?.catch(() => undefined);
          throw e;
        } finally {
          await dir?.cleanup().catch(() => undefined);
        }
      } else {
        const dump = await dumpDatabase(platform, pgConn(opts.db), { db: opts.db.name, format: "custom", compressLevel: DUMP_COMPRESS_LEVEL, progress: ctx.progress });
        // The snapshot is exported: the filestore is listed now. A small incremental pass (little
        // new since the previous snapshot) runs before the dump is read: pg_dump waits on its pipe
        // meanwhile (its snapshot is taken), so the pass does not share the CPU with the dump's
        // hashing. A large one (a first backup) overlaps with the dump.
        let dumpRef;
        try {
          if (opts.filestore && previous?.filestore) {
            const scan = await scanFilestore(opts.filestore.path, previous.filestore.files);
            fsWork = startFilestore(scan);
            if (scan.changedBytes <= SERIAL_FILESTORE_MAX_BYTES) await fsWork;
          } else fsWork = startFilestore();
        } catch (e) {
          dump.abort();
          throw e;
        }
        fsWork?.catch(() => dump.abort());
        try {
          dumpRef = await repo.putObject(dump.stream);
        } catch (e) {
          dump.abort();
          await fsWork?.catch(() => undefined);
          throw e;
        }
        info = await dump.done;
        dumpFiles = [{ path: "dump", object: dumpRef }];
      }
      phases.database = since(tDb);
      const fsResult = await fsWork;
      const dumpBytes = dumpFiles.reduce((a, f) => a + f.object.size, 0);
      const database: DatabaseDump = {
        name: opts.db.name,
        format,
        files: dumpFiles,
        serverVersion: info.serverVersion,
        rowCounts: info.rowCounts,
      };
      const c = repo.counters;
      const manifest: SnapshotManifest = {
        formatVersion: MANIFEST_FORMAT_VERSION,
        id: repo.newSnapshotId(),
        createdAt: (ctx.platform.now?.() ?? new Date()).toISOString(),
        tags: { ...opts.tags, tool: `doodba-ops ${VERSION}` },
        database,
        ...(fsResult ? { filestore: { db: opts.db.name, files: fsResult.files, totalBytes: fsResult.totalBytes } } : {}),
        ...(info.odoo ? { odoo: { majorVersion: info.odoo.majorVersion, pgVersion: info.pgVersion, modules: info.odoo.modules } } : {}),
        stats: {
          files: fsResult?.files.length ?? 0,
          bytes: dumpBytes + (fsResult?.totalBytes ?? 0),
          newObjects: c.newObjects,
          newBytes: c.newBytes,
          seconds: since(started),
          bytesRead: c.bytesRead,
          bytesUploaded: c.bytesUploaded,
          reusedObjects: c.reusedObjects,
          unchangedFiles: c.unchangedFiles,
        },
      };
      await repo.writeSnapshot(manifest);
      return { manifest, phases };
    });
  } catch (e) {
    if (e instanceof Error) e.message = maskSecrets(maskUrl(e.message), secrets);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// list / show

export interface SnapshotRow {
  id: string;
  createdAt: string;
  tags: Record<string, string>;
  database?: string;
  dumpBytes: number;
  files: number;
  filestoreBytes: number;
  odoo?: string;
  stats: SnapshotManifest["stats"];
}

/** A manifest (or the repository's summary of it) as one row of `backup list`. */
export function summarize(m: SnapshotManifest | SnapshotSummary): SnapshotRow {
  const full = m as SnapshotManifest;
  const sum = m as SnapshotSummary;
  const dumpBytes = Array.isArray(full.database?.files) ? full.database.files.reduce((a, f) => a + f.object.size, 0) : (sum.database?.bytes ?? 0);
  const files = Array.isArray(full.filestore?.files) ? full.filestore.files.length : (sum.filestore?.files ?? 0);
  return {
    id: m.id,
    createdAt: m.createdAt,
    tags: m.tags,
    ...(m.database?.name ? { database: m.database.name } : {}),
    dumpBytes,
    files,
    filestoreBytes: m.filestore?.totalBytes ?? 0,
    ...(m.odoo?.majorVersion ? { odoo: m.odoo.majorVersion } : {}),
    stats: m.stats,
  };
}

/** Snapshots, oldest first (from the repository's summaries: no object is read). */
export async function listBackups(ctx: BackupContext): Promise<SnapshotManifest[]> {
  const repo = await open(ctx, { needRead: true });
  // Summaries have the list's fields; the full manifest is read by show.
  return (await repo.listSnapshots()) as unknown as SnapshotManifest[];
}

export async function showBackup(ctx: BackupContext, id: string): Promise<SnapshotManifest> {
  const repo = await open(ctx, { needRead: true });
  return await repo.readSnapshot(id);
}

// ---------------------------------------------------------------------------------------------
// verify

export interface VerifyOutcome {
  ok: boolean;
  snapshots: number;
  objects: number;
  bytesRead: number;
  /** One line per problem, naming the object, what it holds and the snapshots that need it. */
  problems: string[];
  unreferencedObjects: number;
  restoreTest?: { snapshot: string; database: string; tables: number; mismatches: string[]; seconds: number };
  report: VerifyReport;
}

export function problemLines(r: VerifyReport): string[] {
  const out: string[] = [];
  for (const p of [...r.missing, ...r.corrupt]) {
    out.push(`${p.key}: ${p.problem} (${p.usedBy.join("; ")}; snapshot${p.snapshots.length > 1 ? "s" : ""} ${p.snapshots.map((s) => s.slice(0, 8)).join(", ")})`);
  }
  for (const b of r.brokenSnapshots) out.push(`snapshot ${b.id}: ${b.problem}`);
  return out;
}

export async function verifyRepository(ctx: BackupContext, opts: { readData: boolean; restoreTest?: { server: DbSource; snapshot?: string; unaccent?: boolean } }): Promise<VerifyOutcome> {
  const repo = await open(ctx, { needRead: true });
  const report = await repo.verify({ readData: opts.readData }, ctx.progress);
  const out: VerifyOutcome = {
    ok: report.ok,
    snapshots: report.snapshots,
    objects: report.objects,
    bytesRead: report.checkedBytes,
    problems: problemLines(report),
    unreferencedObjects: report.unreferencedObjects,
    report,
  };
  if (opts.restoreTest) {
    const m = await repo.readSnapshot(opts.restoreTest.snapshot ?? "latest");
    const d = m.database;
    if (!d) throw new UserError(`Snapshot ${m.id} has no database to test`);
    const started = Date.now();
    const platform = ctx.platform as BackupPlatform;
    const opened = await restoreSource(platform, repo, d, ctx.progress);
    let r;
    try {
      r = await restoreTest(platform, pgConn(opts.restoreTest.server), opened.source, {
        expected: d.rowCounts,
        progress: ctx.progress,
        ...(d.format === "directory" ? { jobs: DEFAULT_RESTORE_JOBS } : {}),
        ...(opts.restoreTest.unaccent ? { unaccent: true } : {}),
      });
    } finally {
      await opened.cleanup().catch(() => undefined);
    }
    const mismatches = [
      ...r.differences.map((x) => `${x.table}: ${x.expected ?? "absent"} rows at backup time, ${x.actual ?? "absent"} restored`),
    ];
    out.restoreTest = { snapshot: m.id, database: d.name, tables: r.tables, mismatches, seconds: since(started) };
    if (mismatches.length > 0) out.ok = false;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// prune

export async function planPrune(ctx: BackupContext, policy: RetentionPolicy): Promise<RetentionPlan & { policy: RetentionPolicy }> {
  const repo = await open(ctx, { needRead: true });
  const r = await repo.prune(policy, { dryRun: true });
  return { ...r.plan, policy };
}

export async function applyPrune(ctx: BackupContext, plan: RetentionPlan & { policy: RetentionPolicy }): Promise<{ deletedObjects: number; deletedBytes: number; result: PruneResult }> {
  const repo = await open(ctx, { needRead: true });
  const result = await repo.prune(plan.policy, {}, ctx.progress);
  // The plan shown was made without the lock: a backup may have finished since. What was
  // removed is what the locked run decided; tell when it differs.
  const shown = new Set(plan.remove.map((r) => r.id));
  const done = new Set(result.plan.remove.map((r) => r.id));
  if (shown.size !== done.size || [...shown].some((id) => !done.has(id))) {
    ctx.log("doodba-ops: the repository changed since the plan was shown; the retention was applied to its current snapshots");
  }
  return { deletedObjects: result.deletedObjects, deletedBytes: result.unreferencedBytes, result };
}

// ---------------------------------------------------------------------------------------------
// restore

/**
 * The dump of a snapshot as pg_restore/psql input. Custom and plain dumps stream from the
 * repository; a directory dump (pg_dump -j, one object per file) is first written into a private
 * temp dir (0700, files 0600), which `cleanup` removes.
 */
async function restoreSource(platform: BackupPlatform, repo: Repo, d: DatabaseDump, progress?: ProgressSink): Promise<{ source: RestoreSource; cleanup: () => Promise<void> }> {
  if (d.format === "directory") {
    const m = await materializeDirectoryDump(platform, repo, d, progress);
    return { source: { format: "directory", dir: m.dir }, cleanup: m.cleanup };
  }
  const only = d.files.length === 1 ? d.files[0] : undefined;
  if (!only || (d.format !== "custom" && d.format !== "plain")) {
    throw new UserError(`Snapshot dump format ${d.format} with ${d.files.length} files cannot be restored by this version`);
  }
  const stream = repo.openObject(only.object);
  return { source: d.format === "custom" ? { format: "custom", stream } : { format: "plain", stream }, cleanup: async () => undefined };
}

/**
 * Writes the files of a directory-format dump into `<fresh private temp dir>/dump` (or into
 * `into`, which must not exist yet), each checked against its hash as it is read.
 */
async function materializeDirectoryDump(platform: BackupPlatform, repo: Repo, d: DatabaseDump, progress?: ProgressSink, into?: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  if (!d.files.some((f) => f.path === "toc.dat")) throw new UserError(`Snapshot directory dump of ${d.name} has no toc.dat: it cannot be restored`);
  const io = await filesOf(platform);
  const parent = into ?? (await io.mkdtemp("doodba-ops-restore-"));
  const dir = into ?? joinPath(parent, "dump");
  const cleanup = async () => io.rm(parent);
  try {
    await io.mkdirp(dir, 0o700);
    const total = d.files.reduce((a, f) => a + f.object.size, 0);
    let doneItems = 0;
    let doneBytes = 0;
    await mapLimit(d.files, 4, async (f) => {
      const path = joinPath(dir, f.path);
      const slash = f.path.lastIndexOf("/");
      if (slash > 0) await io.mkdirp(joinPath(dir, f.path.slice(0, slash)), 0o700);
      await repo.restoreObject(f.object, io.createWriteStream(path, { mode: 0o600 }));
      doneItems++;
      doneBytes += f.object.size;
      progress?.({ phase: "fetch dump", doneItems, totalItems: d.files.length, doneBytes, totalBytes: total });
    });
    return { dir, cleanup };
  } catch (e) {
    await cleanup().catch(() => undefined);
    throw e;
  }
}

/**
 * pg_dump's own gzip level for the dumps of `create` (custom and directory formats).
 *
 * The dump used to be written uncompressed (-Z0) and compressed by the repository's zstd. Measured
 * on the benchmark's 1.2 GB Odoo database (bench/README.md): -Z0 885 MB in 3.7 s, -Z5 85 MB in
 * 4.8 s (zstd -3 of the -Z0 dump: 75 MB), and pg_restore -j2 of either takes the same time and CPU
 * (11.1 s / 17.9 CPU-s for -Z1, 11.7 s / 17.8 CPU-s for -Z0: inflating costs about what reading
 * ten times the bytes does). What changes is this process's share: a backup hashes and encrypts
 * 85 MB instead of hashing, compressing and encrypting 885 MB, and a restore spools 85 MB instead
 * of decrypting, hashing, decoding and writing 885 MB before pg_restore -j can start, which is on
 * the restore's critical path. The repository stores ~13% more per distinct dump than with zstd.
 * Level 6 (pg_dump's default) is 1.5% smaller than 5 and takes 40% longer.
 */
export const DUMP_COMPRESS_LEVEL = 5;

/**
 * Custom dumps from this size (the size pg_dump wrote, compressed since DUMP_COMPRESS_LEVEL) are
 * restored with pg_restore -j (spooled to a temp file). 16 MiB of gzip-5 dump is about 160 MB of
 * table data; spooling it takes ~0.05 s.
 */
export const SPOOL_MIN_BYTES = 16 << 20;
/**
 * Parallel pg_restore jobs for large dumps, unless --jobs says otherwise: as many as cores, 2 to 4.
 * Even on two cores, with the filestore written at the same time, two jobs won: a restore is
 * partly waiting on I/O (WAL fsyncs), and a second job fills those waits (bench/README.md:
 * database phase 13.9 s -> 11.3 s alone, whole restore 22.9 s -> 19.4 s).
 */
export const DEFAULT_RESTORE_JOBS = Math.min(4, Math.max(2, availableParallelism()));

export interface RestorePlan {
  manifest: SnapshotManifest;
  /** The target server, PGDATABASE = the database to restore into. */
  server: DbSource;
  target: string;
  dbExists: boolean;
  /** Where the filestore goes; undefined: not restored. */
  filestoreDir?: string;
  filestoreExists: boolean;
}

/** Looks at the target (read-only): whether the database and the filestore folder exist. */
export async function planRestore(ctx: BackupContext, opts: { manifest: SnapshotManifest; server: DbSource; filestoreDir?: string }): Promise<RestorePlan> {
  const target = opts.server.name;
  const s = pgSession(ctx.platform as BackupPlatform, pgConn(opts.server));
  let dbExists: boolean;
  try {
    dbExists = await databaseExists(s, target);
  } catch (e) {
    if (e instanceof Error) e.message = maskSecrets(maskUrl(e.message), [opts.server.env.PGPASSWORD]);
    throw e;
  }
  let filestoreExists = false;
  if (opts.filestoreDir) filestoreExists = await checkFilestoreTarget(await filesOf(ctx.platform as BackupPlatform), opts.filestoreDir, true);
  return { manifest: opts.manifest, server: opts.server, target, dbExists, filestoreDir: opts.filestoreDir, filestoreExists };
}

export interface RestoreOutcome {
  snapshot: string;
  database: string;
  replaced: boolean;
  filestoreFiles?: number;
  filestoreDir?: string;
  copied: boolean;
  /** e.g. "3 crons off, 1 mail server off". */
  neutralized?: string;
  warnings: string[];
  seconds: number;
  /** Seconds per phase; they overlap (the filestore is written while the database loads). */
  phases: Record<string, number>;
}

/**
 * Restores: the database into a temporary database (Odoo's steps: template0, unicode, pg_trgm,
 * schema grant), copy/neutralise there, while the filestore is written into a staging folder next
 * to its target; both are swapped into place at the end, so a failure leaves the target untouched.
 */
export async function applyRestore(ctx: BackupContext, plan: RestorePlan, opts: { force: boolean; copy?: boolean; neutralize?: boolean; jobs?: number; unaccent?: boolean }): Promise<RestoreOutcome> {
  const started = Date.now();
  const repo = await open(ctx, { needRead: true });
  const m = plan.manifest;
  const platform = ctx.platform as BackupPlatform;
  if (!m.database) throw new UserError(`Snapshot ${m.id} has no database`);
  const files = plan.filestoreDir ? (m.filestore?.files ?? []) : [];
  const writer = plan.filestoreDir && m.filestore ? await openFilestoreWriter(platform, { dir: plan.filestoreDir, force: opts.force, verifySha1: false }) : undefined;
  let fsDone: Promise<void> | undefined;
  const phases: Record<string, number> = {};
  let failed = false;
  const startFilestore = (): void => {
    if (!writer || failed) return;
    const tFs = Date.now();
    // Memory: every object being read holds up to two chunks (one prefetched); the budget bounds
    // the chunks of all files in flight, like the backup side.
    const chunk = repo.config.chunkSize;
    const budget = new ByteBudget(Math.max(MEMORY_BUDGET, 2 * chunk));
    const total = files.reduce((a, f) => a + f.size, 0);
    let doneBytes = 0;
    let doneItems = 0;
    fsDone = mapLimit(files, repo.concurrency, async (f) => {
      const cost = Math.min(f.size, 2 * chunk);
      await budget.acquire(cost);
      try {
        await writer.writeChunks(f.path, (sink) => repo.readObjectTo(f.object, sink), { mtimeMs: f.mtimeMs, size: f.size });
      } finally {
        budget.release(cost);
      }
      doneItems++;
      doneBytes += f.size;
      if (doneItems % 64 === 0 || doneItems === files.length) ctx.progress({ phase: "restore filestore", doneItems, totalItems: files.length, doneBytes, totalBytes: total });
    }).then(() => {
      phases.filestore = since(tFs);
    });
    fsDone.catch(() => undefined);
  };
  // A large custom dump is spooled to a temp file, then pg_restore reads that file by itself
  // (with -j) while the filestore is written. Streamed instead, the dump is fed by this process's
  // one thread, which the filestore keeps busy: on two cores pg_restore then waited for its input
  // and the database phase took 1.5x as long (bench/README.md). While the spool is written, the
  // database is created and its schema (pre-data) restored from a stream of its own, which reads
  // only the dump's first chunks; the filestore starts once the spool is complete. Small dumps
  // stream; a directory dump is always fetched into a temp dir, so it is restored in parallel
  // whatever its size.
  const dumpSize = m.database.files.reduce((a, f) => a + f.object.size, 0);
  const spoolDump = m.database.format === "custom" && dumpSize >= SPOOL_MIN_BYTES;
  const jobs = opts.jobs ?? (m.database.format === "directory" || spoolDump ? DEFAULT_RESTORE_JOBS : 1);
  const cleanups: (() => Promise<void>)[] = [];
  let fsResult: FilestoreRestoreResult | undefined;
  let tDb = Date.now();
  try {
    // inside the try: a failure to fetch or spool the dump aborts the filestore being staged too
    const opened = await restoreSource(platform, repo, m.database, ctx.progress);
    cleanups.push(opened.cleanup);
    let source = opened.source;
    const dumpObj = m.database.files.length === 1 ? m.database.files[0]?.object : undefined;
    if ((spoolDump || jobs > 1) && source.format === "custom" && "stream" in source && dumpObj) {
      ctx.progress({ phase: "spool dump", totalBytes: dumpSize });
      const t = Date.now();
      const spool = await startSpool(platform, source.stream);
      cleanups.push(spool.cleanup);
      const rest = spool.done.then(
        (): CustomDump => {
          phases.spool = since(t);
          return { format: "custom", path: spool.path };
        },
        async (e: unknown): Promise<CustomDump> => {
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== "ENOSPC" && code !== "EDQUOT" && code !== "EROFS") throw e;
          // no room for the spool file: the data is streamed after all (one pg_restore job), and
          // the part already written is removed first
          await spool.cleanup();
          ctx.log(`doodba-ops: warning: no room to spool the ${Math.round(dumpSize / 1048576)} MiB dump in the temp dir (${code}); streaming it to pg_restore instead (set TMPDIR to a roomier folder to spool it)`);
          return { format: "custom", stream: repo.openObject(dumpObj) };
        },
      );
      // the filestore starts once the dump is in (or has failed): beside the spool it slowed both
      void rest.then(startFilestore, () => undefined);
      // the schema comes from a stream of its own, which reads only the dump's first chunks
      source = { format: "custom", spooling: { head: () => repo.openObject(dumpObj), rest } };
    } else {
      startFilestore();
    }
    tDb = Date.now();
    const r = await restoreDatabase(platform, pgConn(plan.server), source, {
      db: plan.target,
      force: opts.force,
      copy: opts.copy,
      neutralize: opts.neutralize,
      unaccent: opts.unaccent,
      jobs,
      progress: ctx.progress,
      beforeSwap: async () => {
        phases.database = since(tDb);
        if (!writer) return;
        await fsDone;
        fsResult = await writer.commit();
        if (fsResult.sha1Mismatches.length > 0) ctx.log(`doodba-ops: warning: ${fsResult.sha1Mismatches.length} filestore files do not hash to their name (as in the backup): ${fsResult.sha1Mismatches.slice(0, 3).join(", ")}`);
      },
    });
    const n = r.neutralize;
    return {
      snapshot: m.id,
      database: plan.target,
      replaced: r.replaced,
      ...(fsResult ? { filestoreFiles: fsResult.files, filestoreDir: fsResult.dir } : {}),
      copied: Boolean(r.copy),
      ...(n ? { neutralized: describeNeutralize(n) } : {}),
      warnings: r.warnings,
      seconds: since(started),
      phases,
    };
  } catch (e) {
    failed = true;
    if (writer && !fsResult) {
      await fsDone?.catch(() => undefined);
      await writer.abort().catch(() => undefined);
    }
    if (e instanceof Error) e.message = maskSecrets(maskUrl(e.message), [plan.server.env.PGPASSWORD]);
    throw e;
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

function describeNeutralize(n: NeutralizeReport): string {
  const changed = n.applied.filter((a) => a.rows === undefined || a.rows === null || a.rows > 0);
  if (changed.length === 0) return `${n.applied.length} statements of ${n.modules.length} modules, nothing needed changing`;
  return changed.map((a) => `${a.what}${typeof a.rows === "number" ? ` (${a.rows})` : ""}`).join("; ");
}

// ---------------------------------------------------------------------------------------------
// export / import

/** Writes to `path` through a temporary file renamed at the end: never a half-written output. */
async function writeAtomically<T>(platform: BackupPlatform, path: string, fn: (out: Writable) => Promise<T>): Promise<T> {
  const io = await filesOf(platform);
  const tmp = `${path}.doodba-ops-${process.pid}.tmp`;
  const out = io.createWriteStream(tmp, { mode: 0o600 });
  try {
    const finished = new Promise<void>((resolve, reject) => {
      out.on("finish", () => resolve());
      out.on("error", reject);
    });
    // fn may fail first (its pipeline destroys `out` with the same error): handled below, not an
    // unhandled rejection that crashed the process with a stack trace
    finished.catch(() => undefined);
    const r = await fn(out);
    if (!out.writableEnded) out.end();
    await finished;
    await io.fsync(tmp);
    await io.rename(tmp, path);
    return r;
  } catch (e) {
    // A file stream opens its file lazily: wait until it is closed (after the open, when one was
    // still under way), so that the rm below finds the file and no temp file is left behind.
    const closed = out.closed ? Promise.resolve() : new Promise<void>((resolve) => out.once("close", () => resolve()));
    out.destroy();
    await closed;
    await io.rm(tmp).catch(() => undefined);
    throw e;
  }
}

export async function exportBackup(ctx: BackupContext, opts: { id: string; format: "odoo-zip" | "dump"; output: string }): Promise<{ snapshot: string; bytes: number }> {
  const repo = await open(ctx, { needRead: true });
  const platform = ctx.platform as BackupPlatform;
  const m = await repo.readSnapshot(opts.id);
  const d = m.database;
  if (d?.format === "directory") return await exportDirectorySnapshot(ctx, repo, m, d, opts);
  const dumpObj = d?.files.length === 1 ? d.files[0]?.object : undefined;
  if (!d || !dumpObj) throw new UserError(`Snapshot ${m.id} has no single-file database dump to export`);
  if (opts.format === "dump") {
    if (d.format !== "custom") throw new UserError(`Snapshot ${m.id} holds a ${d.format} dump; --format dump needs a pg_dump custom dump`, { hint: "Export it with --format odoo-zip." });
    await writeAtomically(platform, opts.output, async (out) => {
      await repo.restoreObject(dumpObj, out);
    });
    return { snapshot: m.id, bytes: dumpObj.size };
  }
  return await exportOdooZipOf(ctx, repo, m, d, opts.output, async () => (d.format === "plain" ? repo.openObject(dumpObj) : (await plainSqlFromDump(platform, { format: "custom", stream: repo.openObject(dumpObj) })).stream));
}

/**
 * Export of a directory-format snapshot: `--format dump` writes the pg_dump directory itself
 * (`pg_restore -Fd -j N <output>` reads it; there is no way to turn it into a custom file without
 * a server); `--format odoo-zip` gets its dump.sql from `pg_restore -f -` over the fetched files.
 */
async function exportDirectorySnapshot(ctx: BackupContext, repo: Repo, m: SnapshotManifest, d: DatabaseDump, opts: { format: "odoo-zip" | "dump"; output: string }): Promise<{ snapshot: string; bytes: number }> {
  const platform = ctx.platform as BackupPlatform;
  const io = await filesOf(platform);
  if (opts.format === "dump") {
    const existing = await io.stat(opts.output);
    if (existing && !(existing.isDirectory && (await io.stat(joinPath(opts.output, "toc.dat")))?.isFile)) {
      throw new UserError(`${opts.output} exists and is not a pg_dump directory dump; nothing was written`, {
        hint: `Snapshot ${m.id} holds a directory-format dump, which is exported as a directory: choose a path that does not exist.`,
      });
    }
    // Written next to the target, then renamed: never a half-written dump under the output's name.
    const tmp = `${opts.output}.doodba-ops-${process.pid}.tmp`;
    await io.rm(tmp);
    const written = await materializeDirectoryDump(platform, repo, d, ctx.progress, tmp);
    try {
      if (existing) await io.rm(opts.output);
      await io.rename(tmp, opts.output);
    } catch (e) {
      await written.cleanup().catch(() => undefined);
      throw e;
    }
    return { snapshot: m.id, bytes: d.files.reduce((a, f) => a + f.object.size, 0) };
  }
  let fetched: { dir: string; cleanup: () => Promise<void> } | undefined;
  try {
    return await exportOdooZipOf(ctx, repo, m, d, opts.output, async () => {
      fetched = await materializeDirectoryDump(platform, repo, d, ctx.progress);
      return (await plainSqlFromDump(platform, { format: "directory", dir: fetched.dir })).stream;
    });
  } finally {
    await fetched?.cleanup().catch(() => undefined);
  }
}

async function exportOdooZipOf(ctx: BackupContext, repo: Repo, m: SnapshotManifest, d: DatabaseDump, output: string, dumpSql: () => Promise<Readable>): Promise<{ snapshot: string; bytes: number }> {
  const platform = ctx.platform as BackupPlatform;
  const major = m.odoo?.majorVersion;
  if (!major) throw new UserError(`Snapshot ${m.id} does not say which Odoo version it holds (not an Odoo database?)`);
  const stats = await writeAtomically(platform, output, async (out) =>
    writeOdooZip(out, {
      dumpSql,
      manifest: () =>
        buildManifest({ db: d.name, release: m.odoo?.version ? { version: m.odoo.version, versionInfo: m.odoo.versionInfo ?? releaseFromMajor(major).versionInfo, majorVersion: major } : releaseFromMajor(major), pgVersion: m.odoo?.pgVersion ?? d.serverVersion, modules: m.odoo?.modules ?? {} }),
      filestore: (m.filestore?.files ?? []).map((f): ZipFileSource => ({ path: f.path, mtimeMs: f.mtimeMs, size: f.size, open: () => repo.openObject(f.object) })),
      now: ctx.platform.now?.(),
      progress: ctx.progress,
    }),
  );
  return { snapshot: m.id, bytes: stats.bytes };
}

/**
 * Adds an Odoo backup file to the repository as a snapshot, without any database server: a zip's
 * dump.sql is stored as a plain dump (row counts from its COPY blocks) with its filestore and
 * manifest; a .dump as a custom dump (row counts from `pg_restore -f -`). `backup restore` then
 * restores it like any snapshot.
 */
export async function importBackup(ctx: BackupContext, opts: { file: string; as?: string; tags: Record<string, string> }): Promise<SnapshotManifest> {
  const started = Date.now();
  const platform = ctx.platform as BackupPlatform;
  const kind = await backupFileKind(platform, opts.file);
  if (kind === "unknown") {
    throw new UserError(`${opts.file} is neither an Odoo zip backup, a pg_dump custom-format dump nor a plain SQL dump`, {
      hint: "Odoo's database manager writes zip or dump backups (an HTML page means the master password was wrong); plain SQL from pg_dump may be gzip- or zstd-compressed.",
    });
  }
  const repo = await open(ctx);
  return await repo.withLock({ purpose: "import", onWarning: (m) => ctx.log(`doodba-ops: ${m}`) }, async () => {
    repo.resetCounters();
    let database: DatabaseDump;
    let filestore: SnapshotManifest["filestore"];
    let odoo: SnapshotManifest["odoo"];
    const base = posix.basename(opts.file).replace(/\.(zip|dump|sql|sql\.gz|sql\.zst|gz|zst)$/i, "");
    if (kind === "zip") {
      const zip = await openOdooZip(platform, opts.file);
      try {
        if (!zip.hasDump) throw new UserError(`${opts.file} has no dump.sql: not an Odoo zip backup`);
        const name = opts.as ?? zip.manifest?.db_name ?? base;
        const counter = new PlainDumpRowCounter();
        const sql = await zip.open("dump.sql");
        sql.on("data", (c: Buffer) => counter.write(c));
        const ref: ObjectRef = await repo.putObject(sql);
        await new Promise<void>((resolve, reject) => counter.end((e?: Error | null) => (e ? reject(e) : resolve())));
        const mf = zip.manifest;
        database = { name, format: "plain", files: [{ path: "dump.sql", object: ref }], serverVersion: mf?.pg_version ?? "", rowCounts: counter.result() };
        const entries: FilestoreEntry[] = [];
        let doneItems = 0;
        for (const e of zip.filestore) {
          const object = await repo.putObject(await zip.open(`filestore/${e.name}`));
          entries.push({ path: e.name, size: object.size, mtimeMs: e.mtime.getTime(), object });
          doneItems++;
          ctx.progress({ phase: "import filestore", doneItems, totalItems: zip.filestore.length });
        }
        entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
        filestore = { db: name, files: entries, totalBytes: entries.reduce((a, f) => a + f.size, 0) };
        if (mf) odoo = { version: mf.version, versionInfo: mf.version_info, majorVersion: mf.major_version, pgVersion: mf.pg_version, modules: mf.modules };
      } finally {
        zip.close();
      }
    } else if (kind !== "custom") {
      // plain SQL (pg_dump > db.sql, | gzip, | zstd): stored decompressed as a plain dump, restored with psql like a zip's dump.sql
      const name = opts.as ?? base;
      const sql = await openPlainSql(platform, opts.file, kind);
      const counter = new PlainDumpRowCounter();
      sql.stream.on("data", (c: Buffer) => counter.write(c));
      const ref: ObjectRef = await repo.putObject(sql.stream);
      await sql.done;
      await new Promise<void>((resolve, reject) => counter.end((e?: Error | null) => (e ? reject(e) : resolve())));
      database = { name, format: "plain", files: [{ path: "dump.sql", object: ref }], serverVersion: "", rowCounts: counter.result() };
    } else {
      const name = opts.as ?? base;
      const io = await filesOf(platform);
      const ref = await repo.putObject(io.createReadStream(opts.file));
      const counter = new PlainDumpRowCounter();
      const sql = await plainSqlFromDump(platform, { format: "custom", path: opts.file });
      sql.stream.on("data", (c: Buffer) => counter.write(c));
      await new Promise<void>((resolve, reject) => {
        sql.stream.on("end", () => resolve());
        sql.stream.on("error", reject);
      });
      await sql.done;
      await new Promise<void>((resolve, reject) => counter.end((e?: Error | null) => (e ? reject(e) : resolve())));
      database = { name, format: "custom", files: [{ path: "dump", object: ref }], serverVersion: "", rowCounts: counter.result() };
    }
    const c = repo.counters;
    const manifest: SnapshotManifest = {
      formatVersion: MANIFEST_FORMAT_VERSION,
      id: repo.newSnapshotId(),
      createdAt: (ctx.platform.now?.() ?? new Date()).toISOString(),
      tags: { ...opts.tags, imported: posix.basename(opts.file), tool: `doodba-ops ${VERSION}` },
      database,
      ...(filestore ? { filestore } : {}),
      ...(odoo ? { odoo } : {}),
      stats: {
        files: filestore?.files.length ?? 0,
        bytes: database.files.reduce((a, f) => a + f.object.size, 0) + (filestore?.totalBytes ?? 0),
        newObjects: c.newObjects,
        newBytes: c.newBytes,
        seconds: since(started),
        bytesRead: c.bytesRead,
        bytesUploaded: c.bytesUploaded,
        reusedObjects: c.reusedObjects,
      },
    };
    await repo.writeSnapshot(manifest);
    return manifest;
  });
}
