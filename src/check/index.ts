/**
 * `doodba-ops check`: load the project, read its config, run the rules, apply suppressions,
 * decide the exit code. Returns a {@link CheckReport}; the renderers in src/cli/output print it.
 */
import { fileURLToPath } from "node:url";
import { resolve } from "node:path";
import { UserError } from "../errors.js";
import type { Diagnostic } from "../errors.js";
import type { Platform } from "../platform/index.js";
import { nodeFs } from "../platform/fs.js";
import { VERSION } from "../version.js";
import type { ProjectModel } from "../project/model.js";
import { loadProject } from "../project/index.js";
import { emptyCheckConfig, loadCheckConfig, validateConfigRuleIds } from "./config.js";
import type { CheckConfig, FailOn } from "./config.js";
import { runRules } from "./engine.js";
import type { RuleError, RuleRun } from "./engine.js";
import { allRules } from "./registry.js";
import { applySuppressions } from "./suppress.js";
import type { SuppressedFinding } from "./suppress.js";
import { SEVERITY_RANK } from "./types.js";
import type { Category, Finding, Rule, RuleMeta, Severity } from "./types.js";

export type { CheckConfig, FailOn } from "./config.js";
export type { RuleError, RuleRun } from "./engine.js";
export type { SuppressedFinding } from "./suppress.js";

export interface CheckRunOptions {
  /** Project directory. */
  dir: string;
  /** `--env` (repeatable). @default config `check.envs`, else every environment */
  envs?: string[];
  /** `--rule`: run only these rules. */
  only?: string[];
  /** `--skip`: do not run these rules. */
  skip?: string[];
  /** `--fail-on`. @default config `check.fail-on`, else "error" */
  failOn?: FailOn;
  /** "Today" for date-dependent rules. @default new Date() */
  now?: Date;
  /** Do not read `.doodba-ops.yaml` (`--no-config`). @default false */
  noConfig?: boolean;
  /** The rules to run. @default the registry ({@link allRules}) */
  rules?: readonly Rule[];
  /** The project loader. @default loadProject from src/project */
  load?: (dir: string, opts: { platform: Platform; envs?: string[] }) => ProjectModel;
}

/** A rule as the report describes it (metadata plus where it ran). */
export interface ReportRule {
  id: string;
  category: Category;
  /** Severity in effect (the config may override the default). */
  severity: Severity;
  defaultSeverity: Severity;
  title: string;
  why: string;
  fix: string;
  appliesTo: RuleMeta["appliesTo"];
  scope: "env" | "project";
  /** Environments the rule ran in; empty for project rules. */
  envs: string[];
}

export interface CheckSummary {
  error: number;
  warning: number;
  info: number;
  suppressed: number;
}

export interface CheckReport {
  tool: { name: string; version: string };
  project: {
    /** Absolute project directory. */
    dir: string;
    /** Odoo series, e.g. "17.0", when the loader found it. */
    odooVersion?: string;
    /** Environments checked, in project order. */
    envs: string[];
    /** The root compose file of each checked environment (project-relative). */
    envFiles: Record<string, string>;
    /** The config file that was applied, if any. */
    configFile?: string;
  };
  failOn: FailOn;
  /** The rules that ran, sorted by id. */
  rules: ReportRule[];
  /** Active (unsuppressed) findings, sorted by file, line, col, rule id. */
  findings: Finding[];
  suppressed: SuppressedFinding[];
  /** Loader warnings, and ignore comments naming unknown rules. */
  diagnostics: Diagnostic[];
  /** Rules that crashed (the run went on without them). */
  ruleErrors: RuleError[];
  summary: CheckSummary;
  /** 1 when an active finding reaches the fail-on threshold, else 0. */
  exitCode: 0 | 1;
}

export const TOOL_NAME = "doodba-ops";

/**
 * Runs the check. Flags in `opts` override the config file.
 * @throws UserError for a project or config that cannot be read, an unknown rule id or env.
 */
export function runCheck(platform: Platform, opts: CheckRunOptions): CheckReport {
  const rules = opts.rules ?? allRules;
  const dir = resolve(opts.dir);
  const config: CheckConfig = opts.noConfig ? emptyCheckConfig() : loadCheckConfig(platform.fs, dir);
  validateConfigRuleIds(
    config,
    rules.map((r) => r.id),
  );

  const envs = opts.envs && opts.envs.length > 0 ? opts.envs : config.envs;
  const load = opts.load ?? ((d: string, o: { platform: Platform; envs?: string[] }) => loadProject(d, o));
  const project = load(dir, envs ? { platform, envs } : { platform });
  if (envs === config.envs && envs) checkConfigEnvs(project, envs, config);

  const result = runRules(project, rules, {
    envs,
    only: opts.only,
    skip: opts.skip,
    severities: config.rules,
    now: opts.now ?? new Date(),
  });

  const sup = applySuppressions(result.findings, {
    fs: platform.fs,
    dir: project.dir,
    ignore: config.ignore,
    knownIds: rules.map((r) => r.id),
    extraFiles: composeFilesOf(project, result.envs),
  });

  const failOn = opts.failOn ?? config.failOn ?? "error";
  const summary: CheckSummary = { error: 0, warning: 0, info: 0, suppressed: sup.suppressed.length };
  for (const f of sup.findings) summary[f.severity]++;

  const byId = new Map(rules.map((r) => [r.id, r]));
  const report: CheckReport = {
    tool: { name: TOOL_NAME, version: toolVersion() },
    project: {
      dir: project.dir,
      envs: result.envs,
      envFiles: Object.fromEntries(result.envs.map((e) => [e, rootComposeFile(project, e)])),
    },
    failOn,
    rules: result.runs.flatMap((run) => {
      const r = byId.get(run.ruleId);
      return r ? [reportRule(r, run)] : [];
    }),
    findings: sup.findings,
    suppressed: sup.suppressed,
    diagnostics: [...project.diagnostics, ...sup.diagnostics],
    ruleErrors: result.ruleErrors,
    summary,
    exitCode: exitCodeFor(sup.findings, failOn),
  };
  if (project.odooVersion) report.project.odooVersion = project.odooVersion.value;
  if (config.file) report.project.configFile = config.file;
  return report;
}

/** Whether a finding of `severity` reaches the `failOn` threshold. */
export function failsAt(severity: Severity, failOn: FailOn): boolean {
  if (failOn === "never") return false;
  return SEVERITY_RANK[severity] >= SEVERITY_RANK[failOn];
}

/** 1 when any active finding reaches the threshold. Suppressed findings never count. */
export function exitCodeFor(findings: readonly Finding[], failOn: FailOn): 0 | 1 {
  return findings.some((f) => failsAt(f.severity, failOn)) ? 1 : 0;
}

function reportRule(r: Rule, run: RuleRun): ReportRule {
  return {
    id: r.id,
    category: r.category,
    severity: run.severity,
    defaultSeverity: r.severity,
    title: r.title,
    why: r.why,
    fix: r.fix,
    appliesTo: r.appliesTo,
    scope: r.scope,
    envs: run.envs,
  };
}

/** Environments named in the config must exist: say where the config names them. */
function checkConfigEnvs(project: ProjectModel, envs: readonly string[], config: CheckConfig): void {
  const missing = envs.filter((e) => project.envs[e] === undefined);
  if (missing.length === 0) return;
  const have = project.envNames.filter((e) => project.envs[e] !== undefined);
  throw new UserError(`${config.file ?? "The config"} names unknown environment${missing.length > 1 ? "s" : ""}: ${missing.join(", ")}`, {
    pos: config.envsPos,
    hint: have.length > 0 ? `This project has: ${have.join(", ")}.` : "This project has no environment.",
  });
}

/** The compose file an environment is named after (prod -> prod.yaml), else its first file. */
export function rootComposeFile(project: ProjectModel, env: string): string {
  const files = project.envs[env]?.compose.files ?? [];
  const named = files.find((f) => {
    const base = f.split("/").pop() ?? f;
    return base.replace(/\.ya?ml$/, "") === env;
  });
  return named ?? files[0] ?? `${env}.yaml`;
}

function composeFilesOf(project: ProjectModel, envs: readonly string[]): string[] {
  const files = new Set<string>();
  for (const e of envs) for (const f of project.envs[e]?.compose.files ?? []) files.add(f);
  for (const c of project.confd) files.add(c.path);
  return [...files].sort();
}

let cachedVersion: string | undefined;

/**
 * The tool's version from its package.json (one level above src/ or dist/, both of which ship
 * beside it). Read once; falls back to the compiled-in {@link VERSION} if the file is unreadable.
 */
export function toolVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  try {
    const path = fileURLToPath(new URL("../../package.json", import.meta.url));
    const pkg = JSON.parse(nodeFs.readText(path)) as { name?: unknown; version?: unknown };
    if (typeof pkg.version === "string") cachedVersion = pkg.version;
  } catch {
    // not fatal: the version only labels reports
  }
  return cachedVersion ?? VERSION;
}
