/**
 * `doodba-ops deploy`: wiring of the pieces for one environment of one project. The CLI
 * (src/cli/commands/deploy.ts) parses flags and prints; everything else starts here.
 */
import { hostname } from "node:os";
import { posix } from "node:path";
import { UserError } from "../errors.js";
import type { Platform } from "../platform/index.js";
import { loadProject } from "../project/index.js";
import type { EnvModel, ProjectModel } from "../project/model.js";
import { DatabaseDumpBackup, SkippedBackup, type PreDeployBackup } from "./backup.js";
import { loadDeployConfig, type DeployConfig } from "./config.js";
import { STATE_DIR, type StateIO } from "./history.js";
import { composeProjectName, desiredState, type GateFinding } from "./plan.js";
import { ComposeRuntime } from "./runtimes/compose.js";
import type { DeployContext } from "./apply.js";

export { applyDeploy, makePlan, readActual, rollbackTo } from "./apply.js";
export type { ApplyOptions, ApplyResult, DeployContext } from "./apply.js";
export { readHistory } from "./history.js";
export type { DeployRecord } from "./history.js";
export type { DeployPlan } from "./plan.js";

export interface OpenOptions {
  dir: string;
  env: string;
  context?: string;
  noBackup?: boolean;
  /** Progress lines (stderr). */
  log: (line: string) => void;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

/** The database of the Odoo service (db_name, else PGDATABASE, else Doodba's default "prod"). */
function odooDatabase(env: EnvModel): string {
  const cfg = env.odoo[0];
  const name = cfg?.options.db_name?.value;
  if (name && name !== "False" && name !== "false") return name;
  const svc = cfg ? env.compose.services[cfg.service] : undefined;
  return svc?.environment.PGDATABASE ?? "prod";
}

function backupFor(runtime: ComposeRuntime, platform: Platform, env: EnvModel, config: DeployConfig, dir: string, o: OpenOptions, dbService: string | undefined): PreDeployBackup {
  if (o.noBackup) return new SkippedBackup("--no-backup");
  if (config.backup === "none") return new SkippedBackup("deploy.backup: none in .doodba-ops.yaml");
  if (!dbService) return new SkippedBackup("the environment has no PostgreSQL service (an external database is backed up with doodba-ops backup)");
  if (!platform.exec) return new SkippedBackup("no process adapter");
  const svc = env.compose.services[dbService];
  const user = svc?.environment.POSTGRES_USER ?? "postgres";
  return new DatabaseDumpBackup(runtime, platform.exec, { service: dbService, database: odooDatabase(env), user }, posix.join(dir, STATE_DIR), o.context, platform.fs.chmod);
}

/** Loads the project and the engine-facing pieces of a deploy of one environment. */
export async function openDeploy(platform: Platform, o: OpenOptions): Promise<DeployContext & { env: EnvModel }> {
  if (!platform.exec) throw new Error("deploy needs the platform's exec adapter");
  const model: ProjectModel = loadProject(o.dir, { platform, envs: [o.env] });
  const env = model.envs[o.env];
  if (!env) throw new UserError(`Environment "${o.env}" not found in ${o.dir}`);
  if (Object.keys(env.compose.services).length === 0) throw new UserError(`Environment ${o.env} has no services`, { pos: { file: env.compose.files[0] ?? `${o.env}.yaml`, line: 1, col: 1 } });
  const config = loadDeployConfig(platform.fs, model.dir);
  const project = composeProjectName(model.dir, env.variables);
  const runtime = new ComposeRuntime({ exec: platform.exec, context: o.context, env: undefined }, { dir: model.dir, project, files: env.compose.files });
  const eng = await runtime.engineVersion();
  const flavour = eng.version ? await runtime.composeFlavour() : "v2";
  const hashes = eng.version ? await runtime.configHashes() : {};
  const desired = desiredState(env, project, flavour, hashes);
  const db = desired.services.find((s) => s.database)?.name;
  const io: StateIO = { fs: platform.fs, dir: model.dir, now: () => platform.now?.() ?? new Date(), pidAlive, host: hostname() };
  return {
    platform,
    runtime,
    model,
    env,
    desired,
    config,
    backup: backupFor(runtime, platform, env, config, model.dir, o, db),
    io,
    log: o.log,
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    clock: () => (platform.now?.() ?? new Date()).getTime(),
  };
}

/** Blocking findings (severity error) of `check` for the environment. */
export async function gateFindings(platform: Platform, dir: string, env: string): Promise<GateFinding[]> {
  const { runCheck } = await import("../check/index.js");
  const report = runCheck(platform, { dir, envs: [env], failOn: "error" });
  return report.findings
    .filter((f) => f.severity === "error")
    .map((f) => ({ ruleId: f.ruleId, severity: f.severity, message: f.message, ...(f.pos ? { where: `${f.pos.file}:${f.pos.line}:${f.pos.col}` } : {}) }));
}
