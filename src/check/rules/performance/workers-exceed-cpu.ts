import type { RawFinding, Rule } from "../../types.js";
import { odooServices } from "../../lib/common.js";
import { cpusPos, odooProcesses } from "../../lib/sizing.js";

export const rule: Rule = {
  id: "workers-exceed-cpu",
  category: "performance",
  severity: "warning",
  title: "More Odoo workers than the container's CPU limit can run",
  why:
    "Odoo's deployment guide sizes HTTP workers at 2 × CPU + 1. With more workers than that inside a CPU-limited container, they compete for the same CPU quota: " +
    "every request gets slower, CFS throttling adds latency spikes, and limit_time_cpu/limit_time_real are reached sooner, while each extra worker still costs memory and database connections.",
  fix:
    "Lower workers to 2 × cpus + 1 (e.g. `workers = 5` for `cpus: 2`) in odoo/custom/conf.d or the compose command, or raise the service's CPU limit (`cpus:` / `deploy.resources.limits.cpus`).",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  odoo:\n    cpus: 1\n    command: [odoo, --workers=8]",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      if (svc.cpus === undefined || !(svc.cpus > 0)) continue;
      const p = odooProcesses(cfg);
      if (!p?.prefork || !p.http) continue;
      const max = Math.floor(2 * svc.cpus + 1);
      if (p.workers <= max) continue;
      out.push({
        message: `${svc.name}: workers = ${p.workers} but the container is limited to ${svc.cpus} CPU${svc.cpus === 1 ? "" : "s"}; the rule of thumb allows 2 × ${svc.cpus} + 1 = ${max}`,
        pos: cfg.options.workers?.pos ?? cpusPos(env, svc),
        fix: `Set workers to ${max} for ${svc.cpus} CPU${svc.cpus === 1 ? "" : "s"}, or raise the CPU limit of ${svc.name} to ${Math.ceil((p.workers - 1) / 2)}.`,
      });
    }
    return out;
  },
};
