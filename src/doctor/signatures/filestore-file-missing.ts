import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "filestore-file-missing",
  category: "filesystem",
  severity: "error",
  title: "Attachment file missing from the filestore",
  patterns: [
    /^_read_file reading /,
    /^_file_read reading /,
  ],
  loggers: ["odoo.addons.base.models.ir_attachment"],
  meaning: "An attachment record points at a file that is not in `<data_dir>/filestore/<db>/`: images, attachments and asset bundles come back empty or broken.",
  cause: "The filestore was not restored with the database (a `dump`-format backup, a copied database), is not on a volume (lost at container recreation), or the database was renamed without renaming its filestore folder.",
  fix: "Restore the filestore (`/var/lib/odoo/filestore/<db>` in Doodba, on the `filestore` volume) from the same backup as the database; for asset bundles only, regenerating is enough: `docker compose run --rm odoo odoo shell -d <db> --no-http` then `env['ir.attachment'].search([('url', '=like', '/web/assets/%')]).unlink(); env.cr.commit()`.",
  source: "odoo/addons/base/models/ir_attachment.py (_file_read)",
  example: "2026-11-27 03:00:00,000 2369 INFO acme odoo.addons.base.models.ir_attachment: _read_file reading /var/lib/odoo/filestore/acme/89/89985aa3fa2a0a2a3f8fe7a6dd0b9f9ef7e0f58b",
};
