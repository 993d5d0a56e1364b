import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "module-import-error",
  category: "modules",
  severity: "critical",
  title: "A module's Python code could not be imported",
  patterns: [
    /Couldn't load module \S+/,
    /^(?:ModuleNotFoundError|ImportError): /,
  ],
  exclude: [/No module named 'odoo\.addons\./],
  meaning: "Odoo failed to import an addon's Python package: the registry cannot be built for databases that have it installed.",
  cause: "A Python library the addon needs is not in the image (`No module named 'xyz'`), or a version mismatch between the addon and Odoo or a library.",
  fix: "Add the library to `odoo/custom/dependencies/pip.txt` (Doodba) and rebuild the image (`docker compose build odoo`); check the addon's `external_dependencies` and branch.",
  source: "odoo/modules/module.py (load_openerp_module)",
  example: "ModuleNotFoundError: No module named 'xlrd'",
};
