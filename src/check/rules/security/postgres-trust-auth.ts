import type { RawFinding, Rule } from "../../types.js";
import { svcPos } from "../../lib/common.js";
import { envVarPos, postgresServers } from "./_helpers.js";

export const rule: Rule = {
  id: "postgres-trust-auth",
  category: "security",
  severity: "error",
  title: "PostgreSQL accepts connections without a password (trust)",
  why:
    "With trust authentication PostgreSQL lets any client that can connect log in as any role, superuser included, without " +
    "a password: every container on the network (or the internet, if the port is published) can read, change or drop all " +
    "Odoo databases.",
  fix: "Remove POSTGRES_HOST_AUTH_METHOD=trust (the image default is scram-sha-256/md5 with POSTGRES_PASSWORD); for tecnativa/postgres-autoconf set LAN_AUTH_METHOD/WAN_AUTH_METHOD to `scram-sha-256` or `md5` and drop `trust` from HBA_EXTRA_RULES.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_HOST_AUTH_METHOD: trust",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    const servers = new Set(postgresServers(env));
    for (const svc of Object.values(env.compose.services)) {
      const e = svc.environment;
      if (!servers.has(svc) && e.POSTGRES_HOST_AUTH_METHOD === undefined) continue;
      for (const name of ["POSTGRES_HOST_AUTH_METHOD", "LAN_AUTH_METHOD", "WAN_AUTH_METHOD"]) {
        const v = e[name];
        if (v === undefined || v === null || v.trim().toLowerCase() !== "trust") continue;
        const scope = name === "LAN_AUTH_METHOD" ? " for the LAN (other containers)" : name === "WAN_AUTH_METHOD" ? " for every other address" : "";
        out.push({
          message: `PostgreSQL service ${svc.name}: ${name}=trust lets clients log in as any role without a password${scope}`,
          pos: envVarPos(env, svc.name, name) ?? svcPos(env, svc.name),
        });
      }
      const hba = e.HBA_EXTRA_RULES;
      if (hba) {
        const lines = hba.split(/\r?\n/).filter((l) => /^\s*host/i.test(l) && /\btrust\b/i.test(l.replace(/#.*/, "")));
        if (lines.length > 0) {
          out.push({
            message: `PostgreSQL service ${svc.name}: HBA_EXTRA_RULES has trust rules (${lines.map((l) => l.trim()).join("; ")})`,
            pos: envVarPos(env, svc.name, "HBA_EXTRA_RULES") ?? svcPos(env, svc.name),
          });
        }
      }
    }
    return out;
  },
};
