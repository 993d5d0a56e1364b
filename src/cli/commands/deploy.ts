/**
 * `doodba-ops deploy`: command wiring only. The deploy code (src/deploy) is imported when a
 * deploy subcommand runs, so that other commands start fast.
 *
 *   deploy [dir]            plan, confirm (or --yes), apply
 *   deploy plan [dir]       what would happen (--format json)
 *   deploy apply [dir]      apply without asking
 *   deploy status [dir]     what runs, the last deploy, the lock
 *   deploy history [dir]    every deploy and rollback recorded
 *   deploy rollback [dir]   back to the state before the last deploy, or --to ID
 */
import { Option, type Command } from "commander";
import { UserError } from "../../errors.js";
import type { Platform } from "../../platform/index.js";

export interface DeployCliOptions {
  env: string;
  target: "compose" | "swarm";
  context?: string;
  format: "human" | "json";
  update?: string;
  strategy: "auto" | "recreate" | "zero-downtime";
  backup: boolean;
  restoreOnFailure?: boolean;
  force?: boolean;
  breakLock?: boolean;
  healthTimeout?: string;
  yes?: boolean;
  to?: string;
}

type SetExit = (code: number) => void;

function common(cmd: Command): Command {
  return cmd
    .argument("[dir]", "project directory", ".")
    .option("-e, --env <name>", "environment (compose file <name>.yaml)", "prod")
    .addOption(new Option("--target <target>", "where to deploy").choices(["compose", "swarm"]).default("compose"))
    .option("--context <name>", "Docker context (DOCKER_HOST is honoured too, ssh:// included)");
}

function applyFlags(cmd: Command): Command {
  return cmd
    .option("--update <what>", "module update: auto (when the Odoo image changes), none, all, or module names (a,b)")
    .addOption(new Option("--strategy <strategy>", "how Odoo is switched").choices(["auto", "recreate", "zero-downtime"]).default("auto"))
    .option("--no-backup", "do not take the pre-deploy database dump")
    .option("--restore-on-failure", "restore the pre-deploy dump when the module update failed")
    .option("--force", "deploy despite blocking findings of check")
    .option("--break-lock", "take over a deploy lock held by another (dead) deploy")
    .option("--health-timeout <seconds>", "seconds to wait for health after the switch (default: deploy.health.timeout, 300)");
}

export function addDeployCommand(program: Command, platform: Platform, setExit: SetExit): void {
  const deploy = applyFlags(common(program.command("deploy").description("Deploy an environment: plan, confirm, apply with health gates and automatic rollback (subcommands: plan, apply, status, history, rollback)")))
    .option("-y, --yes", "apply without asking (required when not on a terminal)")
    .addOption(new Option("--format <format>", "output format of the plan and summary").choices(["human", "json"]).default("human"))
    .action(async (dir: string, opts: DeployCliOptions) => setExit(await run(platform, "deploy", dir, opts)));

  common(deploy.command("plan").description("Show what a deploy would do (reads the engine, changes nothing)"))
    .option("--update <what>", "module update: auto, none, all, or module names")
    .addOption(new Option("--strategy <strategy>", "how Odoo is switched").choices(["auto", "recreate", "zero-downtime"]).default("auto"))
    .option("--no-backup", "plan without the pre-deploy dump")
    .option("--force", "plan as if blocking findings were overridden")
    .addOption(new Option("--format <format>", "output format").choices(["human", "json"]).default("human"))
    .action(async (dir: string, opts: DeployCliOptions) => setExit(await run(platform, "plan", dir, opts)));

  applyFlags(common(deploy.command("apply").description("Apply the deploy plan without asking")))
    .addOption(new Option("--format <format>", "output format of the summary").choices(["human", "json"]).default("human"))
    .action(async (dir: string, opts: DeployCliOptions) => setExit(await run(platform, "apply", dir, opts)));

  common(deploy.command("status").description("What runs now, the last deploy and the lock"))
    .addOption(new Option("--format <format>", "output format").choices(["human", "json"]).default("human"))
    .action(async (dir: string, opts: DeployCliOptions) => setExit(await run(platform, "status", dir, opts)));

  common(deploy.command("history").description("Every deploy and rollback of the environment"))
    .addOption(new Option("--format <format>", "output format").choices(["human", "json"]).default("human"))
    .action(async (dir: string, opts: DeployCliOptions) => setExit(await run(platform, "history", dir, opts)));

  common(deploy.command("rollback").description("Return to the images before the last deploy, or to those after deploy --to ID"))
    .option("--to <id>", "deploy id (or a unique prefix) whose resulting state to return to")
    .option("-y, --yes", "do not ask (required when not on a terminal)")
    .option("--break-lock", "take over a deploy lock held by another (dead) deploy")
    .option("--health-timeout <seconds>", "seconds to wait for health")
    .addOption(new Option("--format <format>", "output format of the summary").choices(["human", "json"]).default("human"))
    .action(async (dir: string, opts: DeployCliOptions) => setExit(await run(platform, "rollback", dir, opts)));
}

function parseUpdate(v: string | undefined): "auto" | "none" | "all" | string[] | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  if (t === "auto" || t === "none" || t === "all") return t;
  const mods = t.split(",").map((s) => s.trim()).filter(Boolean);
  for (const m of mods) if (!/^[a-z0-9_]+$/.test(m)) throw new UserError(`--update: "${m}" is not a module name`, { hint: "Use auto, none, all, or technical module names separated by commas (sale,stock)." });
  if (mods.length === 0) throw new UserError("--update needs auto, none, all or module names");
  return mods;
}

function healthTimeout(v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`--health-timeout needs a positive number of seconds, got "${v}"`);
  return n;
}

async function confirm(platform: Platform, question: string, yes: boolean | undefined, flag = "--yes"): Promise<boolean> {
  if (yes) return true;
  if (!platform.isTTY || !process.stdin.isTTY) {
    throw new UserError(`Not on a terminal: nothing was changed. Pass ${flag} to confirm`, { hint: "`doodba-ops deploy plan` shows what would happen." });
  }
  const { confirm: ask } = await import("@inquirer/prompts");
  return await ask({ message: question, default: false }, { output: process.stderr });
}

async function run(platform: Platform, sub: "deploy" | "plan" | "apply" | "status" | "history" | "rollback", dir: string, opts: DeployCliOptions): Promise<number> {
  const log = (s: string): void => platform.stderr(`${s}\n`);
  const out = (s: string): void => platform.stdout(s.endsWith("\n") ? s : `${s}\n`);
  const d = await import("../../deploy/index.js");
  const r = await import("../../deploy/render.js");
  const ctx = await d.openDeploy(platform, { dir, env: opts.env, context: opts.context, noBackup: opts.backup === false, log });
  const command = `doodba-ops deploy ${sub === "deploy" ? "" : `${sub} `}${dir} --env ${opts.env}`;
  const timeout = healthTimeout(opts.healthTimeout, ctx.config.healthTimeout);

  if (sub === "history") {
    const records = d.readHistory(ctx.io).filter((x) => x.env === opts.env);
    out(opts.format === "json" ? JSON.stringify(records, null, 2) : r.renderHistory(records));
    return 0;
  }
  if (opts.target === "swarm" && (sub === "status" || sub === "rollback")) {
    const sw = await import("../../deploy/swarm/apply.js");
    if (sub === "status") {
      const services = await sw.swarmStatus(ctx);
      const last = d.readHistory(ctx.io).filter((x) => x.env === opts.env).pop();
      if (opts.format === "json") out(JSON.stringify({ env: opts.env, stack: ctx.desired.project, services, last }, null, 2));
      else {
        const rows = services.map((s) => `  ${s.name}  ${s.replicas}  ${s.image}${s.update ? `  (${s.update})` : ""}`);
        out(`Stack ${ctx.desired.project} (${opts.env}) on Swarm\n${rows.join("\n") || "  nothing runs"}\n  last deploy: ${last ? `${last.id} ${last.outcome} at ${last.finishedAt} by ${last.user}` : "none recorded"}`);
      }
      return 0;
    }
    if (opts.to) throw new UserError("--to is not supported with --target swarm: Swarm keeps only each service's previous spec");
    if (!(await confirm(platform, `Roll the Odoo service of stack ${ctx.desired.project} back to its previous spec?`, opts.yes))) return 1;
    const res = await sw.rollbackSwarm(ctx, { timeout: timeout * 2, command, breakLock: opts.breakLock });
    out(opts.format === "json" ? JSON.stringify(res.record, null, 2) : r.renderRecord(res.record));
    return res.exitCode;
  }
  if (sub === "status") {
    const eng = await ctx.runtime.engineVersion();
    const containers = eng.version ? await ctx.runtime.listContainers() : [];
    const last = d.readHistory(ctx.io).filter((x) => x.env === opts.env).pop();
    const lockPath = `${ctx.io.dir}/.doodba-ops/deploy.lock`;
    const lock = platform.fs.exists(lockPath) ? platform.fs.readText(lockPath).replace(/\s+/g, " ").trim() : undefined;
    const view = { env: opts.env, project: ctx.desired.project, engine: eng.version, containers, last, lock };
    out(opts.format === "json" ? JSON.stringify(view, null, 2) : r.renderStatus(view));
    return eng.version ? 0 : 1;
  }
  if (sub === "rollback") {
    const { rollbackDeploy, rollbackTarget } = await import("../../deploy/rollback.js");
    const target = rollbackTarget(d.readHistory(ctx.io), opts.env, opts.to);
    if (!(await confirm(platform, `Roll ${opts.env} back to ${target.description}?`, opts.yes))) return 1;
    const res = await rollbackDeploy(ctx, { to: opts.to, healthTimeout: timeout, command, breakLock: opts.breakLock });
    out(opts.format === "json" ? JSON.stringify(res.record, null, 2) : r.renderRecord(res.record));
    return res.exitCode;
  }

  const update = parseUpdate(opts.update) ?? ctx.config.update ?? "auto";
  const strategy = opts.strategy !== "auto" ? opts.strategy : (ctx.config.strategy ?? "auto");
  const gates = await d.gateFindings(platform, ctx.model.dir, opts.env);
  const planOpts = { update, strategy, noBackup: opts.backup === false, gates, force: Boolean(opts.force) };
  if (opts.target === "swarm") {
    const sw = await import("../../deploy/swarm/apply.js");
    if (sub === "plan") {
      const plan = sw.planStack(ctx);
      const { maskStack } = await import("../../deploy/swarm/convert.js");
      // Secrets stay in the stack file deploy writes (0600), never on the terminal.
      const conv = { ...plan, stack: maskStack(plan.stack) };
      if (opts.format === "json") out(JSON.stringify(conv, null, 2));
      else {
        const { stringify } = await import("yaml");
        out(`Swarm stack ${ctx.desired.project} for ${opts.env} (built images get a per-deploy tag at apply):\n${conv.warnings.map((w) => `  warning: ${w.services.join(", ")}: ${w.message}`).join("\n")}\n${stringify(conv.stack, { sortMapEntries: true })}`);
      }
      return 0;
    }
    if (sub === "deploy" && !(await confirm(platform, `Deploy ${opts.env} to the Swarm stack ${ctx.desired.project}?`, opts.yes))) return 1;
    const res = await sw.applySwarm(ctx, { breakLock: Boolean(opts.breakLock), timeout: timeout * 2, gates, force: Boolean(opts.force), command });
    out(opts.format === "json" ? JSON.stringify(res.record, null, 2) : r.renderRecord(res.record));
    return res.exitCode;
  }
  if (sub === "plan" || sub === "deploy") {
    const { plan } = await d.makePlan(ctx, planOpts);
    if (sub === "plan") {
      out(opts.format === "json" ? JSON.stringify(plan, null, 2) : r.renderPlan(plan));
      return plan.blockers.length > 0 ? 1 : 0;
    }
    platform.stderr(r.renderPlan(plan));
    if (plan.blockers.length > 0) {
      throw new UserError(`The deploy of ${opts.env} is blocked: ${plan.blockers.join("; ")}`, { next: `doodba-ops check ${dir} --env ${opts.env}` });
    }
    if (!(await confirm(platform, `Apply this plan to ${opts.env}?`, opts.yes))) return 1;
  }
  const res = await d.applyDeploy(ctx, {
    ...planOpts,
    restoreOnFailure: Boolean(opts.restoreOnFailure ?? ctx.config.restoreOnFailure),
    breakLock: Boolean(opts.breakLock),
    healthTimeout: timeout,
    command,
  });
  out(opts.format === "json" ? JSON.stringify(res.record, null, 2) : r.renderRecord(res.record));
  return res.exitCode;
}
