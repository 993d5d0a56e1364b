import type { SourcePos } from "../errors.js";
import type { EnvModel, ProjectModel } from "../project/model.js";

export type Category = "security" | "reliability" | "performance" | "maintainability";
export type Severity = "error" | "warning" | "info";

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** What a rule reports. The engine adds rule id, severity and environment. */
export interface RawFinding {
  message: string;
  /** Where the problem is. Rules always give one when the model has it. */
  pos?: SourcePos;
  /** A more specific fix than the rule's generic one. */
  fix?: string;
}

export interface Finding extends RawFinding {
  ruleId: string;
  category: Category;
  severity: Severity;
  title: string;
  /** Environment the finding was found in; undefined for project-level rules. */
  env?: string;
  /** Environments that produced the same finding (after de-duplication across envs). */
  envs?: string[];
  fix: string;
}

export interface RuleContext {
  project: ProjectModel;
  /** "Today" for date-dependent rules (end-of-life tables). Fixed in tests. */
  now: Date;
}

export interface RuleMeta {
  /** Stable kebab-case id. Never rename: users reference it in config and ignore comments. */
  id: string;
  category: Category;
  severity: Severity;
  title: string;
  /** Why it matters (rationale). */
  why: string;
  /** How to fix it. */
  fix: string;
  appliesTo: {
    /** Environments the rule runs in; undefined = all. "prod" also matches names containing "prod" (egov-prod, production). */
    envs?: readonly ("prod" | "test" | "devel" | "any-non-devel")[];
    /** Semver-ish range on the Odoo major version, e.g. ">=16", "<16", ">=8". */
    odoo?: string;
  };
  /** Short example of a project fragment that fails, for the docs. */
  example?: string;
}

/** A rule that looks at one environment at a time. */
export interface EnvRule extends RuleMeta {
  scope: "env";
  check(env: EnvModel, ctx: RuleContext): RawFinding[];
}

/** A rule that looks at the project files once (addons.yaml, repos.yaml, .gitignore, Dockerfile). */
export interface ProjectRule extends RuleMeta {
  scope: "project";
  check(ctx: RuleContext): RawFinding[];
}

export type Rule = EnvRule | ProjectRule;
