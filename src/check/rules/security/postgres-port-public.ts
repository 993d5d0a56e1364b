import type { RawFinding, Rule } from "../../types.js";
import { svcPos } from "../../lib/common.js";
import { describePort, isPublicPort, postgresServers } from "./_helpers.js";

export const rule: Rule = {
  id: "postgres-port-public",
  category: "security",
  severity: "error",
  title: "PostgreSQL port published on all interfaces",
  why:
    "A port published without a host IP listens on every interface of the host, and Docker's iptables rules bypass " +
    "ufw/firewalld: PostgreSQL is then reachable from the internet, where its password is the only protection left and " +
    "scanners try default credentials within hours.",
  fix: 'Publish it on loopback only (`ports: ["127.0.0.1:5432:5432"]`) and reach it through an SSH tunnel, or drop `ports:` and let Odoo connect over the compose network.',
  appliesTo: { envs: ["any-non-devel"] },
  example: 'services:\n  db:\n    image: postgres:16\n    ports:\n      - "5432:5432"',
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const svc of postgresServers(env)) {
      if (svc.networkMode === "host") {
        out.push({
          message: `PostgreSQL service ${svc.name} uses network_mode: host, so it listens on the host's interfaces directly (listen_addresses = '*' in the official images)`,
          pos: env.compose.positions.at(["services", svc.name, "network_mode"]) ?? svcPos(env, svc.name),
          fix: "Remove `network_mode: host` and publish the port on 127.0.0.1 only if the host needs it.",
        });
      }
      for (const p of svc.ports) {
        if (!isPublicPort(p)) continue;
        out.push({
          message: `PostgreSQL service ${svc.name} publishes ${describePort(p)} on all host interfaces${p.hostIp ? ` (${p.hostIp})` : ""}`,
          pos: p.pos ?? svcPos(env, svc.name, "ports"),
          fix: `Write \`"127.0.0.1:${p.published ?? p.target}:${p.target}"\` instead, or remove the port mapping.`,
        });
      }
    }
    return out;
  },
};
