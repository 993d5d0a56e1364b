/**
 * `--format json`: the check report as stable JSON (object keys sorted, arrays in report order,
 * no timestamps), so that two runs over the same project print the same bytes.
 */
import type { CheckReport } from "../../check/index.js";
import { stableJson } from "./common.js";

/** Bumped when a field is renamed or removed (adding fields keeps the version). */
export const JSON_FORMAT_VERSION = 1;

/**
 * The printed shape (keys appear sorted):
 *
 * ```jsonc
 * {
 *   "formatVersion": 1,
 *   "tool": { "name": "doodba-ops", "version": "0.1.0" },
 *   "project": {
 *     "dir": "/abs/project",            // absolute project directory
 *     "odooVersion": "17.0",            // absent when unknown
 *     "envs": ["devel", "test", "prod"], // environments checked
 *     "envFiles": { "prod": "prod.yaml" },
 *     "configFile": ".doodba-ops.yaml"  // absent when none
 *   },
 *   "failOn": "error",                  // error | warning | info | never
 *   "exitCode": 1,                      // 1: an active finding reaches failOn
 *   "summary": { "error": 1, "warning": 0, "info": 0, "suppressed": 0 },
 *   "findings": [{
 *     "ruleId": "list-db-enabled", "category": "security", "severity": "error",
 *     "title": "...", "message": "...", "fix": "...",
 *     "pos": { "file": "prod.yaml", "line": 12, "col": 7 },  // absent when unknown
 *     "env": "prod", "envs": ["prod"]                         // absent for project rules
 *   }],
 *   "suppressed": [{ "finding": {...}, "by": "inline" | "config", "reason": "...", "at": {...pos} }],
 *   "diagnostics": [{ "level": "warning" | "info", "message": "...", "pos": {...} }],
 *   "ruleErrors": [{ "ruleId": "...", "env": "prod", "error": "..." }],
 *   "rules": [{ "id", "category", "severity", "defaultSeverity", "title", "why", "fix",
 *               "appliesTo": { "envs": [...], "odoo": ">=16" }, "scope": "env" | "project",
 *               "envs": [...] }]      // the rules that ran, sorted by id
 * }
 * ```
 */
export type JsonReport = CheckReport & { formatVersion: number };

export function renderJson(report: CheckReport, _opts: Record<string, never> = {}): string {
  const out: JsonReport = { formatVersion: JSON_FORMAT_VERSION, ...report };
  return stableJson(out);
}
