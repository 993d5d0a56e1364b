#!/usr/bin/env node
import { main } from "../dist/cli/main.js";

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
