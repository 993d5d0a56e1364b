import type { Signature } from "../types.js";

export const signature: Signature = {
  id: "too-many-open-files",
  category: "server",
  severity: "error",
  title: "Too many open files (ulimit nofile)",
  patterns: [
    /\[Errno 24\] Too many open files/,
  ],
  meaning: "The process reached its open-file limit: new connections, attachments or sockets fail.",
  cause: "A low `nofile` limit for the container (many workers, websocket connections and filestore files each take a descriptor), or a descriptor leak in a custom module.",
  fix: "Raise the limit for the Odoo service in the compose file: `ulimits: {nofile: {soft: 65536, hard: 65536}}`, and restart the service.",
  source: "Python OSError errno 24",
  example: "OSError: [Errno 24] Too many open files",
};
