import type { Rule } from "../../types.js";

/** Rules of the reliability category. Add each rule file's export here, sorted by id. */
export const reliabilityRules: Rule[] = [];
