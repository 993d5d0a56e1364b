import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "view-invalid",
  category: "modules",
  severity: "error",
  title: "Invalid view or inherited view that no longer applies",
  patterns: [
    /cannot be located in parent view/,
    /Error while validating view/,
    /Invalid view definition/,
  ],
  meaning: "A view (or an inheriting view) does not validate against the current models or parent view: a module install/update fails, or the screen does not open.",
  cause: "An addon written for another version, or an update of a base module that changed the parent view.",
  fix: "Update the addon to the branch matching your Odoo version, or fix the xpath; run `-u <module> --stop-after-init` to see the full error.",
  source: "odoo/tools/template_inheritance.py, odoo/addons/base/models/ir_ui_view.py",
  example: "Element '<xpath expr=\"//field[@name='vat']\">' cannot be located in parent view",
};
