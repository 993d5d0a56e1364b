import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "login-cooldown",
  category: "security",
  severity: "warning",
  title: "Logins ignored: source on cooldown after repeated failures",
  patterns: [
    /Login attempt ignored for .* failures since last success/,
  ],
  meaning: "Odoo's own brute-force protection put a source address on cooldown after `base.login_cooldown_after` failures (default 5 within the cooldown window).",
  cause: "Password guessing, or many users behind one address (all users appear to come from the proxy when `proxy_mode` is off, so one person's mistakes lock everybody out).",
  fix: "If the source is your proxy, set `PROXY_MODE=true` (and make the proxy send X-Forwarded-For); otherwise block the source. Tune with the system parameters `base.login_cooldown_after` and `base.login_cooldown_duration`.",
  source: "odoo/addons/base/models/res_users.py (_assert_can_auth)",
  example: "2026-11-27 03:00:00,000 1 WARNING acme odoo.addons.base.models.res_users: Login attempt ignored for 172.18.0.5 (user 'admin') on acme: 5 failures since last success, last failure at 2026-11-27 02:59:58. You can configure the number of login failures before a user is put on cooldown as well as the duration in the System Parameters. Disable this feature by setting \"base.login_cooldown_after\" to 0.",
};
