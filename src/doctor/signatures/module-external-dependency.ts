import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "module-external-dependency",
  category: "modules",
  severity: "error",
  title: "External dependency of a module not met",
  patterns: [
    /external dependency (?:is )?not met/i,
    /External dependency .* not installed/i,
    /Python library not installed/i,
    /Unable to process module .* because an external dependency is not met/,
  ],
  meaning: "A module declares an `external_dependencies` entry (Python library or binary) that is not available, so it cannot be installed or updated.",
  cause: "The library or binary is not in the image.",
  fix: "Add it to `odoo/custom/dependencies/pip.txt` (Python) or `apt.txt` (binaries) and rebuild the image.",
  source: "odoo/modules/module.py (check_manifest_dependencies)",
  example: "odoo.exceptions.UserError: Unable to process module \"account_edi_ubl\" because an external dependency is not met: Python library not installed: phonenumbers",
};
