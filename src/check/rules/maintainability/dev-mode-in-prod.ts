import type { RawFinding, Rule } from "../../types.js";
import { odooServices, svcPos } from "../../lib/common.js";

/** Where a doodba image keeps the project's code: the addon sources and the linked addons. */
const CODE_PATHS = ["/opt/odoo/custom/src", "/opt/odoo/auto/addons"];

/**
 * Whether a mount target hides code baked into a doodba image: one of {@link CODE_PATHS}, a folder
 * inside one (e.g. /opt/odoo/custom/src/private) or a folder containing one (/opt/odoo/custom,
 * /opt/odoo/auto).
 */
export function isCodeTarget(target: string): boolean {
  const t = target.replace(/\/+$/, "");
  if (t === "" || t === "/opt") return false;
  return CODE_PATHS.some((c) => t === c || t.startsWith(`${c}/`) || c.startsWith(`${t}/`));
}

/** dev_mode values that mean "off". */
function devModeOff(v: string): boolean {
  const s = v.trim().toLowerCase();
  return s === "" || s === "false" || s === "none" || s === "[]" || s === "0";
}

export const rule: Rule = {
  id: "dev-mode-in-prod",
  category: "maintainability",
  severity: "error",
  title: "Developer mode or host-mounted code in production",
  why:
    "`--dev` (dev_mode) restarts the server when Python files change (reload), reads QWeb/XML views from the addons on disk instead of the database (qweb, xml) and, with `werkzeug` or `all`, answers errors with werkzeug's debugger page: slower, and tracebacks with data reach whoever triggers an error. " +
    "Bind-mounting ./odoo/custom (or the addons) over the image means production runs whatever is on the host's disk, not the image that was built and tested, so a deploy cannot be reproduced or rolled back.",
  fix: "Remove `--dev=...` from the prod command (and dev_mode from conf.d), and the `./odoo/custom:/opt/odoo/custom` volume from prod.yaml; ship code by building the image.",
  appliesTo: { envs: ["prod"] },
  example: "services:\n  odoo:\n    command: [odoo, --dev=reload,qweb]\n    volumes:\n      - ./odoo/custom:/opt/odoo/custom:ro",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      const dev = cfg.options.dev_mode;
      if (dev && dev.source !== "odoo-default" && !devModeOff(dev.value)) {
        out.push({
          message: `${svc.name}: developer mode is on in production (dev_mode = ${dev.value}, from ${dev.source})`,
          pos: dev.pos ?? svcPos(env, svc.name),
        });
      }
      svc.volumes.forEach((m, i) => {
        if (m.type !== "bind" || !isCodeTarget(m.target)) return;
        out.push({
          message: `${svc.name}: ${m.source ?? "a host folder"} is bind-mounted over ${m.target}, so production runs code from the host instead of the image`,
          pos: m.pos ?? svcPos(env, svc.name, "volumes", i),
        });
      });
    }
    return out;
  },
};
