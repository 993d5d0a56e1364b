#!/usr/bin/env node
import { main } from "../dist/cli/main.js";

// `doodba-ops ... | head`: a closed pipe is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err && err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // main() has its own error boundary; this is the last resort.
    console.error("doodba-ops: internal error:", err instanceof Error ? err.message : err);
    process.exitCode = 3;
  },
);
