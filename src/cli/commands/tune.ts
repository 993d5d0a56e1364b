/**
 * `doodba-ops tune [dir] --env prod`: the host and the load -> the recommended Odoo and
 * PostgreSQL settings next to the project's current ones; `--apply` writes them (diff first,
 * then a confirmation or --yes; --dry-run only shows).
 *
 * Exit codes: 0 whether or not settings differ (a recommendation is not a failure: `check` is
 * the gate), also when the user declines the write; 2 for bad input (unknown environment,
 * unreadable YAML, a flag value out of range, no Docker engine for --from-docker, a host too
 * small for prefork Odoo, --apply without a terminal and without --yes).
 */
import { createTwoFilesPatch } from "diff";
import { UserError } from "../../errors.js";
import { applyPlan, hasWork, planChanges, renderChanges, type Change } from "../../generate/fileplan.js";
import type { Platform } from "../../platform/index.js";
import { loadProject } from "../../project/index.js";
import { planApply } from "../../tune/apply.js";
import { hostFromDocker, hostFromOs, parseMemory, type HostInput } from "../../tune/host.js";
import { USERS_PER_WORKER } from "../../tune/odoo.js";
import { PG_STORAGES, PG_WORKLOADS, type PgStorage, type PgWorkload } from "../../tune/postgres.js";
import { recommend } from "../../tune/recommend.js";
import { renderTuneHuman, tuneJson } from "../../tune/render.js";
import { stableJson } from "../output/common.js";
import { SECRET_NAME } from "./config.js";

export interface TuneCliOptions {
  env: string;
  cpus?: string;
  memory?: string;
  users?: string;
  storage?: string;
  workload?: string;
  heavyRatio?: string;
  pgElsewhere?: boolean;
  splitCron?: boolean;
  fromDocker?: boolean;
  format: "human" | "json";
  apply?: boolean;
  dryRun?: boolean;
  yes?: boolean;
}

export interface TuneDeps {
  /** This machine's size (tests pass a fixed one). @default os.cpus / os.totalmem */
  hostFromOs?: () => HostInput;
  /** Ask before writing. @default a prompt on the terminal when stdin and stderr are terminals */
  confirm?: (message: string) => Promise<boolean>;
}

function positiveInt(flag: string, v: string | undefined, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n) || n < 1 || n > max) throw new UserError(`${flag} must be a whole number from 1 to ${max} (got "${v}")`);
  return n;
}

function ratio(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  let n = Number(v.replace(/%$/, ""));
  if (v.trim().endsWith("%")) n /= 100;
  if (v.trim() === "" || !Number.isFinite(n) || n < 0 || n > 1) {
    throw new UserError(`--heavy-ratio must be between 0 and 1, or a percentage (got "${v}")`, { hint: "0.2 (or 20%) means one request in five is heavy (a report, an import): Odoo's documented default." });
  }
  return n;
}

function oneOf<T extends string>(flag: string, v: string | undefined, valid: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if ((valid as readonly string[]).includes(v)) return v as T;
  throw new UserError(`${flag} must be one of ${valid.join(", ")} (got "${v}")`);
}

/** Secret values in a diff or plan listing become ********; passwords in URLs too. */
export function maskSecrets(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      const m = /^([+\- ]?\s*(?:-\s*)?["']?([A-Za-z0-9_.-]+)["']?\s*[:=]\s*)(\S.*)$/.exec(line);
      if (m && SECRET_NAME.test(m[2] ?? "") && !/^\$\{?[A-Za-z_]/.test(m[3] ?? "")) return `${m[1] ?? ""}********`;
      return line.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s]+@/gi, "$1***@");
    })
    .join("\n");
}

/** New files show their content as a diff from nothing, like the updates show theirs. */
function withCreateDiffs(changes: readonly Change[]): Change[] {
  return changes.map((c) =>
    c.kind === "file" && c.action === "create" && !c.secret && c.diff === undefined
      ? { ...c, diff: createTwoFilesPatch("/dev/null", `b/${c.path}`, "", c.content, "", "", { context: 3 }).replace(/^=+\n/, "") }
      : c,
  );
}

function shellQuote(s: string): string {
  return /^[\w./@%+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

async function terminalConfirm(message: string): Promise<boolean> {
  const { confirm } = await import("@inquirer/prompts");
  try {
    return await confirm({ message, default: false }, { output: process.stderr });
  } catch (e) {
    if (e instanceof Error && (e.name === "ExitPromptError" || e.name === "AbortPromptError")) return false;
    throw e;
  }
}

export async function tuneCommand(platform: Platform, dir: string, opts: TuneCliOptions, deps: TuneDeps = {}): Promise<number> {
  const log = (s: string): void => platform.stderr(s.endsWith("\n") ? s : `${s}\n`);
  const cpus = positiveInt("--cpus", opts.cpus, 1024);
  const memory = opts.memory !== undefined ? parseMemory(opts.memory) : undefined;
  const users = positiveInt("--users", opts.users, 100_000);
  const heavyRatio = ratio(opts.heavyRatio);
  const storage = oneOf<PgStorage>("--storage", opts.storage, PG_STORAGES);
  const workload = oneOf<PgWorkload>("--workload", opts.workload, PG_WORKLOADS);
  const applying = opts.apply === true || opts.dryRun === true;
  if (opts.yes && !applying) throw new UserError("--yes goes with --apply", { hint: "tune only shows the recommendation unless --apply is given." });

  // The host: flags win over docker info, docker info over this machine.
  let host: HostInput;
  if (cpus !== undefined && memory !== undefined) host = { cpus, memoryBytes: memory, source: "--cpus/--memory" };
  else {
    const base = opts.fromDocker ? await hostFromDocker(platform.exec) : (deps.hostFromOs ?? hostFromOs)();
    host = {
      cpus: cpus ?? base.cpus,
      memoryBytes: memory ?? base.memoryBytes,
      source: cpus !== undefined || memory !== undefined ? `${base.source}, ${cpus !== undefined ? "--cpus" : "--memory"}` : base.source,
    };
  }
  const project = loadProject(dir, { platform, envs: [opts.env] });
  // Without --users: as many users as the CPU budget serves, so CPUs and memory decide.
  const effectiveUsers = users ?? USERS_PER_WORKER * (2 * host.cpus + 1);
  const rec = recommend(project, {
    env: opts.env,
    host,
    users: effectiveUsers,
    heavyRatio,
    storage,
    workload,
    pgElsewhere: opts.pgElsewhere === true ? true : undefined,
    splitCron: opts.splitCron,
  });
  if (users === undefined) rec.notes.unshift(`No --users: sized for ${effectiveUsers} users (what ${host.cpus} CPU${host.cpus === 1 ? "" : "s"} serve at ${USERS_PER_WORKER} per worker); give --users for a smaller site.`);

  const flags: string[] = [];
  if (opts.env !== "prod") flags.push("--env", opts.env);
  if (cpus !== undefined) flags.push("--cpus", String(cpus));
  if (opts.memory !== undefined) flags.push("--memory", opts.memory);
  if (opts.fromDocker) flags.push("--from-docker");
  if (users !== undefined) flags.push("--users", String(users));
  if (opts.heavyRatio !== undefined) flags.push("--heavy-ratio", opts.heavyRatio);
  if (opts.storage !== undefined) flags.push("--storage", opts.storage);
  if (opts.workload !== undefined) flags.push("--workload", opts.workload);
  if (opts.pgElsewhere) flags.push("--pg-elsewhere");
  if (opts.splitCron) flags.push("--split-cron");
  const command = ["doodba-ops", "tune", shellQuote(dir), ...flags.map(shellQuote)].join(" ");

  if (!applying) {
    if (opts.format === "json") platform.stdout(stableJson(tuneJson(rec)));
    else platform.stdout(renderTuneHuman(rec, { dir, applyHint: `${command} --apply` }));
    return 0;
  }

  const planned = planApply(project, rec);
  const changes: Change[] = planChanges(platform.fs, dir, planned.plan);
  const work = hasWork(changes);
  const notes = [...rec.notes, ...planned.notes];
  const json = (written: boolean): void => {
    const files = withCreateDiffs(changes).map((c) => ({ path: c.path, action: c.action, diff: c.diff !== undefined ? maskSecrets(c.diff) : undefined }));
    platform.stdout(stableJson(tuneJson({ ...rec, notes }, { plan: { files, edits: planned.edits, written } })));
  };
  if (opts.format !== "json") {
    platform.stdout(renderTuneHuman({ ...rec, notes }, { dir }));
    platform.stdout(`\nPlan for ${dir}:\n${maskSecrets(renderChanges(withCreateDiffs(changes), { showUnchanged: false }))}`);
  }
  if (!work) {
    if (opts.format === "json") json(false);
    log(`doodba-ops: nothing to write: ${dir} already holds these values`);
    return 0;
  }
  if (opts.dryRun) {
    if (opts.format === "json") json(false);
    log(`doodba-ops: dry run: nothing was written; write with \`${command} --apply\``);
    return 0;
  }
  if (!opts.yes) {
    const interactive = deps.confirm !== undefined || (Boolean(process.stdin.isTTY) && Boolean(process.stderr.isTTY));
    if (!interactive) {
      throw new UserError("--apply changes project files and asks first, but there is no terminal to ask on; nothing was written", {
        hint: "Review the plan above, then confirm with --yes.",
        next: `${command} --apply --yes`,
      });
    }
    const ok = await (deps.confirm ?? terminalConfirm)(`Write these changes into ${dir}?`);
    if (!ok) {
      if (opts.format === "json") json(false);
      log("doodba-ops: nothing was written");
      return 0;
    }
  }
  const result = await applyPlan(platform.fs, dir, changes, { force: true });
  const lines = [`Written into ${dir}: ${result.created.length} created, ${result.updated.length} updated.`];
  for (const c of changes) if (c.action === "create" || c.action === "update") lines.push(`  ${c.action === "create" ? "+" : "~"} ${c.path}`);
  const envFile = project.envs[opts.env]?.compose.files.at(-1) ?? `${opts.env}.yaml`;
  const confd = changes.some((c) => c.path.startsWith("odoo/custom/conf.d/") && c.action !== "unchanged");
  lines.push(
    "",
    "Next:",
    `  doodba-ops check ${shellQuote(dir)} --env ${opts.env}`,
    confd
      ? `  cd ${shellQuote(dir)} && docker compose -f ${envFile} build && docker compose -f ${envFile} up -d   # conf.d is copied into the image at build`
      : `  cd ${shellQuote(dir)} && docker compose -f ${envFile} up -d`,
  );
  if (opts.format === "json") {
    json(true);
    log(lines.join("\n"));
  } else platform.stdout(`\n${lines.join("\n")}\n`);
  return 0;
}
