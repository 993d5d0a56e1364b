import type { RawFinding, Rule } from "../../types.js";
import { formatBytes, odooInt, odooServices } from "../../lib/common.js";
import { MiB, odooProcesses, optionPos } from "../../lib/sizing.js";

/** Below this, an idle Odoo 17 prefork worker (~247 MB VMS, measured) is already over the limit. */
export const MIN_LIMIT_MEMORY_SOFT = 512 * MiB;

export const rule: Rule = {
  id: "memory-soft-too-low",
  category: "performance",
  severity: "error",
  title: "limit_memory_soft is too low for a prefork worker, or not below limit_memory_hard",
  why:
    "limit_memory_soft is compared with each worker's virtual memory, and an idle Odoo 17 prefork worker already has about 247 MB of it (measured). " +
    "With a soft limit near that, workers are recycled after nearly every request; at 200 MB they start and exit in an endless loop without serving a single request. " +
    "A limit_memory_hard at or below the soft limit makes allocations fail (MemoryError) before the graceful recycling ever happens.",
  fix:
    "Keep Odoo's defaults or size them per worker, e.g. `limit_memory_soft = 629145600` (600 MiB) and `limit_memory_hard = 1677721600` (1.6 GiB) in odoo/custom/conf.d; the soft limit must stay below the hard one.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "[options]\nworkers = 4\nlimit_memory_soft = 209715200",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      const p = odooProcesses(cfg);
      if (!p?.prefork) continue;
      const soft = odooInt(cfg.options.limit_memory_soft?.value ?? "2147483648");
      const hard = odooInt(cfg.options.limit_memory_hard?.value ?? "2684354560");
      // 0 disables the soft check in current Odoo; an unreadable value is left alone.
      if (soft !== undefined && soft > 0 && soft < MIN_LIMIT_MEMORY_SOFT) {
        out.push({
          message:
            `${svc.name}: limit_memory_soft is ${soft} (${formatBytes(soft)}) with ${p.workers} workers; ` +
            `an idle Odoo worker already uses ~247 MB of virtual memory, so workers are recycled constantly (use at least ${MIN_LIMIT_MEMORY_SOFT})`,
          pos: optionPos(env, cfg, "limit_memory_soft"),
        });
      }
      if (soft !== undefined && hard !== undefined && soft > 0 && hard > 0 && hard <= soft) {
        out.push({
          message:
            `${svc.name}: limit_memory_hard ${hard} (${formatBytes(hard)}) is not above limit_memory_soft ${soft} (${formatBytes(soft)}); ` +
            `workers hit MemoryError before they can be recycled gracefully`,
          pos: optionPos(env, cfg, "limit_memory_hard", "limit_memory_soft"),
          fix: `Set limit_memory_hard above limit_memory_soft, e.g. limit_memory_hard = ${Math.max(Math.round(soft * 1.25), soft + 256 * MiB)}.`,
        });
      }
    }
    return out;
  },
};
