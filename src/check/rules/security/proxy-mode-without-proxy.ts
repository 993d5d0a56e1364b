import type { RawFinding, Rule } from "../../types.js";
import { odooBool, odooServices, opt, svcPos } from "../../lib/common.js";
import { analyzeProxy, odooPorts, routesTo } from "../../lib/proxy.js";
import { describePort, isPublicPort } from "./_helpers.js";

export const rule: Rule = {
  id: "proxy-mode-without-proxy",
  category: "security",
  severity: "warning",
  title: "proxy_mode on while Odoo is reachable directly",
  why:
    "proxy_mode makes Odoo trust X-Forwarded-For, X-Forwarded-Host and X-Forwarded-Proto. When clients reach Odoo's " +
    "port directly, not through a proxy that overwrites those headers, they can forge their IP (defeating login " +
    "throttling and IP-based rules and poisoning logs) and the host name Odoo uses to build links (password-reset mails).",
  fix: "Put Odoo behind a reverse proxy that sets X-Forwarded-* and stop publishing its port on all interfaces, or, if Odoo really is served directly, set `PROXY_MODE: \"false\"`.",
  appliesTo: { envs: ["any-non-devel"] },
  example: 'services:\n  odoo:\n    environment:\n      PROXY_MODE: "true"\n    ports:\n      - "8069:8069"',
  scope: "env",
  check(env, ctx) {
    const a = analyzeProxy(env, ctx.project);
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      const o = opt(cfg, "proxy_mode");
      if (!o || odooBool(o.value) !== true) continue;
      if (routesTo(a, svc.name).length > 0) continue;
      const ports = odooPorts(cfg);
      const direct = svc.ports.filter((p) => isPublicPort(p) && (p.target === ports.http || p.target === ports.gevent));
      const first = direct[0];
      if (!first) continue;
      out.push({
        message: `Odoo service ${svc.name} has proxy_mode on (from ${o.source}) and publishes ${describePort(first)} on all interfaces with no proxy in the project routing to it: clients can forge X-Forwarded-For/Host`,
        pos: o.pos ?? first.pos ?? svcPos(env, svc.name),
      });
    }
    return out;
  },
};
