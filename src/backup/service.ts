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
import type { Writable } from "node:stream";
import { UserError } from "../errors.js";
import type { Platform } from "../platform/index.js";
import { VERSION } from "../version.js";
import { openStore } from "./stores/index.js";
import { backupFilestore, generateKey, initRepo, openRepo, recipientOf, type PruneResult, type SnapshotSummary, type Repo, type RetentionPlan, type RetentionPolicy, type VerifyReport } from "./repo/index.js";
import { dumpDatabase } from "./odoo/dump.js";
import { filesOf, type BackupPlatform } from "./odoo/files.js";
import type { PgConn } from "./odoo/conn.js";
import { databaseExists, pgSession } from "./odoo/pg.js";
import { restoreDatabase, spoolToFile, type RestoreSource } from "./odoo/restore.js";
import type { NeutralizeReport } from "./odoo/neutralize.js";
import { checkFilestoreTarget, openFilestoreWriter, type FilestoreRestoreResult } from "./odoo/filestore.js";
import { restoreTest, PlainDumpRowCounter } from "./odoo/verify.js";
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
 * stored). Each chunk briefly exists three times (plain, compressed, encrypted), and the dump and
 * the filestore share it; glibc keeps freed chunks mapped, so RSS grows well past the budget:
 * 16 MiB (two 8 MiB chunks) keeps the process under 200 MB on the benchmark (bench/README.md)
 * at no measurable cost in speed. DOODBA_OPS_MEMORY_BUDGET_MIB overrides it.
 */
export const MEMORY_BUDGET = 16 << 20;

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
}

export interface CreateResult {
  manifest: SnapshotManifest;
  /** Seconds per phase (they overlap: the filestore is read while the dump streams). */
  phases: Record<string, number>;
}

const since = (t: number): number => Math.round((Date.now() - t) / 10) / 100;

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
      const dump = await dumpDatabase(platform, pgConn(opts.db), { db: opts.db.name, format: "custom", compressLevel: 0, progress: ctx.progress });
      // The snapshot is exported: list the filestore now, while the dump streams.
      const fsWork = opts.filestore
        ? (async () => {
            const t = Date.now();
            const r = await backupFilestore(repo, opts.filestore?.path ?? "", previous?.filestore?.files, ctx.progress);
            phases.filestore = since(t);
            return r;
          })()
        : undefined;
      fsWork?.catch(() => dump.abort());
      let dumpRef;
      try {
        dumpRef = await repo.putObject(dump.stream);
      } catch (e) {
        dump.abort();
        await fsWork?.catch(() => undefined);
        throw e;
      }
      const info = await dump.done;
      phases.database = since(tDb);
      const fsResult = await fsWork;
      const database: DatabaseDump = {
        name: opts.db.name,
        format: "custom",
        files: [{ path: "dump", object: dumpRef }],
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
          bytes: dumpRef.size + (fsResult?.totalBytes ?? 0),
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

export async function verifyRepository(ctx: BackupContext, opts: { readData: boolean; restoreTest?: { server: DbSource; snapshot?: string } }): Promise<VerifyOutcome> {
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
    const r = await restoreTest(ctx.platform as BackupPlatform, pgConn(opts.restoreTest.server), restoreSource(repo, d), { expected: d.rowCounts, progress: ctx.progress });
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

/** The dump of a snapshot as pg_restore/psql input, streamed from the repository. */
function restoreSource(repo: Repo, d: DatabaseDump): RestoreSource {
  const only = d.files.length === 1 ? d.files[0] : undefined;
  if (!only || (d.format !== "custom" && d.format !== "plain")) {
    throw new UserError(`Snapshot dump format ${d.format} with ${d.files.length} files cannot be restored by this version`);
  }
  return d.format === "custom" ? { format: "custom", stream: repo.openObject(only.object) } : { format: "plain", stream: repo.openObject(only.object) };
}

/** Custom dumps from this size are restored with pg_restore -j (spooled to a temp file). */
export const SPOOL_MIN_BYTES = 64 << 20;
/**
 * Parallel pg_restore jobs for large dumps, unless --jobs says otherwise: one core stays for the
 * filestore, which is restored at the same time; on two cores or fewer the dump streams (one job).
 */
export const DEFAULT_RESTORE_JOBS = Math.min(4, Math.max(1, availableParallelism() - 1));

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
export async function applyRestore(ctx: BackupContext, plan: RestorePlan, opts: { force: boolean; copy?: boolean; neutralize?: boolean; jobs?: number }): Promise<RestoreOutcome> {
  const started = Date.now();
  const repo = await open(ctx, { needRead: true });
  const m = plan.manifest;
  const platform = ctx.platform as BackupPlatform;
  if (!m.database) throw new UserError(`Snapshot ${m.id} has no database`);
  const files = plan.filestoreDir ? (m.filestore?.files ?? []) : [];
  const writer = plan.filestoreDir && m.filestore ? await openFilestoreWriter(platform, { dir: plan.filestoreDir, force: opts.force, verifySha1: false }) : undefined;
  let fsDone: Promise<void> | undefined;
  const phases: Record<string, number> = {};
  if (writer) {
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
        await writer.write(f.path, repo.openObject(f.object), { mtimeMs: f.mtimeMs });
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
  }
  // pg_restore -j needs a seekable file: a large custom dump is spooled to a temp file first (the
  // time it takes is won back by building indexes in parallel); small ones stream.
  const jobs = opts.jobs ?? (m.database.format === "custom" && (m.database.files[0]?.object.size ?? 0) >= SPOOL_MIN_BYTES ? DEFAULT_RESTORE_JOBS : 1);
  let spool: { path: string; cleanup: () => Promise<void> } | undefined;
  let source = restoreSource(repo, m.database);
  if (jobs > 1 && source.format === "custom" && "stream" in source) {
    ctx.progress({ phase: "spool dump" });
    spool = await spoolToFile(platform, source.stream);
    source = { format: "custom", path: spool.path };
  }
  let fsResult: FilestoreRestoreResult | undefined;
  const tDb = Date.now();
  try {
    const r = await restoreDatabase(platform, pgConn(plan.server), source, {
      db: plan.target,
      force: opts.force,
      copy: opts.copy,
      neutralize: opts.neutralize,
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
    if (writer && !fsResult) {
      await fsDone?.catch(() => undefined);
      await writer.abort().catch(() => undefined);
    }
    if (e instanceof Error) e.message = maskSecrets(maskUrl(e.message), [plan.server.env.PGPASSWORD]);
    throw e;
  } finally {
    await spool?.cleanup().catch(() => undefined);
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
    const r = await fn(out);
    if (!out.writableEnded) out.end();
    await finished;
    await io.fsync(tmp);
    await io.rename(tmp, path);
    return r;
  } catch (e) {
    out.destroy();
    await io.rm(tmp).catch(() => undefined);
    throw e;
  }
}

export async function exportBackup(ctx: BackupContext, opts: { id: string; format: "odoo-zip" | "dump"; output: string }): Promise<{ snapshot: string; bytes: number }> {
  const repo = await open(ctx, { needRead: true });
  const platform = ctx.platform as BackupPlatform;
  const m = await repo.readSnapshot(opts.id);
  const d = m.database;
  const dumpObj = d?.files.length === 1 ? d.files[0]?.object : undefined;
  if (!d || !dumpObj) throw new UserError(`Snapshot ${m.id} has no single-file database dump to export`);
  if (opts.format === "dump") {
    if (d.format !== "custom") throw new UserError(`Snapshot ${m.id} holds a ${d.format} dump; --format dump needs a pg_dump custom dump`, { hint: "Export it with --format odoo-zip." });
    await writeAtomically(platform, opts.output, async (out) => {
      await repo.restoreObject(dumpObj, out);
    });
    return { snapshot: m.id, bytes: dumpObj.size };
  }
  const major = m.odoo?.majorVersion;
  if (!major) throw new UserError(`Snapshot ${m.id} does not say which Odoo version it holds (not an Odoo database?)`);
  const stats = await writeAtomically(platform, opts.output, async (out) =>
    writeOdooZip(out, {
      dumpSql: async () => (d.format === "plain" ? repo.openObject(dumpObj) : (await plainSqlFromDump(platform, { format: "custom", stream: repo.openObject(dumpObj) })).stream),
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
  if (kind !== "zip" && kind !== "custom") {
    throw new UserError(`${opts.file} is neither an Odoo zip backup nor a pg_dump custom-format dump`, {
      hint: "Odoo's database manager writes both (backup format zip or dump); an HTML page means the master password was wrong.",
    });
  }
  const repo = await open(ctx);
  return await repo.withLock({ purpose: "import", onWarning: (m) => ctx.log(`doodba-ops: ${m}`) }, async () => {
    repo.resetCounters();
    let database: DatabaseDump;
    let filestore: SnapshotManifest["filestore"];
    let odoo: SnapshotManifest["odoo"];
    const base = posix.basename(opts.file).replace(/\.(zip|dump)$/i, "");
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
