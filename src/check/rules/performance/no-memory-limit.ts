import type { RawFinding, Rule } from "../../types.js";
import { odooServices, svcPos } from "../../lib/common.js";
import { pgServerServices } from "../../lib/postgres.js";

export const rule: Rule = {
  id: "no-memory-limit",
  category: "performance",
  severity: "warning",
  title: "Odoo or PostgreSQL runs in production without a memory limit",
  why:
    "Without a container memory limit, one runaway report, import or query can eat all the host's RAM: the kernel then OOM-kills whatever it picks, " +
    "often PostgreSQL (the biggest process), which takes every database down and forces crash recovery. A limit confines the damage to the container that misbehaves.",
  fix:
    "Give each Odoo and PostgreSQL service a limit sized for it, e.g. `mem_limit: 4g` (Compose) or `deploy: {resources: {limits: {memory: 4G}}}` (Swarm / Compose v2); " +
    "for Odoo, at least limit_memory_hard × (workers + max_cron_threads) + 150 MiB.",
  appliesTo: { envs: ["prod"] },
  example: "services:\n  odoo:\n    build: ./odoo\n  db:\n    image: ghcr.io/tecnativa/postgres-autoconf:16-alpine",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    const seen = new Set<string>();
    const report = (name: string, what: string): void => {
      // scaled to zero: nothing runs
      if (seen.has(name) || env.compose.services[name]?.replicas === 0) return;
      seen.add(name);
      out.push({
        message: `${what} service ${name} has no memory limit (mem_limit or deploy.resources.limits.memory)`,
        pos: svcPos(env, name),
      });
    };
    for (const { svc } of odooServices(env)) {
      if (svc.memLimit === undefined || svc.memLimit <= 0) report(svc.name, "Odoo");
    }
    for (const svc of pgServerServices(env)) {
      if (svc.memLimit === undefined || svc.memLimit <= 0) report(svc.name, "PostgreSQL");
    }
    return out;
  },
};
