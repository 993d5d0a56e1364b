import type { Rule } from "../../types.js";

/** Rules of the security category. Add each rule file's export here, sorted by id. */
export const securityRules: Rule[] = [];
