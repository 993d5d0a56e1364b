/** Helpers shared by the report renderers. Pure. */
import type { CheckReport } from "../../check/index.js";
import type { Finding } from "../../check/types.js";

/** Where the rule docs live; SARIF `helpUri` is `${RULES_DOC_URL}#<rule-id>`. */
export const PROJECT_URL = "https://github.com/doodba-ops/doodba-ops";
export const RULES_DOC_URL = `${PROJECT_URL}/blob/main/docs/rules.md`;

/**
 * The file a finding is about: its position's file, else the root compose file of its
 * environment, else the first checked environment's (project rules without a position).
 */
export function findingFile(report: CheckReport, f: Finding): string {
  if (f.pos) return f.pos.file;
  const env = f.env ?? report.project.envs[0];
  return (env !== undefined ? report.project.envFiles[env] : undefined) ?? "docker-compose.yml";
}

/** Environments a finding was seen in ([] for project rules). */
export function findingEnvs(f: Finding): string[] {
  if (f.envs && f.envs.length > 0) return f.envs;
  return f.env !== undefined ? [f.env] : [];
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** JSON with object keys sorted (recursively) and 2-space indent: stable across runs. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** ANSI styling that is a no-op when colour is off. */
export interface Style {
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  green(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function style(color: boolean): Style {
  const wrap =
    (open: number, close: number) =>
    (s: string): string =>
      color && s.length > 0 ? `\u001b[${open}m${s}\u001b[${close}m` : s;
  return {
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    cyan: wrap(36, 39),
    green: wrap(32, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
  };
}
