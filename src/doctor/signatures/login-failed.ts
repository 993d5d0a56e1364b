import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "login-failed",
  category: "security",
  severity: "info",
  title: "Failed logins",
  patterns: [
    /^Login failed for db:.* login:.* from \S+/,
  ],
  loggers: ["odoo.addons.base.models.res_users"],
  meaning: "Someone tried to log in with a wrong login or password. A few are normal; many from one source are password guessing. The report raises this to a warning or an error above a threshold per source address (the fail2ban pattern).",
  cause: "Users mistyping, or a brute-force attempt. A source that is always the proxy's address (e.g. 172.x.x.x) means `proxy_mode` is off and Odoo cannot see client addresses; `from n/a` are XML-RPC/JSON-RPC logins.",
  fix: "Block repeat offenders (fail2ban on `Login failed for db:.* login:.* from <HOST>`, or the proxy's rate limiting on `/web/login` and `/web/session/authenticate`), enable 2FA for administrators, and set `PROXY_MODE=true` behind a proxy so the real address is logged.",
  source: "odoo/addons/base/models/res_users.py (_login)",
  example: "2026-11-27 02:13:31,292 18163 INFO acme odoo.addons.base.models.res_users: Login failed for db:acme login:admin from 127.0.0.1",
};
