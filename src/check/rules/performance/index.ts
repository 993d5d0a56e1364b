import type { Rule } from "../../types.js";

/** Rules of the performance category. Add each rule file's export here, sorted by id. */
export const performanceRules: Rule[] = [];
