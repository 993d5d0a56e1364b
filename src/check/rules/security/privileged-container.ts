import type { RawFinding, Rule } from "../../types.js";
import { svcPos } from "../../lib/common.js";
import { isSocketProxy } from "./_helpers.js";

export const rule: Rule = {
  id: "privileged-container",
  category: "security",
  severity: "error",
  title: "Privileged container",
  why:
    "`privileged: true` gives the container every capability and all host devices and disables seccomp/AppArmor: a bug " +
    "in that service (a proxy parsing internet traffic, Odoo running user-supplied code) becomes root on the host.",
  fix: "Remove `privileged: true`; if the service needs one specific capability, grant only that one with `cap_add:`, and on SELinux hosts use `security_opt: [label=disable]` or a proper volume label instead.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  proxy:\n    image: traefik:2.11\n    privileged: true",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const svc of Object.values(env.compose.services)) {
      // tecnativa/docker-socket-proxy documents privileged for SELinux/AppArmor hosts; it already holds the socket.
      if (!svc.privileged || isSocketProxy(svc)) continue;
      out.push({
        message: `Service ${svc.name}${svc.image ? ` (${svc.image})` : ""} runs privileged: root in it is root on the host`,
        pos: env.compose.positions.at(["services", svc.name, "privileged"]) ?? svcPos(env, svc.name),
      });
    }
    return out;
  },
};
