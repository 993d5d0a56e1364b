import type { RawFinding, Rule } from "../../types.js";
import { odooServices, opt, svcPos } from "../../lib/common.js";
import { defaultMayBeOverridden, isExplicit, isWeakPassword } from "./_helpers.js";

export const rule: Rule = {
  id: "default-admin-password",
  category: "security",
  severity: "error",
  title: "Odoo master password is a default or well-known value",
  why:
    "The master password (admin_passwd) guards the database manager: whoever knows it can back up, duplicate, restore " +
    "and drop every database through /web/database/* or the db JSON-RPC service. Doodba uses `admin` when ADMIN_PASSWORD " +
    "is not set, and default passwords are the first ones tried.",
  fix:
    "Set a long random master password in the git-ignored .docker/odoo.env: `ADMIN_PASSWORD=<output of openssl rand -base64 33>` " +
    "(an Odoo-hashed value `$pbkdf2-sha512$...` works too), and restart Odoo.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  odoo:\n    build: ./odoo\n    environment:\n      ADMIN_PASSWORD: admin",
  scope: "env",
  check(env, ctx) {
    const out: RawFinding[] = [];
    const major = ctx.project.odooVersion?.major;
    for (const { svc, cfg } of odooServices(env)) {
      const o = opt(cfg, "admin_passwd");
      // Odoo's own default ('admin') on a non-doodba image: the real value is in an odoo.conf the model cannot see.
      if (!o || o.source === "odoo-default") continue;
      if (!isExplicit(o) && defaultMayBeOverridden(ctx.project, svc, "ADMIN_PASSWORD")) continue;
      const v = o.value.trim();
      let what: string;
      if (v === "") {
        // Since Odoo 12 an empty admin_passwd forbids every master-password operation; before, an empty password matched.
        if (major === undefined || major >= 12) continue;
        what = `admin_passwd is empty, which Odoo ${major} accepts as the master password`;
      } else if (isWeakPassword(v)) {
        what = isExplicit(o)
          ? `the master password (admin_passwd, from ${o.source}) is the well-known value "${v}"`
          : `ADMIN_PASSWORD is not set, so doodba's default master password "${v}" applies`;
      } else continue;
      out.push({
        message: `Odoo service ${svc.name}: ${what}; anyone reaching /web/database/* can back up, restore or drop the databases`,
        pos: o.pos ?? svcPos(env, svc.name),
      });
    }
    return out;
  },
};
