import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "module-not-loadable",
  category: "modules",
  severity: "error",
  title: "Installed module missing or not installable",
  patterns: [
    /Some modules are not loaded, some dependencies or manifest may be missing/,
    /Some modules have inconsistent states, some dependencies may be missing/,
    /\bmodule \S+: not installable, skipped/,
  ],
  meaning: "A module installed in the database is not found in the addons path (or its manifest says `installable: False`); its models, fields and views are missing, so any screen or RPC that uses them fails.",
  cause: "The addon's repository is missing from the image (`addons.yaml`/`repos.yaml` not updated, build cache, wrong branch for this Odoo version) or the addons path does not include it.",
  fix: "Add the addon to `odoo/custom/src/addons.yaml` (and its repository to `repos.yaml`), rebuild (`docker compose build --pull odoo`) and restart; if the module is really gone, uninstall it from Apps first.",
  source: "odoo/modules/loading.py, odoo/modules/graph.py",
  example: "2026-11-27 02:12:19,902 17861 ERROR acme_test odoo.modules.loading: Some modules are not loaded, some dependencies or manifest may be missing: ['acme_extra']",
};
