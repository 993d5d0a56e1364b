/**
 * Secrets across re-runs of the real `doodba-ops init`: generated once, never rotated, and never
 * split: when one of the two files holding the database password is deleted, the re-run writes
 * the same password back instead of a new, mismatched one.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../helpers/project.js";

const BIN = join(REPO_ROOT, "bin", "doodba-ops.js");
const tmp = mkdtempSync(join(tmpdir(), "doodba-ops-secrets-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ARGS = ["--yes", "--domain", "prod=erp.example.com", "--letsencrypt-email", "ops@example.com", "--backup", "boto3+s3://bucket/erp"];
function init(dir: string) {
  return spawnSync(process.execPath, [BIN, "init", dir, ...ARGS], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
}
const value = (file: string, key: string) => new RegExp(`^${key}=(.*)$`, "m").exec(readFileSync(file, "utf8"))?.[1];

describe("init secrets", () => {
  it("generates strong secrets once, 0600, and keeps the database password in sync when a file is deleted", () => {
    const dir = join(tmp, "p");
    expect(init(dir).status).toBe(0);
    const access = join(dir, ".docker/db-access.env");
    const creation = join(dir, ".docker/db-creation.env");
    const pw = value(access, "PGPASSWORD");
    expect(pw).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, url-safe base64
    expect(value(creation, "POSTGRES_PASSWORD")).toBe(pw);
    expect(value(join(dir, ".docker/odoo.env"), "ADMIN_PASSWORD")).not.toBe(pw);
    expect(statSync(access).mode & 0o777).toBe(0o600);

    unlinkSync(creation);
    const again = init(dir);
    expect(again.status, again.stderr).toBe(0);
    expect(value(creation, "POSTGRES_PASSWORD")).toBe(pw);
    expect(value(access, "PGPASSWORD")).toBe(pw);
    expect(again.stdout + again.stderr).not.toContain(pw ?? "never");
  });
});
