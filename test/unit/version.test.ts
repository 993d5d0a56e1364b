import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { VERSION } from "../../src/version.js";
import { REPO_ROOT } from "../helpers/project.js";

describe("generated and duplicated facts stay in sync", () => {
  it("src/version.ts matches package.json", () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    expect(VERSION).toBe(pkg.version);
  });
  it("the Odoo option table matches the real odoo-bin --help and default odoo.conf", () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, "scripts", "gen-odoo-options.mjs"), "--check"], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
