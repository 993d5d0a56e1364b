import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "worker-timeout",
  category: "workers",
  severity: "error",
  title: "Worker killed by limit_time_real",
  patterns: [
    /\bWorker(?:HTTP|Cron)? \(\d+\) timeout after \d+s/,
    /^Thread .* virtual real time limit \(\d+\/\d+s\) reached/,
  ],
  loggers: ["odoo.service.server"],
  meaning: "The prefork master killed an HTTP or cron worker that had been busy longer than `limit_time_real` seconds (wall clock); in threaded mode (`workers = 0`) the same limit on a request or cron thread makes the whole server restart (\"Thread ... virtual real time limit (151/120s) reached\"). The request it was serving is lost: the user gets a dropped connection or a 502 from the proxy, and a cron job is rolled back and retried later.",
  cause: "A request or cron job slower than the limit (big imports, reports, module installs from the web UI, a lock wait), or a limit set too low. When idle HTTP *and* cron workers of several PIDs are killed again and again, the limit is below the prefork heartbeat (about 4 s) and kills workers that are doing nothing.",
  fix: "Raise the limit in `odoo/custom/conf.d/*.conf`: `limit_time_real = 1200` (Odoo's default is 120; cron workers use `limit_time_real_cron` from 14, which defaults to `limit_time_real`). Keep it above 4 s in any case, keep the proxy's read timeout (`proxy_read_timeout 720s`) at least as long, and move long operations (module installs, imports) to `docker compose run --rm odoo odoo -u <module> --stop-after-init`.",
  source: "odoo/service/server.py (PreforkServer.process_timeout)",
  example: "2026-11-27 01:56:48,941 988 ERROR ? odoo.service.server: WorkerHTTP (1022) timeout after 2s",
};
