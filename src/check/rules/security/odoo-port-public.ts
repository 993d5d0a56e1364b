import type { RawFinding, Rule } from "../../types.js";
import { odooServices, svcPos } from "../../lib/common.js";
import { odooPorts } from "../../lib/proxy.js";
import { describePort, isPublicPort } from "./_helpers.js";

export const rule: Rule = {
  id: "odoo-port-public",
  category: "security",
  severity: "warning",
  title: "Odoo port published on all interfaces",
  why:
    "Publishing 8069/8072 on every interface lets clients talk to Odoo directly, around the reverse proxy: no TLS, no " +
    "/web/database block, no rate limit or allow-list, and (with proxy_mode on) forged X-Forwarded-For/Host headers. " +
    "Docker's iptables rules bypass ufw/firewalld, so the host firewall does not help.",
  fix: 'Remove the `ports:` of the Odoo service and let the proxy reach it over a compose network, or publish on loopback only for a host-level proxy: `ports: ["127.0.0.1:8069:8069"]`.',
  appliesTo: { envs: ["any-non-devel"] },
  example: 'services:\n  odoo:\n    build: ./odoo\n    ports:\n      - "8069:8069"',
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      const ports = odooPorts(cfg);
      for (const p of svc.ports) {
        if (!isPublicPort(p) || (p.target !== ports.http && p.target !== ports.gevent)) continue;
        const which = p.target === ports.http ? "HTTP" : "gevent (websocket/longpolling)";
        out.push({
          message: `Odoo service ${svc.name} publishes its ${which} port on all host interfaces (${describePort(p)}), bypassing the reverse proxy`,
          pos: p.pos ?? svcPos(env, svc.name, "ports"),
          fix: `Remove this mapping, or write \`"127.0.0.1:${p.published ?? p.target}:${p.target}"\` if a proxy on the host needs it.`,
        });
      }
    }
    return out;
  },
};
