/**
 * What Odoo's `data/neutralize.sql` files do, per module, for Odoo 16.0 to 18.0 (community),
 * transcribed from the odoo/odoo sources (`odoo/addons/base/data/neutralize.sql`,
 * `addons/<module>/data/neutralize.sql`). Odoo runs the file of every module whose state is
 * installed, to upgrade or to remove (odoo/modules/neutralize.py).
 *
 * The files changed between versions (the webhook statement arrived in 17.0, ir_config_parameter
 * got a `type` column in 18, payment went from `state` to `is_live`...). Rather than one copy per
 * version, each statement names the tables and columns it needs and runs only where they exist in
 * the restored schema; statements that differ by version are separate entries with their own
 * requirements. When the project's Odoo source tree is at hand, `neutralizeDatabase` can run the
 * real files instead (`addonsPaths`), which is exact for that version.
 *
 * Two deliberate differences from the files, both about re-running: the dummy mail server is
 * inserted only when absent (Odoo inserts one per run), and the flag upsert is written once for
 * both ir_config_parameter shapes.
 */

export interface NeutralizeStatement {
  module: string;
  /** What it prevents, for the report. */
  why: string;
  sql: string;
  /** Tables (and columns) that must exist, else the statement is skipped as not applicable. */
  requires: { table: string; columns?: string[] }[];
  /** Skip when this table (column) exists: the other version's variant applies. */
  unless?: { table: string; column?: string };
  /** One of several version variants: not reported as "not applicable" when its schema is absent. */
  variant?: boolean;
}

const CONFIG_FLAG = (key: string, value: string) => `INSERT INTO ir_config_parameter (key, value)
VALUES ('${key}', '${value}')
    ON CONFLICT (key) DO
       UPDATE SET value = '${value}'`;

export const NEUTRALIZE_CATALOG: readonly NeutralizeStatement[] = [
  // ---- base (odoo/addons/base/data/neutralize.sql)
  {
    module: "base",
    why: "deactivate mail servers",
    sql: "UPDATE ir_mail_server SET active = false",
    requires: [{ table: "ir_mail_server", columns: ["active"] }],
  },
  {
    module: "base",
    why: "insert a dummy mail server so that no fallback server from the command line is used",
    sql: `INSERT INTO ir_mail_server (name, smtp_port, smtp_host, smtp_encryption, active, smtp_authentication)
SELECT 'neutralization - disable emails', 1025, 'invalid', 'none', true, 'login'
 WHERE NOT EXISTS (SELECT 1 FROM ir_mail_server WHERE name = 'neutralization - disable emails' AND smtp_host = 'invalid')`,
    requires: [{ table: "ir_mail_server", columns: ["name", "smtp_port", "smtp_host", "smtp_encryption", "active", "smtp_authentication"] }],
  },
  {
    module: "base",
    why: "re-activate the dummy mail server if a previous neutralization left it inactive",
    sql: "UPDATE ir_mail_server SET active = true WHERE name = 'neutralization - disable emails' AND smtp_host = 'invalid' AND NOT active",
    requires: [{ table: "ir_mail_server", columns: ["name", "smtp_host", "active"] }],
  },
  {
    module: "base",
    why: "deactivate every scheduled action except the autovacuum",
    sql: `UPDATE ir_cron
   SET active = false
 WHERE id NOT IN (
       SELECT res_id
         FROM ir_model_data
        WHERE model = 'ir.cron'
          AND name = 'autovacuum_job'
          AND module = 'base'
)`,
    requires: [{ table: "ir_cron", columns: ["active"] }, { table: "ir_model_data", columns: ["model", "name", "module", "res_id"] }],
  },
  {
    module: "base",
    why: "flag the database as neutralized (Odoo shows a banner and refuses some live actions)",
    sql: `INSERT INTO ir_config_parameter (key, value, type)
VALUES ('database.is_neutralized', 'true', 'str')
    ON CONFLICT (key) DO
       UPDATE SET value = 'true', type = 'str'`,
    requires: [{ table: "ir_config_parameter", columns: ["key", "value", "type"] }],
    variant: true,
  },
  {
    module: "base",
    why: "flag the database as neutralized (Odoo shows a banner and refuses some live actions)",
    sql: CONFIG_FLAG("database.is_neutralized", "true"),
    requires: [{ table: "ir_config_parameter", columns: ["key", "value"] }],
    unless: { table: "ir_config_parameter", column: "type" },
  },
  {
    module: "base",
    why: "blank the URL of webhook server actions",
    sql: `UPDATE ir_act_server
   SET webhook_url = 'neutralization - disable webhook'
 WHERE state = 'webhook'`,
    requires: [{ table: "ir_act_server", columns: ["webhook_url", "state"] }],
  },
  // ---- web
  {
    module: "web",
    why: "show the 'neutralized database' banner",
    sql: "UPDATE ir_ui_view SET active = true WHERE key = 'web.neutralize_banner'",
    requires: [{ table: "ir_ui_view", columns: ["active", "key"] }],
  },
  // ---- mail
  {
    module: "mail",
    why: "no template sends through a specific outgoing server",
    sql: "UPDATE mail_template SET mail_server_id = NULL",
    requires: [{ table: "mail_template", columns: ["mail_server_id"] }],
  },
  {
    module: "mail",
    why: "deactivate incoming mail servers (fetchmail)",
    sql: "UPDATE fetchmail_server SET active = false",
    requires: [{ table: "fetchmail_server", columns: ["active"] }],
  },
  {
    module: "mail",
    why: "delete the web push keys (the copy must not notify the users' browsers)",
    sql: "DELETE FROM ir_config_parameter WHERE key IN ('mail.web_push_vapid_private_key', 'mail.web_push_vapid_public_key', 'mail.sfu_server_key')",
    requires: [{ table: "ir_config_parameter", columns: ["key"] }, { table: "mail_partner_device" }],
  },
  {
    module: "mail",
    why: "delete queued web push notifications",
    sql: "TRUNCATE mail_notification_web_push",
    requires: [{ table: "mail_notification_web_push" }],
  },
  {
    module: "mail",
    why: "delete the registered push devices of every partner",
    sql: "TRUNCATE mail_partner_device CASCADE",
    requires: [{ table: "mail_partner_device" }],
  },
  // ---- fetchmail (16.0, before it merged into mail)
  {
    module: "fetchmail",
    why: "deactivate incoming mail servers",
    sql: "UPDATE fetchmail_server SET active = false",
    requires: [{ table: "fetchmail_server", columns: ["active"] }],
  },
  // ---- iap: 17+ disables the account tokens; 16 pointed the endpoint to the sandbox
  {
    module: "iap",
    why: "disable IAP account tokens (no credits spent, no service called for real)",
    sql: "UPDATE iap_account SET account_token = REGEXP_REPLACE(account_token, '(\\+.*)?$', '+disabled')",
    requires: [{ table: "iap_account", columns: ["account_token"] }],
  },
  {
    module: "iap",
    why: "point IAP to Odoo's sandbox (16.0)",
    sql: CONFIG_FLAG("iap.endpoint", "https://iap-sandbox.odoo.com"),
    requires: [{ table: "ir_config_parameter", columns: ["key", "value"] }],
    unless: { table: "iap_account", column: "account_token" },
  },
  ...(["partner_autocomplete:iap.partner_autocomplete.endpoint", "sms:sms.endpoint", "snailmail:snailmail.endpoint", "website_crm_iap_reveal:reveal.endpoint"].map((spec) => {
    const [module, key] = spec.split(":") as [string, string];
    return {
      module,
      why: `point ${key} to Odoo's IAP test service (16.0)`,
      sql: CONFIG_FLAG(key, "https://iap-services-test.odoo.com"),
      requires: [{ table: "ir_config_parameter", columns: ["key", "value"] }],
      unless: { table: "iap_account", column: "account_token" },
    };
  })),
  // ---- payment
  {
    module: "payment",
    why: "disable live payment providers",
    sql: "UPDATE payment_provider SET state = 'disabled' WHERE state NOT IN ('test', 'disabled')",
    requires: [{ table: "payment_provider", columns: ["state"] }],
    variant: true,
  },
  {
    module: "payment",
    why: "switch payment providers out of live mode",
    sql: "UPDATE payment_provider SET is_live = false",
    requires: [{ table: "payment_provider", columns: ["is_live"] }],
    variant: true,
  },
  {
    module: "payment_paypal",
    why: "drop the PayPal credentials",
    sql: "UPDATE payment_provider SET paypal_email_account = NULL, paypal_seller_account = NULL, paypal_pdt_token = NULL",
    requires: [{ table: "payment_provider", columns: ["paypal_email_account", "paypal_seller_account", "paypal_pdt_token"] }],
  },
  // ---- delivery
  {
    module: "delivery",
    why: "carriers out of production mode",
    sql: "UPDATE delivery_carrier SET prod_environment = false",
    requires: [{ table: "delivery_carrier", columns: ["prod_environment"] }],
  },
  {
    module: "delivery",
    why: "deactivate carriers of external providers",
    sql: "UPDATE delivery_carrier SET active = false WHERE delivery_type NOT IN ('fixed', 'base_on_rule')",
    requires: [{ table: "delivery_carrier", columns: ["active", "delivery_type"] }],
  },
  // ---- website
  {
    module: "website",
    why: "remove website domains (the copy must not answer for production hostnames)",
    sql: "UPDATE website SET domain = NULL",
    requires: [{ table: "website", columns: ["domain"] }],
  },
  {
    module: "website",
    why: "show the 'neutralized' ribbon",
    sql: "UPDATE ir_ui_view SET active = true WHERE key = 'website.neutralize_ribbon'",
    requires: [{ table: "ir_ui_view", columns: ["active", "key"] }],
  },
  {
    module: "website",
    why: "disable the CDN",
    sql: "UPDATE website SET cdn_activated = false",
    requires: [{ table: "website", columns: ["cdn_activated"] }],
  },
  {
    module: "website",
    why: "forbid crawling of the copy",
    sql: "UPDATE website SET robots_txt = E'User-agent: *\\nDisallow: /'",
    requires: [{ table: "website", columns: ["robots_txt"] }],
  },
  // ---- calendars
  {
    module: "google_calendar",
    why: "forget Google Calendar tokens",
    sql: "UPDATE res_users_settings SET google_calendar_rtoken = NULL, google_calendar_token = NULL",
    requires: [{ table: "res_users_settings", columns: ["google_calendar_rtoken", "google_calendar_token"] }],
    variant: true,
  },
  {
    module: "google_calendar",
    why: "forget Google Calendar tokens and stop the sync",
    sql: "UPDATE google_calendar_credentials SET calendar_rtoken = NULL, calendar_token = NULL, synchronization_stopped = true",
    requires: [{ table: "google_calendar_credentials", columns: ["calendar_rtoken", "calendar_token", "synchronization_stopped"] }],
    variant: true,
  },
  {
    module: "microsoft_calendar",
    why: "forget Microsoft Calendar tokens",
    sql: "UPDATE res_users_settings SET microsoft_calendar_token = NULL, microsoft_calendar_rtoken = NULL",
    requires: [{ table: "res_users_settings", columns: ["microsoft_calendar_token", "microsoft_calendar_rtoken"] }],
    variant: true,
  },
  {
    module: "microsoft_calendar",
    why: "forget Microsoft Calendar tokens",
    sql: "UPDATE res_users SET microsoft_calendar_token = NULL, microsoft_calendar_rtoken = NULL",
    requires: [{ table: "res_users", columns: ["microsoft_calendar_token", "microsoft_calendar_rtoken"] }],
    variant: true,
  },
  {
    module: "microsoft_calendar",
    why: "stop the Microsoft Calendar sync",
    sql: "UPDATE microsoft_calendar_credentials SET calendar_sync_token = NULL, synchronization_stopped = true, last_sync_date = NULL",
    requires: [{ table: "microsoft_calendar_credentials", columns: ["calendar_sync_token", "synchronization_stopped", "last_sync_date"] }],
  },
  // ---- e-invoicing proxies and captcha
  {
    module: "account_edi_proxy_client",
    why: "e-invoicing proxy users to test/demo mode (nothing is sent to tax authorities)",
    sql: `UPDATE account_edi_proxy_client_user
   SET edi_mode = CASE WHEN proxy_type = 'l10n_it_edi' THEN 'demo' ELSE 'test' END
 WHERE proxy_type != 'l10n_my_edi'`,
    requires: [{ table: "account_edi_proxy_client_user", columns: ["edi_mode", "proxy_type"] }],
  },
  {
    module: "account_edi_proxy_client",
    why: "e-invoicing proxy in demo mode (16.0)",
    sql: CONFIG_FLAG("account_edi_proxy_client.demo", "true"),
    requires: [{ table: "ir_config_parameter", columns: ["key", "value"] }],
    unless: { table: "account_edi_proxy_client_user", column: "edi_mode" },
  },
  {
    module: "google_recaptcha",
    why: "blank the reCAPTCHA keys (they are valid only for the production domain)",
    sql: "UPDATE ir_config_parameter SET value = '' WHERE key IN ('recaptcha_public_key', 'recaptcha_private_key')",
    requires: [{ table: "ir_config_parameter", columns: ["key", "value"] }],
  },
];
