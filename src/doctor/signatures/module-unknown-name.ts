import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "module-unknown-name",
  category: "modules",
  severity: "warning",
  title: "-i/-u named a module that does not exist",
  patterns: [
    /invalid module names, ignored: /,
  ],
  meaning: "An install or update asked for module names Odoo does not know; they were ignored, so the install/update you expected did not happen.",
  cause: "A typo, or the addon is not in the addons path of this image.",
  fix: "Check the name (`ls odoo/custom/src/*/ | grep <name>`), add the addon to `addons.yaml`, rebuild, and run the `-i`/`-u` again.",
  source: "odoo/modules/loading.py (load_modules)",
  example: "2026-11-27 02:12:19,174 17861 WARNING acme_test odoo.modules.loading: invalid module names, ignored: no_such_module",
};
