/**
 * keepYoungGenerationSmall (src/platform/memory.ts) sets a V8 flag for the whole process, so
 * each case runs in a child Node process that allocates the way a backup does (short-lived
 * buffers and objects, some kept for a while) and reports the size of V8's new space. The
 * control run shows the allocation pattern does grow new space; without it the test could
 * not fail.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../helpers/project.js";

const MODULE = pathToFileURL(join(REPO_ROOT, "dist", "platform", "memory.js")).href;

function newSpaceMiB(limit: boolean): number {
  const script = `
    import v8 from "node:v8";
    import { keepYoungGenerationSmall } from ${JSON.stringify(MODULE)};
    if (${limit}) keepYoungGenerationSmall();
    const kept = [];
    for (let i = 0; i < 2e6; i++) {
      const o = { i, s: "chunk-" + i, b: Buffer.allocUnsafe(64) };
      if (i % 40 === 0) kept.push(o);
      if (kept.length > 20000) kept.splice(0, 10000);
    }
    const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space");
    process.stdout.write(String(ns.space_size / 1048576));
  `;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  return Number(r.stdout);
}

describe("keepYoungGenerationSmall", () => {
  it("stops V8 from growing the young generation under a high allocation rate", () => {
    const grown = newSpaceMiB(false);
    const kept = newSpaceMiB(true);
    expect(grown).toBeGreaterThanOrEqual(8);
    expect(kept).toBeLessThanOrEqual(2);
  });
});
