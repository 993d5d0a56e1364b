import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "server-wide-module-failed",
  category: "modules",
  severity: "error",
  title: "A server-wide module failed to load",
  patterns: [
    /Failed to load server-wide module `[^`]*`/,
  ],
  meaning: "A module listed in `server_wide_modules` (`--load`) could not be imported at start-up; whatever it provides (e.g. `queue_job`'s job runner, `dbfilter_from_header`) is not running.",
  cause: "The module is not in the addons path of the image (missing from `addons.yaml`/`repos.yaml`, or the repository was not aggregated at build time), or one of its Python dependencies is missing.",
  fix: "Add the repository and addon to `odoo/custom/src/repos.yaml` and `addons.yaml`, rebuild (`docker compose build odoo`), or remove the module from `server_wide_modules` (Doodba: `SERVER_WIDE_MODULES` in the environment).",
  source: "odoo/service/server.py (load_server_wide_modules)",
  example: "2026-11-27 03:00:00,000 1 CRITICAL ? odoo.service.server: Failed to load server-wide module `queue_job`.",
};
