import type { RawFinding, Rule } from "../../types.js";
import { odooBool, odooServices, svcPos } from "../../lib/common.js";

export const rule: Rule = {
  id: "demo-data-in-prod",
  category: "maintainability",
  severity: "warning",
  title: "Production is configured to load demo data",
  why:
    "With without_demo false or empty, the production database is initialised with demo data, and because a module inherits the demo flag of its dependencies, every module installed later loads its demo records too " +
    "(fake partners, products, invoices, users). Odoo offers no clean way to remove demo data from a live database.",
  fix: "Keep doodba's default or set it explicitly in prod: `WITHOUT_DEMO: all` in the odoo service environment (or `without_demo = all` in conf.d, `--without-demo=all` in the command).",
  appliesTo: { envs: ["prod"], odoo: "<19" },
  example: "services:\n  odoo:\n    environment:\n      WITHOUT_DEMO: \"false\"",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      const o = cfg.options.without_demo;
      // Odoo's own default (False) only matters for databases created from the command line;
      // report only a value somebody wrote (doodba's default is "all").
      if (!o || o.source === "odoo-default") continue;
      const v = o.value.trim();
      if (v !== "" && odooBool(v) !== false) continue;
      out.push({
        message: `${svc.name}: without_demo is ${v === "" ? "empty" : `"${v}"`} (from ${o.source}), so demo data is loaded into the production database`,
        pos: o.pos ?? svcPos(env, svc.name),
      });
    }
    return out;
  },
};
