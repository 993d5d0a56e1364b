import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "disk-full",
  category: "filesystem",
  severity: "critical",
  title: "No space left on device",
  patterns: [
    /No space left on device/,
    /\[Errno 28\]/,
    /could not extend file .*: No space left/,
  ],
  meaning: "A write failed because the file system is full: attachments cannot be stored, sessions cannot be saved, and PostgreSQL stops accepting writes (or stops entirely if WAL cannot be written).",
  cause: "The volume holding the filestore, sessions, PostgreSQL data or WAL, or the host's Docker storage, is full (logs, old backups, images).",
  fix: "Free space now (`df -h`, `docker system df`, prune old images and backups), then grow the volume and monitor it; check that logs are rotated (`logging: {driver: json-file, options: {max-size: 50m, max-file: '5'}}`).",
  source: "OS errno 28 (ENOSPC)",
  example: "OSError: [Errno 28] No space left on device",
};
