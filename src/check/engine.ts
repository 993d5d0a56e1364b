/**
 * The rule engine: decides which rules run where, runs them, and turns what they report into
 * findings. Pure: the project model and the rules in, findings out. Suppressions, config files
 * and the exit-code policy live in ./suppress.ts, ./config.ts and ./index.ts.
 */
import { UserError } from "../errors.js";
import type { ProjectModel } from "../project/model.js";
import { envKind } from "./lib/common.js";
import type { Finding, RawFinding, Rule, RuleContext, Severity } from "./types.js";

/** A severity from the config, or `off` to disable a rule. */
export type SeverityOverride = Severity | "off";

export interface EngineOptions {
  /** Environments to check, by name. @default every environment of the project */
  envs?: readonly string[];
  /** Run only these rule ids (`--rule`). Runs a rule even when the config turns it `off`. */
  only?: readonly string[];
  /** Do not run these rule ids (`--skip`). */
  skip?: readonly string[];
  /** Severity per rule id, from the project config. `off` disables the rule. */
  severities?: Readonly<Record<string, SeverityOverride>>;
  /** "Today", handed to rules (end-of-life tables). */
  now: Date;
}

/** A rule that threw. The run goes on without it; the report lists it. */
export interface RuleError {
  ruleId: string;
  /** Environment it threw in; undefined for project rules (and for a bad `appliesTo`). */
  env?: string;
  error: string;
}

/** Which rules ran, and where. */
export interface RuleRun {
  ruleId: string;
  /** Effective severity (default, or the config's override). */
  severity: Severity;
  scope: "env" | "project";
  /** Environments the rule ran in (env rules); empty for project rules. */
  envs: string[];
}

export interface EngineResult {
  /** De-duplicated, sorted findings (file, line, col, rule id). */
  findings: Finding[];
  ruleErrors: RuleError[];
  /** The rules that ran (sorted by id); a rule filtered out everywhere is not listed. */
  runs: RuleRun[];
  /** The environments that were checked, in project order. */
  envs: string[];
}

/**
 * Runs `rules` over `project`.
 *
 * - env rules run once per selected environment whose kind matches `appliesTo.envs`;
 * - project rules run once;
 * - `appliesTo.odoo` is checked against the project's Odoo major version (unknown: the rule runs);
 * - a rule that throws is recorded in `ruleErrors` and the run goes on;
 * - findings identical across environments (same rule, file, line, col and message) become one
 *   finding with `envs` listing them all.
 *
 * @throws UserError for an unknown rule id in `only`/`skip`/`severities` or an unknown env.
 */
export function runRules(project: ProjectModel, rules: readonly Rule[], opts: EngineOptions): EngineResult {
  const ids = rules.map((r) => r.id);
  validateIds(opts.only ?? [], ids, "--rule");
  validateIds(opts.skip ?? [], ids, "--skip");
  validateIds(Object.keys(opts.severities ?? {}), ids, "check.rules in the config");
  const envs = selectEnvs(project, opts.envs);

  const only = opts.only && opts.only.length > 0 ? new Set(opts.only) : undefined;
  const skip = new Set(opts.skip ?? []);
  const ctx: RuleContext = { project, now: opts.now };
  const major = project.odooVersion?.major;

  const raw: Finding[] = [];
  const ruleErrors: RuleError[] = [];
  const runs: RuleRun[] = [];

  for (const rule of [...rules].sort((a, b) => cmp(a.id, b.id))) {
    if (only && !only.has(rule.id)) continue;
    if (skip.has(rule.id)) continue;
    const override = opts.severities?.[rule.id];
    // an explicit --rule wins over `off` in the config: the flag is the newer, narrower intent
    if (override === "off" && !only) continue;
    const severity: Severity = override && override !== "off" ? override : rule.severity;

    if (rule.appliesTo.odoo !== undefined && major !== undefined) {
      let inRange: boolean;
      try {
        inRange = versionInRange(major, rule.appliesTo.odoo);
      } catch (e) {
        ruleErrors.push({ ruleId: rule.id, error: errorMessage(e) });
        continue;
      }
      if (!inRange) continue;
    }

    const make = (f: RawFinding, env: string | undefined): Finding => {
      const finding: Finding = {
        ruleId: rule.id,
        category: rule.category,
        severity,
        title: rule.title,
        message: String(f.message),
        fix: f.fix ?? rule.fix,
      };
      if (f.pos) finding.pos = { file: f.pos.file, line: f.pos.line, col: f.pos.col };
      if (env !== undefined) {
        finding.env = env;
        finding.envs = [env];
      }
      return finding;
    };

    if (rule.scope === "project") {
      runs.push({ ruleId: rule.id, severity, scope: "project", envs: [] });
      const out = guard(() => rule.check(ctx), rule.id, undefined, ruleErrors);
      for (const f of out) raw.push(make(f, undefined));
      continue;
    }

    const ranIn: string[] = [];
    for (const name of envs) {
      if (!envMatches(name, rule.appliesTo.envs)) continue;
      const env = project.envs[name];
      if (!env) continue;
      ranIn.push(name);
      const out = guard(() => rule.check(env, ctx), rule.id, name, ruleErrors);
      for (const f of out) raw.push(make(f, name));
    }
    if (ranIn.length > 0) runs.push({ ruleId: rule.id, severity, scope: "env", envs: ranIn });
  }

  const envOrder = new Map(envs.map((e, i) => [e, i]));
  return { findings: sortFindings(dedupe(raw, envOrder), envOrder), ruleErrors, runs, envs };
}

/** Whether an environment name is one the rule applies to. */
export function envMatches(name: string, applies: Rule["appliesTo"]["envs"]): boolean {
  if (!applies || applies.length === 0) return true;
  const kind = envKind(name);
  return applies.some((a) => (a === "any-non-devel" ? kind !== "devel" : a === kind));
}

/**
 * A tiny range check on the Odoo major version: space-separated comparators that must all hold
 * (`>=8 <13`), alternatives with `||`. A bare number means `=`. Minor parts (`>=8.0`) are
 * ignored: Odoo's series are majors.
 * @throws Error on a range it cannot read.
 */
export function versionInRange(major: number, range: string): boolean {
  const alternatives = range.split("||").map((s) => s.trim());
  return alternatives.some((alt) => {
    const terms = alt.split(/[\s,]+/).filter(Boolean);
    if (terms.length === 0) throw new Error(`empty Odoo version range "${range}"`);
    return terms.every((term) => {
      const m = /^(>=|<=|>|<|==?)?v?(\d+)(?:\.\d+)*$/.exec(term);
      if (!m) throw new Error(`bad Odoo version range "${range}" (expected e.g. ">=16", "<16", ">=8 <13")`);
      const n = Number.parseInt(m[2] ?? "", 10);
      switch (m[1]) {
        case ">=":
          return major >= n;
        case "<=":
          return major <= n;
        case ">":
          return major > n;
        case "<":
          return major < n;
        default:
          return major === n;
      }
    });
  });
}

/**
 * Up to `n` valid ids close to `id`, closest first: a small edit distance (a typo), or one
 * containing the other (`list-db` for `list-db-enabled`). Far-off ids are not suggested.
 */
export function closestIds(id: string, valid: readonly string[], n = 3): string[] {
  const limit = Math.max(2, Math.ceil(id.length * 0.4));
  const scored = valid.flatMap((v) => {
    let d = editDistance(id, v);
    const contains = id.length >= 3 && (v.includes(id) || id.includes(v));
    if (contains) d = Math.min(d, 1 + Math.abs(v.length - id.length) / 100);
    return d <= limit ? [{ v, d }] : [];
  });
  scored.sort((a, b) => a.d - b.d || cmp(a.v, b.v));
  return scored.slice(0, n).map((s) => s.v);
}

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/** Plain code-point comparison: the same order on every machine and locale. */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function validateIds(given: readonly string[], valid: readonly string[], where: string): void {
  const known = new Set(valid);
  const unknown = given.filter((id) => !known.has(id));
  if (unknown.length === 0) return;
  const first = unknown[0] ?? "";
  const near = closestIds(first, valid);
  throw new UserError(`Unknown rule id${unknown.length > 1 ? "s" : ""} in ${where}: ${unknown.join(", ")}`, {
    hint:
      near.length > 0
        ? `Did you mean: ${near.join(", ")}?`
        : valid.length > 0
          ? "No rule id is close to it: `doodba-ops rules` lists them all."
          : "There are no rules registered.",
    next: "doodba-ops rules",
  });
}

function selectEnvs(project: ProjectModel, requested: readonly string[] | undefined): string[] {
  const available = project.envNames.filter((n) => project.envs[n] !== undefined);
  for (const n of Object.keys(project.envs)) if (!available.includes(n)) available.push(n);
  if (!requested || requested.length === 0) return available;
  const unknown = requested.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    throw new UserError(`Unknown environment${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`, {
      hint:
        available.length > 0
          ? `This project has: ${available.join(", ")} (one per root compose file, e.g. prod.yaml).`
          : "This project has no environment (no root compose file with a `services:` key).",
    });
  }
  const want = new Set(requested);
  return available.filter((n) => want.has(n));
}

function guard(run: () => RawFinding[], ruleId: string, env: string | undefined, errors: RuleError[]): RawFinding[] {
  try {
    const out = run();
    if (!Array.isArray(out)) throw new Error(`check() returned ${typeof out}, not an array of findings`);
    for (const f of out as unknown[]) {
      if (typeof f !== "object" || f === null || typeof (f as RawFinding).message !== "string") {
        throw new Error("check() returned a finding without a message");
      }
    }
    return out;
  } catch (e) {
    const err: RuleError = { ruleId, error: errorMessage(e) };
    if (env !== undefined) err.env = env;
    errors.push(err);
    return [];
  }
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function dedupe(findings: Finding[], envOrder: Map<string, number>): Finding[] {
  const byKey = new Map<string, Finding>();
  const out: Finding[] = [];
  for (const f of findings) {
    // only positioned findings are merged: without a position two envs' findings may be about
    // different files, and the env tag is all that tells them apart
    if (!f.pos || f.env === undefined) {
      out.push(f);
      continue;
    }
    const key = JSON.stringify([f.ruleId, f.pos.file, f.pos.line, f.pos.col, f.message]);
    const seen = byKey.get(key);
    if (!seen) {
      byKey.set(key, f);
      out.push(f);
      continue;
    }
    const envs = new Set([...(seen.envs ?? []), f.env]);
    seen.envs = [...envs].sort((a, b) => (envOrder.get(a) ?? 0) - (envOrder.get(b) ?? 0) || cmp(a, b));
    seen.env = seen.envs[0];
  }
  return out;
}

/**
 * Deterministic order: positioned findings by file, line, col, rule id, message; then the ones
 * without a position by environment (project order), rule id, message.
 */
export function sortFindings(findings: Finding[], envOrder: Map<string, number> = new Map()): Finding[] {
  const envIdx = (f: Finding): number => (f.env === undefined ? -1 : (envOrder.get(f.env) ?? envOrder.size));
  return [...findings].sort((a, b) => {
    if (a.pos && !b.pos) return -1;
    if (!a.pos && b.pos) return 1;
    if (a.pos && b.pos) {
      const c = cmp(a.pos.file, b.pos.file) || a.pos.line - b.pos.line || a.pos.col - b.pos.col;
      if (c !== 0) return c;
    } else {
      const c = envIdx(a) - envIdx(b);
      if (c !== 0) return c;
    }
    return cmp(a.ruleId, b.ruleId) || cmp(a.message, b.message) || envIdx(a) - envIdx(b);
  });
}
