import type { Rule } from "./types.js";
import { securityRules } from "./rules/security/index.js";
import { reliabilityRules } from "./rules/reliability/index.js";
import { performanceRules } from "./rules/performance/index.js";
import { maintainabilityRules } from "./rules/maintainability/index.js";

/** Every rule, sorted by id. */
export const allRules: readonly Rule[] = [
  ...securityRules,
  ...reliabilityRules,
  ...performanceRules,
  ...maintainabilityRules,
].sort((a, b) => a.id.localeCompare(b.id));

export function findRule(id: string): Rule | undefined {
  return allRules.find((r) => r.id === id);
}
