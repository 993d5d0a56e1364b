import type { RawFinding, Rule } from "../../types.js";
import { odooInt, odooServices } from "../../lib/common.js";
import { odooProcesses, optionPos } from "../../lib/sizing.js";

/** The prefork heartbeat is ~4 s (measured); below it idle workers are killed too. Keep a margin. */
export const MIN_LIMIT_TIME_REAL = 10;

export const rule: Rule = {
  id: "time-limits-inconsistent",
  category: "performance",
  severity: "warning",
  title: "limit_time_real is below limit_time_cpu or too short for the prefork heartbeat",
  why:
    "In prefork mode the master kills a worker whose request runs longer than limit_time_real (wall clock), and the worker kills itself past limit_time_cpu. " +
    "CPU time never exceeds wall time, so a real limit below the CPU limit makes the CPU limit meaningless and kills requests earlier than intended. " +
    "Below the ~4 s prefork heartbeat the master also kills idle HTTP and cron workers (measured: repeated `timeout after 2s` for several PIDs).",
  fix:
    "Set limit_time_real at least as high as limit_time_cpu and well above 10 s, e.g. `limit_time_cpu = 600` and `limit_time_real = 1200` in odoo/custom/conf.d.",
  appliesTo: { envs: ["any-non-devel"] },
  example: "[options]\nworkers = 4\nlimit_time_cpu = 600\nlimit_time_real = 300",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      const p = odooProcesses(cfg);
      if (!p?.prefork) continue;
      const cpu = odooInt(cfg.options.limit_time_cpu?.value ?? "60");
      const real = odooInt(cfg.options.limit_time_real?.value ?? "120");
      if (real === undefined || real <= 0) continue;
      if (real < MIN_LIMIT_TIME_REAL) {
        out.push({
          message:
            `${svc.name}: limit_time_real is ${real} s; below the ~4 s prefork heartbeat idle workers are killed too, ` +
            `and any request over ${real} s is cut off (use at least ${MIN_LIMIT_TIME_REAL} s, typically 120 or more)`,
          pos: optionPos(env, cfg, "limit_time_real"),
        });
      } else if (cpu !== undefined && cpu > 0 && real < cpu) {
        out.push({
          message: `${svc.name}: limit_time_real ${real} s is lower than limit_time_cpu ${cpu} s; requests are killed after ${real} s and the CPU limit never applies`,
          pos: optionPos(env, cfg, "limit_time_real", "limit_time_cpu"),
          fix: `Set limit_time_real to at least ${cpu} (commonly 2 × limit_time_cpu = ${2 * cpu}).`,
        });
      }
    }
    return out;
  },
};
