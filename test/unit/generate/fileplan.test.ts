/**
 * The file-plan writer on a real temporary directory (node fs through the platform adapter):
 * dry run, create, idempotent re-run, refusal without --force, secrets kept and never shown,
 * modes, atomic writes.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { UserError } from "../../../src/errors.js";
import { applyPlan, planChanges, renderChanges, summarize } from "../../../src/generate/fileplan.js";
import type { FilePlan } from "../../../src/generate/types.js";
import { nodeFs } from "../../../src/platform/fs.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "doodba-ops-fileplan-"));
  dirs.push(d);
  return join(d, "project");
}

const SECRET = "ADMIN_PASSWORD=s3cr3t-value-never-shown\n";

function plan(over: { prod?: string; secret?: string } = {}): FilePlan {
  return {
    files: [
      { path: "prod.yaml", content: over.prod ?? "services:\n  odoo:\n    image: odoo:17\n    restart: unless-stopped\n" },
      { path: ".docker/odoo.env", content: over.secret ?? SECRET, mode: 0o600, keepExisting: true },
      { path: "odoo/custom/conf.d/10-sizing.conf", content: "[options]\nworkers = 5\n" },
      { path: "nginx/entrypoint.sh", content: "#!/bin/sh\nexec nginx\n", mode: 0o755 },
    ],
    dirs: ["odoo/custom/src/private"],
    notes: ["Point DNS at the host."],
  };
}

function allFiles(dir: string, prefix = ""): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

const mode = (p: string): number => statSync(p).mode & 0o777;

function refusal(p: Promise<unknown>): Promise<UserError> {
  return p.then(
    () => {
      throw new Error("expected a refusal");
    },
    (e: unknown) => {
      if (e instanceof UserError) return e;
      throw e;
    },
  );
}

describe("planChanges + applyPlan", () => {
  it("GIVEN an empty directory WHEN the plan is only computed (dry run) THEN everything is to create and nothing is written", () => {
    const dir = tmp();
    const changes = planChanges(nodeFs, dir, plan());
    expect(changes.map((c) => `${c.action} ${c.path}`)).toEqual([
      "create .docker/odoo.env",
      "create nginx/entrypoint.sh",
      "create odoo/custom/conf.d/10-sizing.conf",
      "create odoo/custom/src/private",
      "create prod.yaml",
    ]);
    expect(existsSync(dir)).toBe(false);
    const out = renderChanges(changes);
    expect(out).toContain(`+ create    .docker/odoo.env  (0600, <secret: ${Buffer.byteLength(SECRET)} bytes>)`);
    expect(out).toContain("+ create    odoo/custom/src/private/");
    expect(out).toContain("5 to create");
    expect(out).not.toContain("s3cr3t");
  });

  it("GIVEN a fresh project WHEN applied THEN the files exist with their modes, and no temporary file is left", async () => {
    const dir = tmp();
    const result = await applyPlan(nodeFs, dir, planChanges(nodeFs, dir, plan()));
    expect(result.written).toBe(4);
    expect(result.created).toContain("odoo/custom/src/private");
    expect(readFileSync(join(dir, ".docker/odoo.env"), "utf8")).toBe(SECRET);
    expect(mode(join(dir, ".docker/odoo.env"))).toBe(0o600);
    expect(mode(join(dir, "nginx/entrypoint.sh"))).toBe(0o755);
    expect(mode(join(dir, "prod.yaml"))).toBe(0o644);
    expect(statSync(join(dir, "odoo/custom/src/private")).isDirectory()).toBe(true);
    expect(allFiles(dir).sort()).toEqual([".docker/odoo.env", "nginx/entrypoint.sh", "odoo/custom/conf.d/10-sizing.conf", "prod.yaml"]);
  });

  it("GIVEN a project written from the plan WHEN the same plan is applied again THEN nothing is to do and nothing is written", async () => {
    const dir = tmp();
    await applyPlan(nodeFs, dir, planChanges(nodeFs, dir, plan()));
    const before = statSync(join(dir, "prod.yaml")).mtimeMs;
    // new secrets on every run: the existing one is kept
    const again = planChanges(nodeFs, dir, plan({ secret: "ADMIN_PASSWORD=another\n" }));
    expect(summarize(again)).toBe("nothing to do: 4 unchanged, 1 secret kept");
    const result = await applyPlan(nodeFs, dir, again);
    expect(result.written).toBe(0);
    expect(statSync(join(dir, "prod.yaml")).mtimeMs).toBe(before);
    expect(readFileSync(join(dir, ".docker/odoo.env"), "utf8")).toBe(SECRET);
  });

  it("GIVEN a file the user edited WHEN applied without force THEN it is refused naming the file, and nothing at all is written", async () => {
    const dir = tmp();
    await applyPlan(nodeFs, dir, planChanges(nodeFs, dir, plan()));
    writeFileSync(join(dir, "prod.yaml"), "services:\n  odoo:\n    image: odoo:17\n    restart: always\n");
    rmSync(join(dir, "odoo/custom/conf.d/10-sizing.conf"));
    const changes = planChanges(nodeFs, dir, plan());
    expect(changes.find((c) => c.path === "prod.yaml")?.action).toBe("update");
    const e = await refusal(applyPlan(nodeFs, dir, changes, { dryRunCommand: "doodba-ops init x --dry-run" }));
    expect(e.message).toBe("1 existing file would change: prod.yaml; nothing was written");
    expect(e.hint).toContain("--force");
    expect(e.next).toBe("doodba-ops init x --dry-run");
    expect(e.exitCode).toBe(2);
    // the missing file was not re-created either
    expect(existsSync(join(dir, "odoo/custom/conf.d/10-sizing.conf"))).toBe(false);
  });

  it("GIVEN a file the user edited WHEN planned THEN the diff shows the change; WHEN applied with force THEN it is overwritten", async () => {
    const dir = tmp();
    await applyPlan(nodeFs, dir, planChanges(nodeFs, dir, plan()));
    writeFileSync(join(dir, "prod.yaml"), "services:\n  odoo:\n    image: odoo:17\n    restart: always\n");
    const changes = planChanges(nodeFs, dir, plan());
    const out = renderChanges(changes);
    expect(out).toContain("~ update    prod.yaml");
    expect(out).toContain("--- a/prod.yaml\n+++ b/prod.yaml\n@@ -1,4 +1,4 @@");
    expect(out).toContain("-    restart: always\n+    restart: unless-stopped");
    const result = await applyPlan(nodeFs, dir, changes, { force: true });
    expect(result.updated).toEqual(["prod.yaml"]);
    expect(readFileSync(join(dir, "prod.yaml"), "utf8")).toContain("unless-stopped");
  });

  it("GIVEN a file still as the previous answers generated it WHEN the answers change THEN it is updated without --force; an edited one is not", async () => {
    const dir = tmp();
    await applyPlan(nodeFs, dir, planChanges(nodeFs, dir, plan()));
    const next: FilePlan = { ...plan({ prod: "services:\n  odoo:\n    image: odoo:18\n" }) };
    next.files = next.files.map((f) => (f.path.endsWith("10-sizing.conf") ? { ...f, content: "[options]\nworkers = 9\n" } : f));
    writeFileSync(join(dir, "odoo/custom/conf.d/10-sizing.conf"), "[options]\nworkers = 2 ; tuned by hand\n");
    const changes = planChanges(nodeFs, dir, next, plan());
    expect(changes.find((c) => c.path === "prod.yaml")).toMatchObject({ action: "update", pristine: true });
    expect(changes.find((c) => c.path.endsWith("10-sizing.conf"))?.pristine).toBeUndefined();
    expect(renderChanges(changes)).toContain("~ update    prod.yaml  (not edited since generated)");
    const e = await refusal(applyPlan(nodeFs, dir, changes));
    expect(e.message).toBe("1 existing file would change: odoo/custom/conf.d/10-sizing.conf; nothing was written");
    expect(readFileSync(join(dir, "prod.yaml"), "utf8")).toContain("odoo:17");
    // without the hand-edited file in the way, the pristine update goes through
    rmSync(join(dir, "odoo/custom/conf.d/10-sizing.conf"));
    const result = await applyPlan(nodeFs, dir, planChanges(nodeFs, dir, next, plan()));
    expect(result.updated).toEqual(["prod.yaml"]);
    expect(result.created).toEqual(["odoo/custom/conf.d/10-sizing.conf"]);
  });

  it("GIVEN an existing secret with another value WHEN applied with force THEN the secret is kept, and shown only by size", async () => {
    const dir = tmp();
    await applyPlan(nodeFs, dir, planChanges(nodeFs, dir, plan()));
    const changes = planChanges(nodeFs, dir, plan({ secret: "ADMIN_PASSWORD=rotated-would-break-the-db\n" }));
    const secret = changes.find((c) => c.path === ".docker/odoo.env");
    expect(secret?.action).toBe("keep");
    expect(secret?.diff).toBeUndefined();
    const out = renderChanges(changes);
    expect(out).toContain(`  keep      .docker/odoo.env  (0600, <secret: ${Buffer.byteLength(SECRET)} bytes>, existing value kept)`);
    expect(out).not.toMatch(/s3cr3t|rotated/);
    await applyPlan(nodeFs, dir, changes, { force: true });
    expect(readFileSync(join(dir, ".docker/odoo.env"), "utf8")).toBe(SECRET);
  });

  it("GIVEN a secret made readable by others WHEN re-planned THEN its mode is fixed back to 0600 without --force, content kept", async () => {
    const dir = tmp();
    await applyPlan(nodeFs, dir, planChanges(nodeFs, dir, plan()));
    chmodSync(join(dir, ".docker/odoo.env"), 0o644);
    chmodSync(join(dir, "nginx/entrypoint.sh"), 0o644);
    const changes = planChanges(nodeFs, dir, plan());
    expect(renderChanges(changes)).toContain("mode 0644 -> 0600");
    expect(summarize(changes)).toContain("2 permission fixes");
    const result = await applyPlan(nodeFs, dir, changes);
    expect(result.chmodded.sort()).toEqual([".docker/odoo.env", "nginx/entrypoint.sh"]);
    expect(result.written).toBe(0);
    expect(mode(join(dir, ".docker/odoo.env"))).toBe(0o600);
    expect(mode(join(dir, "nginx/entrypoint.sh"))).toBe(0o755);
    expect(readFileSync(join(dir, ".docker/odoo.env"), "utf8")).toBe(SECRET);
  });

  it("GIVEN a secret file not kept and changed WHEN rendered THEN its content is not shown either (0600 means secret)", () => {
    const dir = tmp();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "db.env"), "PGPASSWORD=old-one\n", { mode: 0o600 });
    const changes = planChanges(nodeFs, dir, { files: [{ path: "db.env", content: "PGPASSWORD=new-one\n", mode: 0o600 }], notes: [] });
    expect(changes[0]).toMatchObject({ action: "update", secret: true });
    expect(changes[0]?.diff).toBeUndefined();
    const out = renderChanges(changes);
    expect(out).toContain("content differs, not shown");
    expect(out).not.toMatch(/old-one|new-one/);
  });

  it("GIVEN a directory where a file is planned WHEN planned THEN it is a user error", () => {
    const dir = tmp();
    mkdirSync(join(dir, "prod.yaml"), { recursive: true });
    expect(() => planChanges(nodeFs, dir, plan())).toThrow(UserError);
  });

  it("GIVEN a generator bug (a path outside the project or twice) WHEN planned THEN it is an internal error, not a write", () => {
    const dir = tmp();
    for (const p of ["../escape.yaml", "/etc/passwd", "a/./b", "a//b"]) {
      expect(() => planChanges(nodeFs, dir, { files: [{ path: p, content: "" }], notes: [] })).toThrow(/invalid path/);
    }
    expect(() => planChanges(nodeFs, dir, { files: [{ path: "a", content: "" }, { path: "a", content: "" }], notes: [] })).toThrow(/twice/);
  });

  it("renderChanges can leave unchanged files out", async () => {
    const dir = tmp();
    await applyPlan(nodeFs, dir, planChanges(nodeFs, dir, plan()));
    const out = renderChanges(planChanges(nodeFs, dir, plan({ prod: "services: {}\n" })), { showUnchanged: false });
    expect(out).not.toContain("= unchanged");
    expect(out).toContain("~ update    prod.yaml");
  });
});
