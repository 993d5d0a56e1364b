/**
 * The project config file, `.doodba-ops.yaml` (or `.doodba-ops.yml`) in the project directory:
 *
 * ```yaml
 * check:
 *   envs: [prod, test]          # default envs to check
 *   fail-on: warning            # error | warning | info | never
 *   rules:
 *     list-db-enabled: off      # off | info | warning | error
 *   ignore:                     # path-scoped suppressions
 *     - rule: inline-secret-in-compose
 *       paths: ["devel.yaml"]   # globs, project-relative
 *       reason: "devel only"
 * ```
 *
 * Parsed with positions, so that every mistake is a {@link UserError} at file:line:col with the
 * valid values. Unknown keys are errors too: a typo must not silently disable a setting.
 */
import { join } from "node:path";
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from "yaml";
import type { Node, Pair, YAMLMap } from "yaml";
import { UserError, type SourcePos } from "../errors.js";
import type { Fs } from "../platform/fs.js";
import { closestIds } from "./engine.js";
import type { SeverityOverride } from "./engine.js";

/** Names the config file may have, in the order they are looked for. */
export const CONFIG_FILES = [".doodba-ops.yaml", ".doodba-ops.yml"] as const;

/** Top-level sections of the config file. Other commands add theirs here. */
export const CONFIG_SECTIONS = ["check", "deploy", "backup"] as const;

/** When `check` exits 1. `info`: any finding; `never`: only errors of the tool itself fail. */
export type FailOn = "error" | "warning" | "info" | "never";
export const FAIL_ON_VALUES: readonly FailOn[] = ["error", "warning", "info", "never"];
export const SEVERITY_VALUES: readonly SeverityOverride[] = ["off", "info", "warning", "error"];

/** A path-scoped suppression from `check.ignore`. */
export interface IgnoreEntry {
  /** Rule id, or `*` for every rule. */
  rule: string;
  /** Project-relative globs; undefined: everywhere. */
  paths?: string[];
  reason?: string;
  /** Where the entry is, for messages. */
  pos: SourcePos;
}

export interface CheckConfig {
  /** Project-relative path of the config file; undefined when the project has none. */
  file?: string;
  /** Environments to check by default. @default every environment */
  envs?: string[];
  /** @default "error" (applied by runCheck) */
  failOn?: FailOn;
  /** Severity per rule id. */
  rules: Record<string, SeverityOverride>;
  ignore: IgnoreEntry[];
  /** Where each key of `rules` is, to point at an unknown rule id. */
  rulePos: Record<string, SourcePos>;
  /** Where `envs` is, to point at an unknown environment. */
  envsPos?: SourcePos;
}

/** An empty config: what a project without `.doodba-ops.yaml` gets. */
export function emptyCheckConfig(): CheckConfig {
  return { rules: {}, ignore: [], rulePos: {} };
}

/**
 * Reads the config file of the project in `dir` (absolute or relative to the process), if any.
 * @throws UserError when it does not parse or holds an unknown key or value.
 */
export function loadCheckConfig(fs: Fs, dir: string): CheckConfig {
  const present = CONFIG_FILES.filter((f) => fs.exists(join(dir, f)));
  if (present.length === 0) return emptyCheckConfig();
  if (present.length > 1) {
    throw new UserError(`Both ${present.join(" and ")} exist in the project`, {
      pos: { file: present[1] ?? "", line: 1, col: 1 },
      hint: `Keep one of them: doodba-ops reads only ${CONFIG_FILES[0]}.`,
    });
  }
  const file = present[0] ?? CONFIG_FILES[0];
  let text: string;
  try {
    text = fs.readText(join(dir, file));
  } catch (e) {
    throw new UserError(`Cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`, {
      pos: { file, line: 1, col: 1 },
    });
  }
  return parseCheckConfig(text, file);
}

/**
 * Parses config text. `file` is the project-relative name used in positions.
 * @throws UserError at file:line:col for invalid YAML, unknown keys and invalid values.
 */
export function parseCheckConfig(text: string, file: string = CONFIG_FILES[0]): CheckConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined): SourcePos => {
    const p = lc.linePos(offset ?? 0);
    return { file, line: Math.max(1, p.line), col: Math.max(1, p.col) };
  };
  const posOf = (node: unknown): SourcePos => at((node as Node | null)?.range?.[0]);

  const firstError = doc.errors[0];
  if (firstError) {
    throw new UserError(`${file} is not valid YAML: ${firstError.message.split("\n")[0] ?? ""}`, {
      pos: at(firstError.pos[0]),
      hint: "Fix the YAML syntax (indentation, a missing colon or quote).",
    });
  }

  const cfg: CheckConfig = { ...emptyCheckConfig(), file };
  const root = doc.contents;
  if (root === null || (isScalar(root) && (root.value === null || root.value === undefined))) return cfg;
  const rootMap = expectMap(root, "the top level", posOf);
  const sections = pairsOf(rootMap, [...CONFIG_SECTIONS], "the top level", posOf);
  const check = sections.get("check");
  if (!check || isNull(check.value)) return cfg;
  const checkMap = expectMap(check.value, "check", posOf);
  const keys = pairsOf(checkMap, ["envs", "fail-on", "rules", "ignore"], "check", posOf);

  const envs = keys.get("envs");
  if (envs && !isNull(envs.value)) {
    cfg.envs = stringList(envs.value, "check.envs", posOf, "an environment name such as prod");
    cfg.envsPos = posOf(envs.value);
  }

  const failOn = keys.get("fail-on");
  if (failOn && !isNull(failOn.value)) {
    cfg.failOn = enumValue(failOn.value, "check.fail-on", FAIL_ON_VALUES, posOf);
  }

  const rules = keys.get("rules");
  if (rules && !isNull(rules.value)) {
    const m = expectMap(rules.value, "check.rules", posOf);
    for (const pair of m.items) {
      const id = keyString(pair, "check.rules", posOf);
      const v = pair.value;
      // `off` is a string in YAML 1.2, but `false` is a boolean: accept it as off
      const sev =
        isScalar(v) && v.value === false ? "off" : enumValue(v, `check.rules.${id}`, SEVERITY_VALUES, posOf);
      cfg.rules[id] = sev;
      cfg.rulePos[id] = posOf(pair.key);
    }
  }

  const ignore = keys.get("ignore");
  if (ignore && !isNull(ignore.value)) {
    if (!isSeq(ignore.value)) {
      throw new UserError("check.ignore must be a list of {rule, paths, reason} entries", {
        pos: posOf(ignore.value),
        hint: 'Write e.g.\n  ignore:\n    - rule: image-unpinned\n      paths: ["devel.yaml"]\n      reason: "devel only"',
      });
    }
    ignore.value.items.forEach((item, i) => {
      const where = `check.ignore[${i}]`;
      const m = expectMap(item, where, posOf);
      const k = pairsOf(m, ["rule", "paths", "reason"], where, posOf);
      const rule = k.get("rule");
      if (!rule || isNull(rule.value)) {
        throw new UserError(`${where} has no rule`, {
          pos: posOf(item),
          hint: "Add `rule: <rule-id>` (or `rule: \"*\"` for every rule).",
        });
      }
      const entry: IgnoreEntry = { rule: scalarString(rule.value, `${where}.rule`, posOf), pos: posOf(item) };
      const paths = k.get("paths");
      if (paths && !isNull(paths.value)) {
        entry.paths = stringList(paths.value, `${where}.paths`, posOf, 'a project-relative glob such as "devel.yaml"');
      }
      const reason = k.get("reason");
      if (reason && !isNull(reason.value)) entry.reason = scalarString(reason.value, `${where}.reason`, posOf);
      cfg.ignore.push(entry);
    });
  }
  return cfg;
}

/**
 * Checks the rule ids the config names (in `rules` and `ignore`) against the registry.
 * @throws UserError at the unknown id, with the closest valid ids.
 */
export function validateConfigRuleIds(cfg: CheckConfig, validIds: readonly string[]): void {
  const known = new Set(validIds);
  const fail = (id: string, pos: SourcePos | undefined): never => {
    const near = closestIds(id, validIds);
    throw new UserError(`Unknown rule id "${id}" in ${cfg.file ?? CONFIG_FILES[0]}`, {
      pos,
      hint: near.length > 0 ? `Did you mean: ${near.join(", ")}?` : "`doodba-ops rules` lists the rule ids.",
      next: "doodba-ops rules",
    });
  };
  for (const id of Object.keys(cfg.rules)) if (!known.has(id)) fail(id, cfg.rulePos[id]);
  for (const e of cfg.ignore) if (e.rule !== "*" && !known.has(e.rule)) fail(e.rule, e.pos);
}

// ---------------------------------------------------------------------------------------------

type PosOf = (node: unknown) => SourcePos;

function isNull(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

function expectMap(node: unknown, where: string, posOf: PosOf): YAMLMap {
  if (!isMap(node)) {
    throw new UserError(`${where} must be a mapping (key: value lines)`, { pos: posOf(node) });
  }
  return node;
}

function keyString(pair: Pair, where: string, posOf: PosOf): string {
  if (!isScalar(pair.key) || pair.key.value === null || typeof pair.key.value === "object") {
    throw new UserError(`${where} has a key that is not a plain name`, { pos: posOf(pair.key) });
  }
  return String(pair.key.value);
}

/** The pairs of a mapping by key; an unknown key is an error naming the closest valid ones. */
function pairsOf(map: YAMLMap, allowed: string[], where: string, posOf: PosOf): Map<string, Pair> {
  const out = new Map<string, Pair>();
  for (const pair of map.items) {
    const key = keyString(pair, where, posOf);
    if (!allowed.includes(key)) {
      const near = closestIds(key, allowed, 1);
      throw new UserError(`Unknown key "${key}" in ${where}`, {
        pos: posOf(pair.key),
        hint: `Valid keys: ${allowed.join(", ")}.${near[0] && near[0] !== key ? ` Did you mean "${near[0]}"?` : ""}`,
      });
    }
    out.set(key, pair);
  }
  return out;
}

function scalarString(node: unknown, where: string, posOf: PosOf): string {
  if (!isScalar(node) || node.value === null || typeof node.value === "object") {
    throw new UserError(`${where} must be a string`, { pos: posOf(node) });
  }
  return String(node.value);
}

function stringList(node: unknown, where: string, posOf: PosOf, example: string): string[] {
  if (isScalar(node) && (typeof node.value === "string" || typeof node.value === "number")) return [String(node.value)];
  if (!isSeq(node)) {
    throw new UserError(`${where} must be a list of strings`, { pos: posOf(node), hint: `Each item is ${example}.` });
  }
  return node.items.map((item, i) => {
    if (!isScalar(item) || (typeof item.value !== "string" && typeof item.value !== "number")) {
      throw new UserError(`${where}[${i}] must be a string`, { pos: posOf(item), hint: `Each item is ${example}.` });
    }
    return String(item.value);
  });
}

function enumValue<T extends string>(node: unknown, where: string, valid: readonly T[], posOf: PosOf): T {
  const v = isScalar(node) ? node.value : undefined;
  if (typeof v === "string" && (valid as readonly string[]).includes(v)) return v as T;
  const shown = isScalar(node) ? JSON.stringify(node.value) : isMap(node) ? "a mapping" : isSeq(node) ? "a list" : "nothing";
  throw new UserError(`Invalid value ${shown} for ${where}`, {
    pos: posOf(node),
    hint: `Valid values: ${valid.join(" | ")}.`,
  });
}
