/**
 * doodba-ops entry point: command wiring and the single error boundary. Each command's module
 * is imported lazily so that `doodba-ops --help` and small commands start fast.
 */
import { Command, CommanderError, Option } from "commander";
import { formatPos, isUserError } from "../errors.js";
import { nodePlatform, type Platform } from "../platform/index.js";
import { VERSION } from "../version.js";

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
