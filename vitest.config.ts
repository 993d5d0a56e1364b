import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    // integration/e2e hooks start and stop real servers and containers: slow on a loaded machine
    hookTimeout: 180_000,
    pool: "forks",
  },
});
