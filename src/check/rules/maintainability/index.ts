import type { Rule } from "../../types.js";
import { rule as composeVersionObsolete } from "./compose-version-obsolete.js";
import { rule as demoDataInProd } from "./demo-data-in-prod.js";
import { rule as deprecatedLongpollingPort } from "./deprecated-longpolling-port.js";
import { rule as devModeInProd } from "./dev-mode-in-prod.js";
import { rule as logLevelDebugInProd } from "./log-level-debug-in-prod.js";
import { rule as odooVersionMismatch } from "./odoo-version-mismatch.js";
import { rule as unknownOdooFlag } from "./unknown-odoo-flag.js";
import { rule as unknownOdooOption } from "./unknown-odoo-option.js";

/** Rules of the maintainability category. Add each rule file's export here, sorted by id. */
export const maintainabilityRules: Rule[] = [
  composeVersionObsolete,
  demoDataInProd,
  deprecatedLongpollingPort,
  devModeInProd,
  logLevelDebugInProd,
  odooVersionMismatch,
  unknownOdooFlag,
  unknownOdooOption,
];
