import type { RawFinding, Rule } from "../../types.js";
import { odooServices, svcPos } from "../../lib/common.js";

const DEBUG_LEVELS = new Set(["debug", "debug_sql", "debug_rpc", "debug_rpc_answer"]);

/** log_handler entries that turn on debug logging for everything, all SQL or all HTTP traffic. */
export function debugHandlers(value: string): string[] {
  return value
    .replace(/^\[|\]$/g, "")
    .split(",")
    .map((s) => s.trim().replace(/^['"]|['"]$/g, ""))
    .filter((s) => {
      const m = /^([\w.]*):\s*(\w+)$/.exec(s);
      if (!m || (m[2] ?? "").toUpperCase() !== "DEBUG") return false;
      return ["", "odoo", "odoo.sql_db", "odoo.http", "werkzeug"].includes(m[1] ?? "");
    });
}

export const rule: Rule = {
  id: "log-level-debug-in-prod",
  category: "maintainability",
  severity: "info",
  title: "Debug logging in production",
  why:
    "log_level debug / debug_sql / debug_rpc (or a `:DEBUG` log handler) writes every query or RPC payload to the log: gigabytes a day, slower requests, " +
    "and personal data, passwords in RPC arguments and session details in log files that are kept and shipped far less carefully than the database.",
  fix: "Use `log_level = info` (or warn) in prod; turn debug on temporarily for one logger with `--log-handler=odoo.addons.my_module:DEBUG` when investigating.",
  appliesTo: { envs: ["prod"] },
  example: "[options]\nlog_level = debug_sql",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    for (const { svc, cfg } of odooServices(env)) {
      const level = cfg.options.log_level;
      if (level && DEBUG_LEVELS.has(level.value.trim().toLowerCase())) {
        out.push({
          message: `${svc.name}: log_level is ${level.value.trim()} in production`,
          pos: level.pos ?? svcPos(env, svc.name),
        });
      }
      const handler = cfg.options.log_handler;
      if (handler && handler.source !== "odoo-default") {
        const debug = debugHandlers(handler.value);
        if (debug.length > 0) {
          out.push({
            message: `${svc.name}: log_handler ${debug.join(", ")} logs at DEBUG level in production`,
            pos: handler.pos ?? svcPos(env, svc.name),
          });
        }
      }
    }
    return out;
  },
};
