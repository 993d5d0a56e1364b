/**
 * doodba-ops entry point: command wiring and the single error boundary. Each command's module
 * is imported lazily so that `doodba-ops --help` and small commands start fast.
 */
import { Command, CommanderError, Option } from "commander";
import { formatPos, isUserError } from "../errors.js";
import { nodePlatform, type Platform } from "../platform/index.js";
import { VERSION } from "../version.js";
import type { InitCliOptions } from "./commands/init.js"; // type only: the module itself is imported lazily
import type { DoctorCliOptions, DoctorSignaturesOptions } from "./commands/doctor.js"; // type only
import type { DoctorLogsOptions } from "./commands/doctor-logs.js"; // type only
import type { TuneCliOptions } from "./commands/tune.js";
import type { TuneAnalyzeOptions } from "./commands/tune-analyze.js";
import { addBackupCommand } from "./commands/backup-spec.js"; // flags only; the backup code is imported lazily
import { addDeployCommand } from "./commands/deploy.js"; // flags only; the deploy code is imported lazily

export const EXIT = { ok: 0, findings: 1, usage: 2, internal: 3 } as const;

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(",").map((s) => s.trim()).filter(Boolean)];
}

export function buildProgram(platform: Platform, setExit: (code: number) => void): Command {
  const program = new Command();
  program
    .name("doodba-ops")
    .description("The DevOps expert for Docker-based Odoo deployments built the Doodba way.")
    .version(VERSION, "-V, --version")
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => platform.stdout(s), writeErr: (s) => platform.stderr(s) })
    // options of a command are read before its subcommand only: `doctor logs f --format json` is the subcommand's --format
    .enablePositionalOptions()
    .exitOverride();

  program
    .command("check")
    .description("Audit a Doodba project for security, reliability and performance problems")
    .argument("[dir]", "project directory", ".")
    .option("-e, --env <name>", "environment to check (repeatable or comma-separated; default: all)", collect)
    .option("-f, --file <compose.yaml>", "check these compose files merged as one environment (repeatable, like docker compose -f)", collect)
    .addOption(new Option("--format <format>", "output format").choices(["human", "json", "sarif", "junit"]).default("human"))
    .addOption(new Option("--fail-on <level>", "exit 1 when a finding reaches this severity").choices(["error", "warning", "info", "never"]))
    .option("-r, --rule <id>", "run only these rules (repeatable or comma-separated)", collect)
    .option("-s, --skip <id>", "skip these rules (repeatable or comma-separated)", collect)
    .option("-o, --output <file>", "write the report to a file instead of stdout")
    .option("--no-config", "ignore .doodba-ops.yaml")
    .option("--no-color", "no colours in human output")
    .action(async (dir: string, opts: CheckCliOptions) => {
      const { checkCommand } = await import("./commands/check.js");
      setExit(await checkCommand(platform, dir, opts));
    });

  program
    .command("config")
    .description("Print the effective, merged compose model of an environment (like docker compose config), or its odoo.conf")
    .argument("[dir]", "project directory", ".")
    .option("-e, --env <name>", "environment", "prod")
    .option("-f, --file <compose.yaml>", "compose files merged in order instead of an environment (repeatable)", collect)
    .option("--odoo", "print the effective odoo.conf of the Odoo service(s) instead")
    .option("--service <name>", "with --odoo: only this service")
    .option("--sources", "with --odoo: annotate each option with where it was set")
    .option("--show-secrets", "print passwords and secrets instead of ********")
    .addOption(new Option("--format <format>", "output format").choices(["yaml", "json"]).default("yaml"))
    .action(async (dir: string, opts: ConfigCliOptions) => {
      const { configCommand } = await import("./commands/config.js");
      setExit(await configCommand(platform, dir, opts));
    });

  program
    .command("rules")
    .description("List the rules of `check`")
    .addOption(new Option("--format <format>", "output format").choices(["human", "json", "markdown"]).default("human"))
    .option("--category <name>", "only this category")
    .action(async (opts: { format: string; category?: string }) => {
      const { rulesCommand } = await import("./commands/rules.js");
      setExit(await rulesCommand(platform, opts));
    });

  const doctor = program
    .command("doctor")
    .description("Troubleshoot a running deployment: containers, recent Odoo logs, HTTP and websocket, PostgreSQL, disk, and the check findings that explain them")
    .argument("[dir]", "project directory", ".")
    .option("-e, --env <name>", "environment", "prod")
    .addOption(new Option("--format <format>", "output format").choices(["human", "json", "markdown", "html"]).default("human"))
    .option("-o, --output <file>", "write the report to a file instead of stdout (e.g. report.html for a ticket)")
    .option("--since <when>", "read the Odoo container logs since a duration (30m, 2h, 1d) or a UTC date/time", "1h")
    .option("--db <url>", "PostgreSQL connection string (default: the Odoo service's db_* settings and the db container's address)")
    .option("--url <base url>", "the deployment's public address, probed through the proxy (default: the domain of the proxy routes)")
    .option("-p, --project-name <name>", "Compose project name of the containers (default: from their labels, COMPOSE_PROJECT_NAME or the directory)")
    .option("-s, --skip <probe>", "do not run these probes or groups: docker, logs, http, direct, proxy, websocket, postgres, disk, check (repeatable or comma-separated)", collect)
    .addOption(new Option("--fail-on <level>", "exit 1 when a finding reaches this severity").choices(["critical", "error", "warning", "info", "never"]).default("error"))
    .option("--no-color", "no colours in human output")
    .enablePositionalOptions()
    .action(async (dir: string, opts: DoctorCliOptions) => {
      const { doctorCommand } = await import("./commands/doctor.js");
      setExit(await doctorCommand(platform, dir, opts));
    });

  doctor
    .command("logs")
    .description("Scan Odoo logs (files, .gz, or - for stdin) for known failures and report causes and fixes")
    .argument("<files...>", "log files (plain or gzip), or - for standard input")
    .addOption(new Option("--format <format>", "output format").choices(["human", "json", "markdown", "html"]).default("human"))
    .option("--since <when>", "only records since a duration (30m, 2h, 1d) or a UTC date/time")
    .option("-o, --output <file>", "write the report to a file instead of stdout")
    .action(async (files: string[], opts: DoctorLogsOptions) => {
      const { doctorLogsCommand } = await import("./commands/doctor-logs.js");
      setExit(await doctorLogsCommand(platform, files, opts));
    });

  doctor
    .command("signatures")
    .description("List the log signatures doctor recognises")
    .addOption(new Option("--format <format>", "output format").choices(["human", "markdown", "json"]).default("human"))
    .action(async (opts: DoctorSignaturesOptions) => {
      const { doctorSignaturesCommand } = await import("./commands/doctor.js");
      setExit(await doctorSignaturesCommand(platform, opts));
    });

  program
    .command("init")
    .description("Generate a production-ready Doodba project (wizard on a terminal; --answers or flags in CI), or add an environment")
    .argument("[dir]", "project directory (created when missing)", ".")
    .option("-a, --answers <file>", "answers file (YAML; default: the project's saved .doodba-ops/answers.yaml)")
    .option("-y, --yes", "ask nothing: take defaults for what is not given (fails, exit 2, naming what has no default)")
    .option("-n, --dry-run", "print the file plan with diffs; write nothing")
    .option("--force", "overwrite files that differ from the plan (existing secrets are always kept)")
    .option("--add-env <name>", "add an environment (e.g. staging) to a project generated by init")
    .option("--kind <kind>", "with --add-env: test | prod | devel (default: from the name)")
    .option("--project-name <slug>", "project name (default: the directory's name)")
    .option("--odoo-version <version>", "16.0 | 17.0 | 18.0 | 19.0 (default: 18.0)")
    .option("--postgres-version <major>", "PostgreSQL major (default: the newest supported for the Odoo version)")
    .addOption(new Option("--proxy <proxy>", "reverse proxy (default: traefik)").choices(["traefik", "nginx"]))
    .option("--shared-proxy", "use an existing shared proxy instead of bundling one")
    .option("--domain <env=host>", "domain of an environment, e.g. prod=erp.example.com (repeatable; bare host: prod)", collect)
    .option("--tls <env=mode>", "letsencrypt | files | self-signed | none per environment, e.g. prod=letsencrypt (repeatable)", collect)
    .option("--letsencrypt-email <address>", "Let's Encrypt account e-mail")
    .option("--tls-cert-file <path>", "certificate file on the host (tls files)")
    .option("--tls-key-file <path>", "private key file on the host (tls files)")
    .option("--cpus <n>", "CPU cores of the host (default: 4)")
    .option("--ram-gib <n>", "RAM of the host in GiB (default: 8)")
    .option("--users <n>", "concurrent users at peak (default: 25)")
    .option("--db-manager-allow <cidr>", "CIDR allowed to reach /web/database/* in prod (repeatable; default: nobody)", collect)
    .option("--smtp-host <host>", "SMTP relay host (default: no relay)")
    .option("--smtp-port <port>", "SMTP port (default: 587, 465 for ssl)")
    .option("--smtp-user <user>", "SMTP login (the password goes in .docker/smtp.env)")
    .option("--smtp-security <mode>", "starttls | ssl | none (default: starttls)")
    .option("--email-from <address>", "From address of outgoing mail (default: odoo@<main prod domain>)")
    .option("--backup <url>", "backup destination: a duplicity URL (boto3+s3://bucket/prefix, sftp://..., file:///...) or none")
    .action(async (dir: string, opts: InitCliOptions) => {
      const { initCommand } = await import("./commands/init.js");
      setExit(await initCommand(platform, dir, opts));
    });

  addBackupCommand(program, platform, setExit);
  addDeployCommand(program, platform, setExit);

  const tune = program
    .command("tune")
    .description("Size Odoo and PostgreSQL for the host and the load: current vs recommended settings, and --apply to write them")
    .argument("[dir]", "project directory", ".")
    .option("-e, --env <name>", "environment", "prod")
    .option("--cpus <n>", "CPU cores of the host (default: this host's)")
    .option("--memory <size>", "RAM of the host, e.g. 8GiB, 16g, 4096m (default: this host's)")
    .option("--from-docker", "take CPUs and RAM from the Docker engine (docker info) instead of this host")
    .option("--users <n>", "concurrent users at peak (default: as many as the CPUs serve)")
    .option("--heavy-ratio <r>", "share of heavy requests (reports, imports), 0-1 or a percentage (default: 0.2)")
    .addOption(new Option("--storage <type>", "PostgreSQL storage (default: ssd)").choices(["ssd", "hdd", "san", "nvme"]))
    .addOption(new Option("--workload <type>", "pgtune workload; Odoo is web-like (default: web)").choices(["web", "oltp", "mixed", "dw", "desktop"]))
    .option("--pg-elsewhere", "PostgreSQL runs on another host: Odoo gets all of this one")
    .option("--split-cron", "run crons in a cron-only (--no-http) instance; web instances get max_cron_threads = 0")
    .addOption(new Option("--format <format>", "output format").choices(["human", "json"]).default("human"))
    .option("--apply", "write the recommendation into the project (shows the diff, then asks)")
    .option("-n, --dry-run", "with --apply: show the diff only")
    .option("-y, --yes", "with --apply: do not ask")
    .enablePositionalOptions()
    .action(async (dir: string, opts: TuneCliOptions) => {
      const { tuneCommand } = await import("./commands/tune.js");
      setExit(await tuneCommand(platform, dir, opts));
    });

  tune
    .command("analyze")
    .description("Analyse a live PostgreSQL database, read-only: settings vs recommendation, cache hits, top queries, bloat, Odoo tables")
    .argument("[dir]", "project directory, for --env (default: .)")
    .option("--db <url>", "postgres:// URL or a database name (default: the PG* environment variables)")
    .option("-e, --env <name>", "take the database from this environment of the project")
    .option("--cpus <n>", "CPU cores of the database server (for the settings comparison)")
    .option("--memory <size>", "RAM of the database server, e.g. 8GiB (enables the settings comparison)")
    .option("--storage <type>", "storage of the database server: ssd, hdd, san, nvme (default: ssd)")
    .addOption(new Option("--format <format>", "output format").choices(["human", "json"]).default("human"))
    .action(async (dir: string | undefined, opts: Omit<TuneAnalyzeOptions, "dir">) => {
      const { tuneAnalyzeCommand } = await import("./commands/tune-analyze.js");
      setExit(await tuneAnalyzeCommand(platform, { ...opts, dir }));
    });

  return program;
}

export interface CheckCliOptions {
  env?: string[];
  file?: string[];
  format: "human" | "json" | "sarif" | "junit";
  failOn?: "error" | "warning" | "info" | "never";
  rule?: string[];
  skip?: string[];
  output?: string;
  config: boolean;
  color: boolean;
}

export interface ConfigCliOptions {
  env: string;
  file?: string[];
  odoo?: boolean;
  service?: string;
  sources?: boolean;
  showSecrets?: boolean;
  format: "yaml" | "json";
}

/** Runs the CLI and returns the exit code. Never throws. */
export async function main(argv: string[], platform: Platform = nodePlatform()): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram(platform, (c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit through here with code 0; usage errors were already printed.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (isUserError(err)) {
      const where = err.pos ? `${formatPos(err.pos)}: ` : "";
      let msg = `doodba-ops: error: ${where}${err.message}\n`;
      if (err.hint) msg += `  hint: ${err.hint.replace(/\n/g, "\n        ")}\n`;
      if (err.next) msg += `  try:  ${err.next}\n`;
      platform.stderr(msg);
      return EXIT.usage;
    }
    const e = err instanceof Error ? err : new Error(String(err));
    platform.stderr(
      `doodba-ops: internal error: ${e.message}\n` +
        "  This is a bug in doodba-ops. Please report it with the command you ran and, if you can, the project files involved.\n" +
        (process.env.DEBUG?.includes("doodba-ops") ? `${e.stack ?? ""}\n` : "  Run with DEBUG=doodba-ops for the stack trace.\n"),
    );
    return EXIT.internal;
  }
}
