import type { RawFinding, Rule } from "../../types.js";
import { analyzeProxy } from "../../lib/proxy.js";

/** Six months: the minimum max-age browsers' HSTS preload lists and most audits accept. */
const MIN_MAX_AGE = 15768000;

export const rule: Rule = {
  id: "hsts-without-max-age",
  category: "security",
  severity: "warning",
  title: "HSTS configured without a useful max-age",
  why:
    "HSTS only protects when the Strict-Transport-Security header carries a max-age: Traefik's headers middleware sends " +
    "no header at all while stsSeconds is 0, even with forceSTSHeader (the doodba-copier-template's addSTS middleware does " +
    "exactly this), and browsers ignore a header without max-age. A max-age under six months expires between visits, " +
    "leaving the first plain-HTTP request open to SSL stripping.",
  fix: "Traefik: add `traefik.http.middlewares.<name>.headers.stsSeconds: 31536000` (and stsIncludeSubdomains if every sub-domain has TLS) next to forceSTSHeader; nginx: `add_header Strict-Transport-Security \"max-age=31536000; includeSubDomains\" always;`.",
  appliesTo: { envs: ["prod"] },
  example: 'services:\n  odoo:\n    labels:\n      traefik.http.middlewares.addSTS.headers.forceSTSHeader: "true"',
  scope: "env",
  check(env, ctx) {
    const a = analyzeProxy(env, ctx.project);
    const out: RawFinding[] = [];
    for (const h of a.hsts) {
      if (h.maxAge !== undefined && h.maxAge >= MIN_MAX_AGE) continue;
      const who = h.kind === "nginx" ? `nginx add_header Strict-Transport-Security in ${h.name ?? "a config"}` : `${h.kind === "traefik1" ? "Traefik 1 frontend" : "Traefik middleware"} ${h.name ?? ""}`.trim();
      let what: string;
      if (h.maxAge === undefined) {
        what =
          h.kind === "nginx"
            ? "has no max-age, so browsers ignore the header"
            : "enables HSTS (forceSTSHeader/stsIncludeSubdomains) without stsSeconds, so no Strict-Transport-Security header is sent";
      } else if (h.maxAge === 0) {
        what = "sets max-age 0, which tells browsers to drop HSTS for the site";
      } else {
        what = `sets max-age ${h.maxAge} s (${Math.round(h.maxAge / 86400)} days), under six months (${MIN_MAX_AGE} s)`;
      }
      out.push({ message: `${who} ${what}`, pos: h.pos });
    }
    return out;
  },
};
