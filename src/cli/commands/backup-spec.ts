/**
 * The flags of `doodba-ops backup <subcommand>` (commander definitions only). The work is in
 * ./backup.ts, imported when a backup subcommand actually runs, so `doodba-ops --help` and other
 * commands do not load the backup code (S3 SDK, age, zstd).
 */
import { Option, type Command } from "commander";
import type * as BackupCommands from "./backup.js";
import type { Platform } from "../../platform/index.js";

function repeat(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** Options shared by every subcommand that opens a repository. */
export interface RepoCliOptions {
  /** @default $DOODBA_OPS_REPO */
  repo?: string;
  /** @default $DOODBA_OPS_AGE_IDENTITY_FILE */
  identityFile?: string;
  format?: "human" | "json";
}

export interface BackupInitCliOptions extends RepoCliOptions {
  ageRecipient?: string[];
  ageIdentityFile?: string;
  encryption: boolean;
}
export interface BackupCreateCliOptions extends RepoCliOptions {
  /** @default backup.env of .doodba-ops.yaml, else "prod" */
  env?: string;
  db?: string;
  filestore?: string | false;
  tag?: string[];
  /** @default custom, or directory on >= 4 CPUs for a database of >= 1 GiB */
  dumpFormat?: "custom" | "directory";
  jobs?: string;
}
export interface BackupShowCliOptions extends RepoCliOptions {
  files?: boolean;
}
export interface BackupRestoreCliOptions extends RepoCliOptions {
  env?: string;
  db?: string;
  as?: string;
  filestoreDir?: string;
  dataDir?: string;
  filestore: boolean;
  neutralize?: boolean;
  copy?: boolean;
  force?: boolean;
  yes?: boolean;
  confirm?: string;
  jobs?: string;
  dryRun?: boolean;
  /** @default the project's Odoo `unaccent` option with [dir], else false */
  unaccent?: boolean;
}
export interface BackupVerifyCliOptions extends RepoCliOptions {
  readData?: boolean;
  restoreTest?: boolean;
  snapshot?: string;
  db?: string;
  unaccent?: boolean;
  /** Project environment whose db service is the --restore-test server (with [dir]). */
  env?: string;
}
export interface BackupPruneCliOptions extends RepoCliOptions {
  keepLast?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  dryRun?: boolean;
  yes?: boolean;
}
export interface BackupExportCliOptions extends Omit<RepoCliOptions, "format"> {
  format: "odoo-zip" | "dump";
  output: string;
  force?: boolean;
}
export interface BackupImportCliOptions extends RepoCliOptions {
  as?: string;
  tag?: string[];
}
export interface BackupScheduleCliOptions {
  /** @default backup.env of .doodba-ops.yaml, else "prod" */
  env?: string;
  systemd?: boolean;
  cron?: boolean;
  at?: string;
  repo?: string;
  keepLast?: string;
  keepDaily?: string;
  keepWeekly?: string;
  keepMonthly?: string;
  onFailure?: string;
  hostDir?: string;
  dryRun?: boolean;
  yes?: boolean;
}

const repoOpt = (): Option => new Option("--repo <url>", "backup repository: a directory, file:///path or s3://bucket/prefix?endpoint=...&region=... (default: $DOODBA_OPS_REPO, else backup.repo of .doodba-ops.yaml)");
const identityOpt = (): Option => new Option("-i, --identity-file <path>", "age identity file to decrypt an encrypted repository (default: $DOODBA_OPS_AGE_IDENTITY_FILE, the key in $DOODBA_OPS_AGE_IDENTITY, else backup.identity-file of .doodba-ops.yaml)");
const formatOpt = (): Option => new Option("--format <format>", "output format").choices(["human", "json"]).default("human");
const keepOpts = (c: Command): Command =>
  c
    .option("--keep-last <n>", "keep the N newest snapshots")
    .option("--keep-daily <n>", "keep the newest snapshot of each of the last N days that have one")
    .option("--keep-weekly <n>", "... of the last N ISO weeks")
    .option("--keep-monthly <n>", "... of the last N months");

/** Adds `backup` and its subcommands to the program. */
export function addBackupCommand(program: Command, platform: Platform, setExit: (code: number) => void): void {
  const run = async (fn: (m: typeof BackupCommands) => Promise<number>): Promise<void> => {
    const m = await import("./backup.js");
    platform.limitHeapGrowth?.();
    try {
      setExit(await fn(m));
    } catch (e) {
      throw m.wordError(e);
    }
  };
  const backup = program
    .command("backup")
    .description("Odoo-compatible, incremental, encrypted backups: create, list, restore, verify, prune, export/import, schedule");

  backup
    .command("init")
    .description("Create a backup repository (encrypted with age unless --no-encryption)")
    .addOption(repoOpt())
    .option("--age-recipient <pubkey>", "encrypt to this age public key (age1...; repeatable)", repeat)
    .option("--age-identity-file <path>", "encrypt to the key in this age identity file; created (0600) with a new key when it does not exist")
    .option("--no-encryption", "store objects unencrypted (only for a repository on storage you fully trust)")
    .addOption(formatOpt())
    .action(async (opts: BackupInitCliOptions) => run((m) => m.backupInit(platform, opts)));

  backup
    .command("create")
    .description("Back up an Odoo database and its filestore into the repository")
    .argument("[dir]", "Doodba project directory: database and filestore from its environment (omit with --db and --filestore)")
    .option("-e, --env <name>", "environment of the project (default: backup.env of .doodba-ops.yaml, else prod)")
    .addOption(repoOpt())
    .addOption(identityOpt())
    .option("--db <url>", "database URL, postgres://user:password@host:port/dbname (default: the project's db service, or PG* variables)")
    .option("--filestore <dir>", "the database's filestore folder (<data_dir>/filestore/<db>) or the data_dir (default: the project's Odoo volume)")
    .option("--no-filestore", "back up the database only")
    .option("-t, --tag <key=value>", "label the snapshot (repeatable)", repeat)
    .addOption(
      new Option("--dump-format <format>", "pg_dump format: custom (one stream) or directory (pg_dump -j, one object per table) (default: directory on 4+ CPUs for a database of 1 GiB or more, else custom)").choices([
        "custom",
        "directory",
      ]),
    )
    .option("-j, --jobs <n>", "parallel pg_dump jobs of a directory dump (default: CPUs - 1, 2 to 8)")
    .addOption(formatOpt())
    .action(async (dir: string | undefined, opts: BackupCreateCliOptions) => run((m) => m.backupCreate(platform, dir, opts)));

  backup
    .command("list")
    .description("List the snapshots of the repository, oldest first")
    .addOption(repoOpt())
    .addOption(identityOpt())
    .addOption(formatOpt())
    .action(async (opts: RepoCliOptions) => run((m) => m.backupList(platform, opts)));

  backup
    .command("show")
    .description("Show one snapshot: database dump, filestore, Odoo version and modules, sizes")
    .argument("<id>", "snapshot id (a unique prefix is enough; `latest` for the newest)")
    .addOption(repoOpt())
    .addOption(identityOpt())
    .option("--files", "list the filestore files too")
    .addOption(formatOpt())
    .action(async (id: string, opts: BackupShowCliOptions) => run((m) => m.backupShow(platform, id, opts)));

  backup
    .command("restore")
    .description("Restore a snapshot following Odoo's steps; over an existing database only with --force and a confirmation")
    .argument("<id>", "snapshot id (prefix or `latest`)")
    .argument("[dir]", "Doodba project directory: target server and filestore volume from its environment")
    .option("-e, --env <name>", "environment of the project (with [dir]; default: backup.env of .doodba-ops.yaml, else prod)")
    .addOption(repoOpt())
    .addOption(identityOpt())
    .option("--db <url>", "target server as postgres://user:password@host:port[/maintenance db]; the database restored is the snapshot's, or --as (default: the project's db service, or PG*)")
    .option("--as <name>", "restore into this database name (default: the snapshot's database)")
    .option("--filestore-dir <dir>", "put the filestore files exactly in this folder")
    .option("--data-dir <dir>", "Odoo's data_dir: files go to <data_dir>/filestore/<database>")
    .option("--no-filestore", "restore the database only")
    .option("--neutralize", "neutralise the restored database for staging (mail servers and crons off, webhooks blanked)")
    .option("--copy", "new database.uuid and database.secret, as Odoo does when a database is copied")
    .option("--force", "replace an existing database (and its filestore): also needs --yes, --confirm <name> or a yes on the terminal")
    .option("-y, --yes", "do not ask for confirmation")
    .option("--confirm <name>", "confirm replacing this database by typing its name")
    .option("-j, --jobs <n>", "parallel pg_restore jobs")
    .option("--unaccent", "create the unaccent extension, as Odoo does with its unaccent option (default: the project's Odoo option with [dir], else off)")
    .option("--no-unaccent", "do not create the unaccent extension")
    .option("-n, --dry-run", "print what would happen; change nothing")
    .addOption(formatOpt())
    .action(async (id: string, dir: string | undefined, opts: BackupRestoreCliOptions) => run((m) => m.backupRestore(platform, id, dir, opts)));

  backup
    .command("verify")
    .description("Check the repository: every object referenced exists with its size; --read-data re-hashes the content; --restore-test restores into a scratch database and compares row counts")
    .addOption(repoOpt())
    .addOption(identityOpt())
    .option("--read-data", "download, decrypt and re-hash every object")
    .option("--restore-test", "restore the snapshot into a scratch database (then dropped) and compare table row counts with the backup's")
    .option("--snapshot <id>", "snapshot for --restore-test (default: latest)")
    .option("--unaccent", "create the unaccent extension in the scratch database (needed when the dump has indexes on unaccent())")
    .argument("[dir]", "Doodba project directory: the --restore-test server is its environment's db service")
    .option("-e, --env <name>", "environment of the project (with [dir])", "prod")
    .option("--db <url>", "server for --restore-test (default: the project's db service with [dir], or PG* variables)")
    .addOption(formatOpt())
    .action(async (dir: string | undefined, opts: BackupVerifyCliOptions) => run((m) => m.backupVerify(platform, opts, dir)));

  keepOpts(
    backup
      .command("prune")
      .description("Forget snapshots outside the retention policy and delete the objects only they used")
      .addOption(repoOpt())
      .addOption(identityOpt()),
  )
    .option("-n, --dry-run", "print what would be removed; remove nothing")
    .option("-y, --yes", "do not ask for confirmation")
    .addOption(formatOpt())
    .action(async (opts: BackupPruneCliOptions) => run((m) => m.backupPrune(platform, opts)));

  backup
    .command("export")
    .description("Write a snapshot as an Odoo database-manager backup (zip: dump.sql, filestore/, manifest.json) or a pg_dump custom file")
    .argument("<id>", "snapshot id (prefix or `latest`)")
    .addOption(repoOpt())
    .addOption(identityOpt())
    .addOption(new Option("--format <format>", "odoo-zip (restorable by Odoo and click-odoo-restoredb) or dump (pg_dump -Fc)").choices(["odoo-zip", "dump"]).default("odoo-zip"))
    .requiredOption("-o, --output <file>", "file to write")
    .option("--force", "overwrite the output file")
    .action(async (id: string, opts: BackupExportCliOptions) => run((m) => m.backupExport(platform, id, opts)));

  backup
    .command("import")
    .description("Add an Odoo backup (database-manager zip, a pg_dump custom .dump, or plain SQL .sql/.sql.gz/.sql.zst) to the repository as a snapshot; restore it with `backup restore`")
    .argument("<file>", "backup.zip, backup.dump, or db.sql (also gzip- or zstd-compressed)")
    .addOption(repoOpt())
    .addOption(identityOpt())
    .option("--as <name>", "database name recorded in the snapshot (default: the zip manifest's db_name, else the file name)")
    .option("-t, --tag <key=value>", "label the snapshot (repeatable)", repeat)
    .addOption(formatOpt())
    .action(async (file: string, opts: BackupImportCliOptions) => run((m) => m.backupImport(platform, file, opts)));

  keepOpts(
    backup
      .command("schedule")
      .description("Generate what runs the backup every day: a compose service (default), a systemd timer (--systemd) or a cron entry (--cron), with retention and a failure hook")
      .argument("[dir]", "Doodba project directory", ".")
      .option("-e, --env <name>", "environment to back up (default: backup.env of .doodba-ops.yaml, else prod)")
      .option("--systemd", "a systemd service + timer for the host instead of a compose service")
      .option("--cron", "an /etc/cron.d entry for the host instead of a compose service")
      .option("--at <HH:MM>", "time of day (UTC; host time for --cron)", "02:30")
      .option("--repo <url>", "repository URL written to .docker/doodba-ops-backup.env (default: $DOODBA_OPS_REPO)")
      .option("--on-failure <command|url>", "run this shell command, or POST JSON to this http(s) URL, when a step fails")
      .option("--host-dir <path>", "absolute path of the project on the host that runs the timer (default: the project's path here)"),
  )
    .option("-n, --dry-run", "print the file plan with diffs; write nothing")
    .option("-y, --yes", "write without asking (needed without a terminal when an existing file changes)")
    .action(async (dir: string, opts: BackupScheduleCliOptions) => run((m) => m.backupSchedule(platform, dir, opts)));
}
