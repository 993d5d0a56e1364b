import type { RawFinding, Rule } from "../../types.js";
import { formatBytes, odooServices, svcPos } from "../../lib/common.js";
import { MASTER_OVERHEAD_BYTES, memLimitPos, memoryWorstCase } from "../../lib/sizing.js";


export const rule: Rule = {
  id: "memory-hard-exceeds-container",
  category: "performance",
  severity: "error",
  title: "Odoo's per-worker memory limits add up to more than the container's memory limit",
  why:
    "limit_memory_hard caps each prefork worker, so all workers together may reach limit_memory_hard × (workers + max_cron_threads) plus ~150 MiB for the master and gevent processes. " +
    "When that exceeds the container's memory limit, the kernel OOM-kills the whole container (every user's request, and the cron run) before Odoo's own limits recycle a single worker. " +
    "The limits are on virtual memory (VMS), which is larger than resident memory, so this is a worst-case bound: it is still the only bound Odoo guarantees.",
  fix:
    "Lower limit_memory_hard (and limit_memory_soft) in odoo/custom/conf.d, e.g. `limit_memory_hard = 1677721600`, or fewer workers, or raise the container limit (`mem_limit: 8g` / `deploy.resources.limits.memory: 8G`) to at least the total.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "services:\n  odoo:\n    mem_limit: 2g\n    command: [odoo, --workers=4]   # 6 × 2.5 GiB default limit_memory_hard",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      if (svc.memLimit === undefined || svc.memLimit <= 0) continue;
      const m = memoryWorstCase(cfg);
      if (!m || m.limited === 0 || m.total <= svc.memLimit) continue;
      const p = m.processes;
      const counts = [p.http ? `${p.workers} workers` : undefined, `${p.cron} cron`].filter(Boolean).join(" + ");
      const perWorker = Math.floor((svc.memLimit - MASTER_OVERHEAD_BYTES) / m.limited);
      out.push({
        message:
          `${svc.name}: limit_memory_hard ${formatBytes(m.hard)} × (${counts}) + ${formatBytes(MASTER_OVERHEAD_BYTES)} master/gevent = ` +
          `${formatBytes(m.total)}, more than the container memory limit ${formatBytes(svc.memLimit)}`,
        pos: memLimitPos(env, svc) ?? svcPos(env, svc.name),
        fix:
          perWorker > 0
            ? `Set limit_memory_hard to at most ${perWorker} (${formatBytes(perWorker)}) and limit_memory_soft below it, or raise the memory limit of ${svc.name} to ${formatBytes(m.total)}.`
            : `Raise the memory limit of ${svc.name} to at least ${formatBytes(m.total)}, or run fewer workers.`,
      });
    }
    return out;
  },
};
