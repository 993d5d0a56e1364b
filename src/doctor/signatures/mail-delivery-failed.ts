import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "mail-delivery-failed",
  category: "mail",
  severity: "error",
  title: "Outgoing mail failed (SMTP)",
  patterns: [
    /Mail delivery failed via SMTP server/,
    /failed sending mail \(id: \d+\)/i,
    /\bSMTP(?:Authentication|ServerDisconnected|RecipientsRefused|SenderRefused|DataError|ConnectError)\b/,
    /Connection unexpectedly closed/,
  ],
  loggers: ["odoo.addons.base.models.ir_mail_server", "odoo.addons.mail.models.mail_mail", "odoo.addons.mail"],
  meaning: "Odoo could not hand mail to the SMTP server; the messages stay in the queue as exceptions (Settings > Technical > Emails).",
  cause: "Wrong SMTP host/port/credentials or TLS mode, the relay refusing the sender address (SPF/From rewriting), or the network blocking port 25/587/465 from the container.",
  fix: "Check `.docker/smtp.env` / the outgoing mail server (Doodba: `SMTP_SERVER`, `SMTP_PORT`, `SMTP_USER`, `SMTP_PASSWORD`, `SMTP_SSL`), use \"Test Connection\" on the mail server record, and set `EMAIL_FROM` to an address the relay accepts.",
  source: "odoo/addons/base/models/ir_mail_server.py (send_email), addons/mail/models/mail_mail.py",
  example: "2026-11-27 03:00:00,000 2373 INFO acme odoo.addons.base.models.ir_mail_server: Mail delivery failed via SMTP server 'smtp.example.com'.",
};
