import type { Rule } from "../../types.js";

/** Rules of the maintainability category. Add each rule file's export here, sorted by id. */
export const maintainabilityRules: Rule[] = [];
