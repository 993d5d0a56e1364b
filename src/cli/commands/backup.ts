/**
 * `doodba-ops backup <subcommand>`: flags -> typed options -> src/backup/service.ts -> output.
 * Data (tables, JSON) on stdout; progress (bytes, objects, rate) and notes on stderr. Every URL
 * shown is masked; passwords and age identities are never printed.
 *
 * The repository comes from --repo or DOODBA_OPS_REPO; the age identity (to read an encrypted
 * repository) from --identity-file, DOODBA_OPS_AGE_IDENTITY_FILE or DOODBA_OPS_AGE_IDENTITY.
 */
import { posix } from "node:path";
import { UserError } from "../../errors.js";
import type { Platform } from "../../platform/index.js";
import type * as BackupService from "../../backup/service.js";
import { loadProject } from "../../project/index.js";
import type { Progress, ProgressSink, SnapshotManifest } from "../../backup/types.js";
import { dbFromEnviron, dbFromProject, filestoreFromPath, filestoreFromProject, locateVolume, maskUrl, odooUnaccent, parseDbUrl, type DbSource, type FilestoreSource } from "../../backup/sources.js";
import { parseRetention, planSchedule, type ScheduleMode } from "../../backup/schedule.js";
import { loadBackupConfig, type BackupConfig } from "../../backup/config.js";
import { CorruptObjectError, MissingObjectError } from "../../backup/repo/errors.js";
import { applyPlan, hasWork, planChanges, renderChanges } from "../../generate/fileplan.js";
import type {
  BackupCreateCliOptions,
  BackupExportCliOptions,
  BackupImportCliOptions,
  BackupInitCliOptions,
  BackupPruneCliOptions,
  BackupRestoreCliOptions,
  BackupScheduleCliOptions,
  BackupShowCliOptions,
  BackupVerifyCliOptions,
  RepoCliOptions,
} from "./backup-spec.js";

// ---------------------------------------------------------------------------------------------
// Shared helpers

/** Repository URL from the flag, DOODBA_OPS_REPO or `backup.repo` of .doodba-ops.yaml. @throws UserError when none is set. */
export function repoUrl(platform: Platform, opts: { repo?: string }, cfg?: BackupConfig): string {
  const url = opts.repo ?? platform.environ.DOODBA_OPS_REPO ?? cfg?.repo;
  if (!url) {
    throw new UserError("No backup repository given", {
      hint: "Pass --repo <dir | file:///path | s3://bucket/prefix?endpoint=...>, set DOODBA_OPS_REPO, or write `backup: {repo: ...}` in the project's .doodba-ops.yaml.",
      next: "doodba-ops backup init --repo /srv/backups/acme --age-identity-file ~/.config/doodba-ops/age.key",
    });
  }
  return url;
}

/**
 * age identities (AGE-SECRET-KEY-1...) from --identity-file, DOODBA_OPS_AGE_IDENTITY_FILE,
 * DOODBA_OPS_AGE_IDENTITY, or `backup.identity-file` of .doodba-ops.yaml, in that order.
 */
export function identities(platform: Platform, opts: { identityFile?: string }, cfg?: BackupConfig): string[] {
  const file = opts.identityFile ?? platform.environ.DOODBA_OPS_AGE_IDENTITY_FILE ?? (platform.environ.DOODBA_OPS_AGE_IDENTITY ? undefined : cfg?.identityFile);
  let text: string | undefined;
  if (file) {
    try {
      text = platform.fs.readText(file);
    } catch {
      throw new UserError(`Cannot read the age identity file ${file}`, { hint: "Check the path and its permissions (it should be 0600 and readable by this user)." });
    }
  } else text = platform.environ.DOODBA_OPS_AGE_IDENTITY;
  if (!text) return [];
  const keys = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  for (const k of keys) {
    if (!/^AGE-SECRET-KEY-1[0-9A-Z]+$/.test(k) && !/^AGE-SECRET-KEY-PQ-1[0-9A-Z]+$/.test(k)) {
      throw new UserError(`${file ? `The age identity file ${file}` : "DOODBA_OPS_AGE_IDENTITY"} holds a line that is not an age identity`, {
        hint: "An age identity is one line starting with AGE-SECRET-KEY-1 (as written by age-keygen); comments start with #.",
      });
    }
  }
  return keys;
}

function fmtBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}

function fmtSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${Math.round(s - m * 60)} s`;
}

/**
 * Progress on stderr: on a terminal one line rewritten in place (the phases running at the same
 * time side by side: the filestore is read while the dump streams); otherwise a line when a
 * phase starts and at most one every 10 s, so logs of scheduled runs stay short.
 */
export function progressRenderer(platform: Platform, enabled = true): { sink: ProgressSink; end(): void } {
  const tty = platform.isTTY;
  const clock = (): number => (platform.now?.() ?? new Date()).getTime();
  const phases = new Map<string, { p: Progress; start: number }>();
  let last = 0;
  let pending = false;
  const text = (p: Progress, start: number): string => {
    const parts: string[] = [p.phase];
    if (p.doneItems !== undefined) parts.push(`${p.doneItems}${p.totalItems !== undefined ? `/${p.totalItems}` : ""} objects`);
    if (p.doneBytes !== undefined) parts.push(`${fmtBytes(p.doneBytes)}${p.totalBytes !== undefined ? ` of ${fmtBytes(p.totalBytes)}` : ""}`);
    const secs = (clock() - start) / 1000;
    if (p.doneBytes !== undefined && secs > 0.5) parts.push(`${fmtBytes(p.doneBytes / secs)}/s`);
    return parts.join(", ");
  };
  const all = (): string => [...phases.values()].map((x) => text(x.p, x.start)).join("  |  ");
  const sink: ProgressSink = (p) => {
    if (!enabled) return;
    const now = clock();
    const known = phases.get(p.phase);
    phases.set(p.phase, { p, start: known?.start ?? now });
    if (tty) {
      if (known && now - last < 200) return;
      last = now;
      platform.stderr(`\r\x1b[K${all()}`);
      pending = true;
      return;
    }
    if (known && now - last < 10_000) return;
    last = now;
    platform.stderr(`${known ? all() : text(p, now)}\n`);
  };
  return {
    sink,
    end: () => {
      if (!enabled) return;
      if (tty && pending) platform.stderr(`\r\x1b[K${all()}\n`);
      else if (!tty && phases.size > 0) platform.stderr(`${all()}\n`);
      pending = false;
      phases.clear();
    },
  };
}

function parseTags(raw: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of raw ?? []) {
    const i = t.indexOf("=");
    if (i <= 0) throw new UserError(`--tag ${t}: expected key=value`);
    out[t.slice(0, i).trim()] = t.slice(i + 1).trim();
  }
  return out;
}

function intOpt(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UserError(`${flag} needs a whole number >= 0, got "${v}"`);
  return n;
}

function json(platform: Platform, value: unknown): void {
  platform.stdout(`${JSON.stringify(value, null, 2)}\n`);
}

async function service(): Promise<typeof BackupService> {
  return await import("../../backup/service.js");
}

/** The `backup:` section of .doodba-ops.yaml in the project directory (the current directory without one). */
export function backupConfig(platform: Platform, dir?: string): BackupConfig {
  return loadBackupConfig(platform.fs, dir ?? ".", platform.environ);
}

function ctxOf(platform: Platform, opts: RepoCliOptions, progress: ProgressSink, cfg: BackupConfig = backupConfig(platform)) {
  return { platform, repoUrl: repoUrl(platform, opts, cfg), identities: identities(platform, opts, cfg), progress, log: (s: string) => platform.stderr(`${s}\n`) };
}

function shortId(id: string): string {
  return id.slice(0, 8);
}

function tagsText(tags: Record<string, string>): string {
  return Object.keys(tags)
    .sort()
    .map((k) => `${k}=${tags[k]}`)
    .join(",");
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : pad(c, widths[i] ?? 0))).join("  ").trimEnd()).join("\n") + "\n";
}

// ---------------------------------------------------------------------------------------------
// Sources

/** The database a command reads or writes: --db, else the project's, else PG*. */
async function resolveDb(platform: Platform, dir: string | undefined, opts: { env?: string; db?: string }, dbName?: string): Promise<{ db: DbSource; project?: ReturnType<typeof loadProject> }> {
  if (opts.db) {
    const src = parseDbUrl(opts.db, dbName);
    if (!src.env.PGPASSWORD && platform.environ.PGPASSWORD) src.env.PGPASSWORD = platform.environ.PGPASSWORD;
    return { db: src };
  }
  if (dir !== undefined) {
    const project = loadProject(dir, { platform, envs: opts.env ? [opts.env] : undefined });
    // A db service without a published port is reached with `docker compose exec` (kind "compose-exec").
    const db = dbFromProject(project, opts.env ?? "prod", dbName);
    return { db, project };
  }
  const env = dbFromEnviron(platform.environ, dbName);
  if (!env) {
    throw new UserError("No database given", {
      hint: "Name the project directory (doodba-ops backup create . --env prod), or pass --db postgres://user:password@host:port/dbname, or set PGHOST/PGUSER/PGPASSWORD/PGDATABASE.",
    });
  }
  return { db: env };
}

// ---------------------------------------------------------------------------------------------
// Subcommands

/**
 * A damaged repository met while reading a snapshot's objects (restore, export) is not a bug of the
 * tool: it is reported as a refusal (exit 2) that names the object and what to do; whatever was
 * being restored or exported was not put in place.
 */
export function wordError(e: unknown): unknown {
  if (e instanceof CorruptObjectError || e instanceof MissingObjectError) {
    return new UserError(`${e.message}; nothing was put in place`, {
      hint: "Run doodba-ops backup verify --read-data to list every damaged object and the snapshots that use it, then use an older snapshot that does not (doodba-ops backup list), or repair the repository from a copy.",
    });
  }
  return e;
}

export async function backupInit(platform: Platform, opts: BackupInitCliOptions): Promise<number> {
  const url = repoUrl(platform, opts);
  const recipients = [...(opts.ageRecipient ?? [])];
  const s = await service();
  if (opts.encryption && recipients.length === 0 && !opts.ageIdentityFile) {
    throw new UserError("Choose how the repository is encrypted", {
      hint: "--age-identity-file <path> (created with a new key when absent; keep a copy off the server), --age-recipient age1... (the public key; the identity stays elsewhere), or --no-encryption.",
    });
  }
  if (!opts.encryption && (recipients.length > 0 || opts.ageIdentityFile)) {
    throw new UserError("--no-encryption cannot be combined with --age-recipient or --age-identity-file");
  }
  const r = await s.initRepository(platform, { repoUrl: url, recipients, identityFile: opts.ageIdentityFile, encrypt: opts.encryption });
  if (opts.format === "json") json(platform, r);
  else {
    const lines = [`Repository created at ${r.description} (id ${r.id}).`];
    lines.push(r.encryption === "none" ? "Encryption: none." : `Encryption: age, to ${r.recipients.join(", ")}.`);
    if (r.identityCreated) lines.push(`A new age identity was written to ${r.identityCreated} (0600). Keep a copy of it outside this server: without it no backup can be restored.`);
    lines.push("", "Next:", `  doodba-ops backup create . --env prod --repo ${maskUrl(url)}`);
    platform.stdout(`${lines.join("\n")}\n`);
  }
  return 0;
}

export async function backupCreate(platform: Platform, dir: string | undefined, cliOpts: BackupCreateCliOptions): Promise<number> {
  const cfg = backupConfig(platform, dir);
  const opts = { ...cliOpts, env: cliOpts.env ?? cfg.env ?? "prod" };
  const progress = progressRenderer(platform);
  const ctx = ctxOf(platform, opts, progress.sink, cfg);
  const { db, project } = await resolveDb(platform, dir, opts);
  let filestore: FilestoreSource | undefined;
  if (typeof opts.filestore === "string") filestore = filestoreFromPath(opts.filestore, db.name, (p) => platform.fs.isDirectory(p));
  else if (opts.filestore !== false && project) filestore = await locateVolume(filestoreFromProject(project, opts.env, db.name), platform.exec);
  if (filestore && !platform.fs.isDirectory(filestore.path)) {
    throw new UserError(`The filestore ${filestore.path} (${filestore.from}) does not exist or is not readable`, {
      hint: "Give the database's filestore folder with --filestore <data_dir>/filestore/<db>, or --no-filestore to back up the database only. A Docker volume's folder is readable by root only.",
    });
  }
  const tags: Record<string, string> = { ...cfg.tags, ...parseTags(opts.tag) };
  if (project) {
    tags.project ??= posix.basename(project.dir);
    tags.env ??= opts.env;
  }
  const jobs = intOpt("--jobs", opts.jobs);
  if (jobs !== undefined && jobs < 1) throw new UserError("--jobs needs a whole number >= 1");
  if (jobs !== undefined && opts.dumpFormat === "custom") throw new UserError("--jobs applies to --dump-format directory only (a custom dump is one stream)");
  const s = await service();
  ctx.log(`doodba-ops: backing up database ${db.name} (${db.display})${filestore ? ` and filestore ${filestore.path}` : ""} into ${maskUrl(ctx.repoUrl)}`);
  // --jobs alone asks for a parallel dump, which only the directory format does
  const dumpFormat = opts.dumpFormat ?? (jobs !== undefined ? "directory" : cfg.dumpFormat === "auto" ? undefined : cfg.dumpFormat);
  const r = await s.createBackup(ctx, { db, filestore, tags, ...(dumpFormat ? { dumpFormat } : {}), ...(jobs !== undefined ? { jobs } : {}) });
  progress.end();
  if (opts.format === "json") json(platform, { snapshot: r.manifest, phases: r.phases });
  else platform.stdout(createSummary(r.manifest, r.phases));
  return 0;
}

function createSummary(m: SnapshotManifest, phases: Record<string, number>): string {
  const st = m.stats;
  const lines = [
    `Snapshot ${m.id} created (${m.createdAt}).`,
    `  database   ${m.database?.name ?? "-"}: ${fmtBytes(m.database?.files.reduce((a, f) => a + f.object.size, 0) ?? 0)} dump${m.database ? `, ${Object.keys(m.database.rowCounts).length} tables counted` : ""}`,
    `  filestore  ${m.filestore ? `${m.filestore.files.length} files, ${fmtBytes(m.filestore.totalBytes)}${st.unchangedFiles ? ` (${st.unchangedFiles} unchanged since the previous snapshot)` : ""}` : "-"}`,
    `  new data   ${st.newObjects} objects, ${fmtBytes(st.newBytes)}${st.bytesUploaded !== undefined ? ` (${fmtBytes(st.bytesUploaded)} stored after compression/encryption)` : ""}`,
    `  time       ${fmtSeconds(st.seconds)}${Object.keys(phases).length ? ` (${Object.entries(phases).map(([k, v]) => `${k} ${fmtSeconds(v)}`).join(", ")})` : ""}`,
  ];
  return `${lines.join("\n")}\n`;
}

export async function backupList(platform: Platform, opts: RepoCliOptions): Promise<number> {
  const ctx = ctxOf(platform, opts, () => {});
  const s = await service();
  const snaps = await s.listBackups(ctx);
  if (opts.format === "json") {
    json(platform, snaps.map((m) => s.summarize(m)));
    return 0;
  }
  if (snaps.length === 0) {
    platform.stdout(`No snapshots in ${maskUrl(ctx.repoUrl)}.\n`);
    return 0;
  }
  const rows = [["ID", "CREATED (UTC)", "DATABASE", "DUMP", "FILES", "FILESTORE", "NEW", "TAGS"]];
  for (const m of snaps) {
    const sum = s.summarize(m);
    rows.push([shortId(m.id), m.createdAt.replace("T", " ").replace(/\.\d+Z$|Z$/, ""), sum.database ?? "-", fmtBytes(sum.dumpBytes), String(sum.files), fmtBytes(sum.filestoreBytes), fmtBytes(m.stats.newBytes), tagsText(m.tags)]);
  }
  platform.stdout(table(rows));
  return 0;
}

export async function backupShow(platform: Platform, id: string, opts: BackupShowCliOptions): Promise<number> {
  const ctx = ctxOf(platform, opts, () => {});
  const s = await service();
  const m = await s.showBackup(ctx, id);
  if (opts.format === "json") {
    json(platform, opts.files ? m : { ...m, filestore: m.filestore ? { db: m.filestore.db, totalBytes: m.filestore.totalBytes, files: m.filestore.files.length } : undefined });
    return 0;
  }
  const lines = [`snapshot   ${m.id}`, `created    ${m.createdAt}`, `tags       ${tagsText(m.tags) || "-"}`];
  if (m.database) {
    const d = m.database;
    lines.push(
      `database   ${d.name} (PostgreSQL ${d.serverVersion}), pg_dump ${d.format}, ${fmtBytes(d.files.reduce((a, f) => a + f.object.size, 0))} in ${d.files.length} object${d.files.length > 1 ? "s" : ""}`,
      `           ${Object.keys(d.rowCounts).length} tables, ${Object.values(d.rowCounts).reduce((a, b) => a + b, 0)} rows at backup time`,
    );
  }
  if (m.filestore) lines.push(`filestore  ${m.filestore.files.length} files, ${fmtBytes(m.filestore.totalBytes)} (database ${m.filestore.db})`);
  if (m.odoo) {
    lines.push(`odoo       ${m.odoo.version ?? m.odoo.majorVersion ?? "?"}${m.odoo.modules ? `, ${Object.keys(m.odoo.modules).length} modules installed` : ""}`);
  }
  lines.push(`stats      ${m.stats.files} files, ${fmtBytes(m.stats.bytes)} read, ${m.stats.newObjects} new objects (${fmtBytes(m.stats.newBytes)}), ${fmtSeconds(m.stats.seconds)}`);
  if (opts.files && m.filestore) {
    lines.push("", "files:");
    for (const f of m.filestore.files) lines.push(`  ${f.path}  ${f.size}  ${f.object.hash}`);
  }
  platform.stdout(`${lines.join("\n")}\n`);
  return 0;
}

/** Asks for (or checks) the confirmation to replace an existing database. @throws UserError */
async function confirmReplace(platform: Platform, db: string, opts: { yes?: boolean; confirm?: string }): Promise<void> {
  if (opts.yes) return;
  if (opts.confirm !== undefined) {
    if (opts.confirm === db) return;
    throw new UserError(`--confirm ${opts.confirm} does not match the database to replace (${db}); nothing was changed`);
  }
  if (!platform.isTTY || !process.stdin.isTTY) {
    throw new UserError(`Replacing database ${db} needs a confirmation; nothing was changed`, {
      hint: `Without a terminal, add --yes or --confirm ${db}.`,
    });
  }
  const { input } = await import("@inquirer/prompts");
  const answer = await input({ message: `This DROPS database ${db} and replaces its filestore. Type the database name to confirm:` }, { output: process.stderr });
  if (answer.trim() !== db) throw new UserError("Not confirmed; nothing was changed");
}

export async function backupRestore(platform: Platform, id: string, dir: string | undefined, cliOpts: BackupRestoreCliOptions): Promise<number> {
  const cfg = backupConfig(platform, dir);
  const opts = { ...cliOpts, env: cliOpts.env ?? cfg.env ?? "prod" };
  const progress = progressRenderer(platform);
  const ctx = ctxOf(platform, opts, progress.sink, cfg);
  const s = await service();
  const manifest = await s.showBackup(ctx, id);
  const target = opts.as ?? manifest.database?.name ?? manifest.filestore?.db;
  if (!target) throw new UserError(`Snapshot ${manifest.id} has no database to restore`);
  const { db, project } = await resolveDb(platform, dir, { env: dir !== undefined ? opts.env : undefined, db: opts.db }, target);
  // The URL may name another database (the server's maintenance db): the target is --as / the snapshot's.
  const server: DbSource = { ...db, name: target, env: { ...db.env, PGDATABASE: target }, display: db.display.replace(/\/[^/]*$/, `/${target}`) };
  let filestoreDir: string | undefined;
  if (opts.filestore && manifest.filestore) {
    if (opts.filestoreDir) filestoreDir = posix.resolve(opts.filestoreDir);
    else if (opts.dataDir) filestoreDir = posix.join(posix.resolve(opts.dataDir), "filestore", target);
    else if (project) filestoreDir = (await locateVolume(filestoreFromProject(project, opts.env ?? "prod", target), platform.exec)).path;
    else {
      throw new UserError(`Where should the filestore of ${target} go?`, {
        hint: "Pass --data-dir <Odoo's data_dir> (files go to <data_dir>/filestore/<db>), --filestore-dir <dir>, a project directory, or --no-filestore.",
      });
    }
  }
  const plan = await s.planRestore(ctx, { manifest, server, filestoreDir });
  // Odoo creates the unaccent extension when its unaccent option is on: so does a restore through the project.
  const unaccent = opts.unaccent ?? (project ? odooUnaccent(project, opts.env ?? "prod") : undefined) ?? false;
  if (plan.dbExists && !opts.force) {
    throw new UserError(`Database ${target} already exists on ${server.display}; nothing was changed`, {
      hint: `Restore under another name with --as ${target}_restored, or replace it with --force (and --yes / --confirm ${target} without a terminal).`,
    });
  }
  const lines = [
    `restore ${manifest.id} (${manifest.createdAt}) into database ${target} on ${server.display}${plan.dbExists ? " (REPLACES the existing database)" : ""}`,
    filestoreDir ? `  filestore -> ${filestoreDir}${plan.filestoreExists ? " (existing folder replaced)" : ""}` : "  filestore: not restored",
    ...(opts.copy ? ["  then: new database.uuid and database.secret (--copy)"] : []),
    ...(opts.neutralize ? ["  then: neutralise (mail servers, crons, webhooks off)"] : []),
    ...(unaccent ? ["  with the unaccent extension (Odoo's unaccent option)"] : []),
  ];
  if (opts.dryRun) {
    platform.stdout(`${lines.join("\n")}\n(dry run: nothing was changed)\n`);
    return 0;
  }
  if (plan.dbExists) await confirmReplace(platform, target, opts);
  ctx.log(lines.join("\n"));
  const r = await s.applyRestore(ctx, plan, { force: Boolean(opts.force), copy: opts.copy, neutralize: opts.neutralize, jobs: intOpt("--jobs", opts.jobs), unaccent });
  progress.end();
  if (opts.format === "json") json(platform, r);
  else {
    const out = [`Restored ${manifest.id} into database ${target}${r.filestoreFiles !== undefined ? ` and ${r.filestoreFiles} filestore files into ${filestoreDir}` : ""} in ${fmtSeconds(r.seconds)}.`];
    if (r.copied) out.push("  new database.uuid and database.secret set (copy).");
    if (r.neutralized) out.push(`  neutralised: ${r.neutralized}.`);
    platform.stdout(`${out.join("\n")}\n`);
  }
  return 0;
}

export async function backupVerify(platform: Platform, opts: BackupVerifyCliOptions, dir?: string): Promise<number> {
  if (dir !== undefined && !opts.restoreTest) throw new UserError(`backup verify ${dir}: the project directory names the server of --restore-test, which was not asked for`, { hint: "Add --restore-test, or leave the directory out." });
  const progress = progressRenderer(platform);
  const ctx = ctxOf(platform, opts, progress.sink);
  const s = await service();
  let server: DbSource | undefined;
  if (opts.restoreTest) server = (await resolveDb(platform, dir, { env: dir !== undefined ? opts.env : undefined, db: opts.db }, "postgres")).db;
  const r = await s.verifyRepository(ctx, { readData: Boolean(opts.readData), restoreTest: opts.restoreTest ? { server: server as DbSource, snapshot: opts.snapshot, unaccent: Boolean(opts.unaccent) } : undefined });
  progress.end();
  if (opts.format === "json") json(platform, r);
  else {
    const out = [`Checked ${r.snapshots} snapshot${r.snapshots === 1 ? "" : "s"} and ${r.objects} objects${opts.readData ? ` (${fmtBytes(r.bytesRead)} read and re-hashed)` : " (existence and size)"}.`];
    for (const p of r.problems) out.push(`  PROBLEM ${p}`);
    if (r.restoreTest) {
      const t = r.restoreTest;
      out.push(`Restore test of ${shortId(t.snapshot)}: ${t.tables} tables compared, ${t.mismatches.length} mismatch${t.mismatches.length === 1 ? "" : "es"}.`);
      for (const m of t.mismatches) out.push(`  MISMATCH ${m}`);
    }
    out.push(r.ok ? "OK" : "FAILED");
    platform.stdout(`${out.join("\n")}\n`);
  }
  return r.ok ? 0 : 1;
}

export async function backupPrune(platform: Platform, opts: BackupPruneCliOptions): Promise<number> {
  const cfg = backupConfig(platform);
  const flags = [opts.keepLast, opts.keepDaily, opts.keepWeekly, opts.keepMonthly].some((v) => v !== undefined);
  // no --keep-* flag: the retention of .doodba-ops.yaml, as a whole
  const kept = !flags && cfg.retention ? cfg.retention : undefined;
  const policy = parseRetention({
    last: kept ? kept.keepLast : (intOpt("--keep-last", opts.keepLast) ?? 0),
    daily: kept ? kept.keepDaily : (intOpt("--keep-daily", opts.keepDaily) ?? 0),
    weekly: kept ? kept.keepWeekly : (intOpt("--keep-weekly", opts.keepWeekly) ?? 0),
    monthly: kept ? kept.keepMonthly : (intOpt("--keep-monthly", opts.keepMonthly) ?? 0),
  });
  const progress = progressRenderer(platform);
  const ctx = ctxOf(platform, opts, progress.sink, cfg);
  const s = await service();
  const plan = await s.planPrune(ctx, { keepLast: policy.last, keepDaily: policy.daily, keepWeekly: policy.weekly, keepMonthly: policy.monthly });
  const lines: string[] = [];
  for (const k of plan.keep) lines.push(`keep    ${shortId(k.id)}  ${k.createdAt}  ${k.group}  (${k.reasons.join(", ")})`);
  for (const r of plan.remove) lines.push(`remove  ${shortId(r.id)}  ${r.createdAt}  ${r.group}`);
  const summary = `${plan.remove.length} snapshot${plan.remove.length === 1 ? "" : "s"} to remove, ${plan.keep.length} kept`;
  if (opts.dryRun || plan.remove.length === 0) {
    if (opts.format === "json") json(platform, { dryRun: true, ...plan });
    else platform.stdout(`${lines.join("\n")}${lines.length ? "\n" : ""}${summary}${opts.dryRun && plan.remove.length ? " (dry run: nothing removed)" : ""}.\n`);
    return 0;
  }
  if (!opts.yes) {
    if (!platform.isTTY || !process.stdin.isTTY) {
      throw new UserError(`Pruning removes ${plan.remove.length} snapshot${plan.remove.length === 1 ? "" : "s"}: confirm with --yes (or look first with --dry-run); nothing was removed`);
    }
    platform.stderr(`${lines.join("\n")}\n`);
    const { confirm } = await import("@inquirer/prompts");
    if (!(await confirm({ message: `Remove ${plan.remove.length} snapshot(s) and the objects only they use?`, default: false }, { output: process.stderr }))) {
      platform.stdout("Nothing was removed.\n");
      return 0;
    }
  }
  const r = await s.applyPrune(ctx, plan);
  progress.end();
  if (opts.format === "json") json(platform, { dryRun: false, ...plan, ...r });
  else platform.stdout(`${lines.join("\n")}\nRemoved ${plan.remove.length} snapshot${plan.remove.length === 1 ? "" : "s"} and ${r.deletedObjects} objects (${fmtBytes(r.deletedBytes)} freed); ${plan.keep.length} kept.${r.result.removedTempFiles ? ` Removed ${r.result.removedTempFiles} temp files left by interrupted backups.` : ""}\n`);
  return 0;
}

export async function backupExport(platform: Platform, id: string, opts: BackupExportCliOptions): Promise<number> {
  const progress = progressRenderer(platform);
  const ctx = ctxOf(platform, { ...opts, format: "human" }, progress.sink);
  if (platform.fs.exists(opts.output) && !opts.force) {
    throw new UserError(`${opts.output} already exists; nothing was written`, { hint: "Choose another file or add --force to overwrite it." });
  }
  const s = await service();
  const r = await s.exportBackup(ctx, { id, format: opts.format, output: opts.output });
  progress.end();
  platform.stdout(`Wrote ${opts.output} (${opts.format}, ${fmtBytes(r.bytes)}) from snapshot ${r.snapshot}.\n`);
  return 0;
}

export async function backupImport(platform: Platform, file: string, opts: BackupImportCliOptions): Promise<number> {
  const progress = progressRenderer(platform);
  const ctx = ctxOf(platform, opts, progress.sink);
  if (!platform.fs.exists(file)) throw new UserError(`${file} does not exist`);
  const s = await service();
  const m = await s.importBackup(ctx, { file, as: opts.as, tags: parseTags(opts.tag) });
  progress.end();
  if (opts.format === "json") json(platform, m);
  else {
    platform.stdout(
      `Imported ${file} as snapshot ${m.id}: database ${m.database?.name ?? "-"}${m.filestore ? `, ${m.filestore.files.length} filestore files` : ""}.\n` +
        `Next:\n  doodba-ops backup restore ${shortId(m.id)} --as <new database> --data-dir <Odoo data_dir>\n`,
    );
  }
  return 0;
}

export async function backupSchedule(platform: Platform, dir: string, cliOpts: BackupScheduleCliOptions): Promise<number> {
  const cfg = backupConfig(platform, dir);
  const opts = { ...cliOpts, env: cliOpts.env ?? cfg.env ?? "prod" };
  if (opts.systemd && opts.cron) throw new UserError("--systemd and --cron cannot be combined: choose one");
  const mode: ScheduleMode = opts.systemd ? "systemd" : opts.cron ? "cron" : "compose";
  const project = loadProject(dir, { platform, envs: [opts.env] });
  const hostDir = opts.hostDir ? posix.resolve(opts.hostDir) : project.dir;
  const repo = opts.repo ?? platform.environ.DOODBA_OPS_REPO ?? cfg.repo;
  const flags = [opts.keepLast, opts.keepDaily, opts.keepWeekly, opts.keepMonthly].some((v) => v !== undefined);
  const kept = !flags && cfg.retention ? cfg.retention : undefined;
  const sched = planSchedule(project, {
    env: opts.env,
    mode,
    at: opts.at,
    repo,
    hostDir,
    onFailure: opts.onFailure,
    retention: kept
      ? { last: kept.keepLast, daily: kept.keepDaily, weekly: kept.keepWeekly, monthly: kept.keepMonthly }
      : {
          last: intOpt("--keep-last", opts.keepLast),
          daily: intOpt("--keep-daily", opts.keepDaily),
          weekly: intOpt("--keep-weekly", opts.keepWeekly),
          monthly: intOpt("--keep-monthly", opts.keepMonthly),
        },
  });
  const changes = planChanges(platform.fs, project.dir, sched.plan);
  const edits = changes.filter((c) => c.action === "update");
  if (opts.dryRun) {
    platform.stdout(renderChanges(changes));
    platform.stderr(`doodba-ops: dry run: nothing was written${hasWork(changes) ? `; apply with \`doodba-ops backup schedule ${dir} --env ${opts.env}${mode === "compose" ? "" : ` --${mode}`} --yes\`` : ""}\n`);
    return 0;
  }
  if (!hasWork(changes)) {
    platform.stdout(`Nothing to do: the ${mode} schedule of ${opts.env} is already in place.\n`);
    return 0;
  }
  if (edits.length > 0 && !opts.yes) {
    // Updating a file the user owns (the compose file, an edited script) is shown first, then confirmed.
    platform.stderr(renderChanges(changes, { showUnchanged: false }));
    if (!platform.isTTY || !process.stdin.isTTY) {
      throw new UserError(`${edits.map((e) => e.path).join(", ")} would change; nothing was written`, {
        hint: "Review the diff above, then re-run with --yes to write it.",
        next: `doodba-ops backup schedule ${dir} --env ${opts.env}${mode === "compose" ? "" : ` --${mode}`} --dry-run`,
      });
    }
    const { confirm } = await import("@inquirer/prompts");
    if (!(await confirm({ message: `Write these changes into ${project.dir}?`, default: true }, { output: process.stderr }))) {
      platform.stdout("Nothing was written.\n");
      return 0;
    }
  }
  const r = await applyPlan(platform.fs, project.dir, changes, { force: true });
  const out = [`Backup schedule (${mode}) for ${opts.env} written in ${project.dir}: ${r.created.length} created, ${r.updated.length} updated${r.kept.length ? `, ${r.kept.length} secret file kept` : ""}.`];
  for (const c of changes) if (c.action === "create" || c.action === "update") out.push(`  ${c.action === "create" ? "+" : "~"} ${c.path}`);
  if (sched.plan.notes.length) out.push("", "Before it runs:", ...sched.plan.notes.map((n) => `  - ${n}`));
  out.push("", "Next:", ...sched.next.map((n) => `  ${n}`), `  doodba-ops check ${dir} --env ${opts.env} --rule no-backup`);
  platform.stdout(`${out.join("\n")}\n`);
  return 0;
}
