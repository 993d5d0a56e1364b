import type { RawFinding, Rule } from "../../types.js";
import { odooBool, odooServices, opt, svcPos } from "../../lib/common.js";
import { analyzeProxy, describeRoute, routesTo } from "../../lib/proxy.js";

export const rule: Rule = {
  id: "proxy-mode-off-behind-proxy",
  category: "security",
  severity: "error",
  title: "Odoo behind a reverse proxy without proxy_mode",
  why:
    "Without proxy_mode Odoo ignores X-Forwarded-For/Host/Proto: every request seems to come from the proxy's IP (logs, " +
    "fail2ban and Odoo's login throttling see one client, so brute force goes unnoticed or everyone gets blocked), and " +
    "Odoo builds http:// URLs and redirects behind an HTTPS site (mixed content, wrong web.base.url, broken OAuth/payment callbacks).",
  fix: 'Set `PROXY_MODE: "true"` in the environment of the Odoo service (doodba maps it to `proxy_mode = True`), and make the proxy send X-Forwarded-Host, X-Forwarded-For and X-Forwarded-Proto.',
  appliesTo: { envs: ["any-non-devel"] },
  example:
    'services:\n  odoo:\n    environment:\n      PROXY_MODE: "false"\n    labels:\n      traefik.http.routers.main.rule: Host(`erp.example.com`)',
  scope: "env",
  check(env, ctx) {
    const a = analyzeProxy(env, ctx.project);
    if (!a.present) return [];
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      const routes = routesTo(a, svc.name);
      const first = routes[0];
      if (!first) continue;
      const o = opt(cfg, "proxy_mode");
      // Odoo's own default on a non-doodba image (config file unknown), or an interpolated variable left empty.
      if (!o || o.source === "odoo-default") continue;
      if (o.source === "environment" && o.value.trim() === "") continue;
      if (odooBool(o.value) !== false) continue;
      const how = o.source === "doodba-default" ? "PROXY_MODE is not set (doodba's default false)" : `proxy_mode is ${o.value.trim()} (from ${o.source})`;
      out.push({
        message: `Odoo service ${svc.name} is behind ${describeRoute(first)} but ${how}: client IPs, host and scheme from the proxy are ignored`,
        pos: o.pos ?? svcPos(env, svc.name),
      });
    }
    return out;
  },
};
