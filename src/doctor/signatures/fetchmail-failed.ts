import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "fetchmail-failed",
  category: "mail",
  severity: "warning",
  title: "Incoming mail server could not be read",
  patterns: [
    /General failure when trying to fetch mail from \w+ server/,
    /Failed to fetch mail from/,
  ],
  loggers: ["odoo.addons.mail.models.fetchmail", "odoo.addons.fetchmail.models.fetchmail"],
  meaning: "The incoming mail (IMAP/POP) cron could not fetch messages: replies and catch-all mail do not reach Odoo.",
  cause: "Wrong credentials or host, the provider requiring OAuth, or the network blocking the mail port.",
  fix: "Open Settings > Technical > Incoming Mail Servers, use \"Test & Confirm\", and fix the credentials (or switch to the Gmail/Outlook OAuth modules).",
  source: "addons/mail/models/fetchmail.py",
  example: "2026-11-27 03:00:00,000 2373 INFO acme odoo.addons.mail.models.fetchmail: General failure when trying to fetch mail from imap server Support.",
};
