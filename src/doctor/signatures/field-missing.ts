import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "field-missing",
  category: "modules",
  severity: "error",
  title: "Code or data uses a field that does not exist",
  patterns: [
    /Invalid field \S+ in leaf/,
    /Invalid field '?[\w.]+'? on model '?[\w.]+'?/,
    /Field [`'"]?\w+[`'"]? does not exist/,
  ],
  meaning: "A domain, view, RPC call or cron uses a field the model does not have in this database: the request fails.",
  cause: "The module defining the field is not loaded (see module-not-loadable) or not updated, or an external integration calls a field of another version.",
  fix: "Make the module that defines the field available and update it (`-u <module>`); fix the caller if the field was removed.",
  source: "odoo/osv/expression.py, odoo/models.py",
  example: "ValueError: Invalid field res.partner.acme_code in leaf ('acme_code', '!=', False)",
};
