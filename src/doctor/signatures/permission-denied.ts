import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "permission-denied",
  category: "filesystem",
  severity: "error",
  title: "Permission denied on a file or folder",
  patterns: [
    /PermissionError: \[Errno 13\] Permission denied/,
    /\[Errno 30\] Read-only file system/,
  ],
  meaning: "Odoo could not write (or read) a file: attachments, sessions or the filestore cannot be stored.",
  cause: "A bind-mounted data folder not owned by the container's user (uid 1000 in Doodba), a volume mounted read-only, or files restored as root.",
  fix: "Give the data folder to the container user: `sudo chown -R 1000:1000 <host folder>` (named volumes take their ownership from the image), or mount it read-write.",
  source: "OS errno 13 / 30",
  example: "PermissionError: [Errno 13] Permission denied: '/var/lib/odoo/filestore/acme'",
};
