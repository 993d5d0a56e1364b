/** Test helpers: materialise a project (path -> content) into a temp dir and load it with the real loader. */
import { mkdtempSync, mkdirSync, writeFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadProject, type LoadOptions } from "../../src/project/index.js";
import type { ProjectModel } from "../../src/project/model.js";

export const REPO_ROOT = join(dirname(new URL(import.meta.url).pathname), "..", "..");
export const SHARED = process.env.DOODBA_OPS_SHARED ?? join(REPO_ROOT, "..", "shared");
export const CORPUS = join(SHARED, "corpus", "doodba-projects");
export const ODOO17 = join(SHARED, "fixtures", "odoo17");

const created: string[] = [];

/** Writes files into a fresh temp dir. A value starting with "symlink:" creates a symlink. */
export function writeProject(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "doodba-ops-test-"));
  created.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    if (content.startsWith("symlink:")) symlinkSync(content.slice("symlink:".length), p);
    else writeFileSync(p, content);
  }
  return dir;
}

export function loadFiles(files: Record<string, string>, opts: LoadOptions = {}): ProjectModel {
  return loadProject(writeProject(files), { environ: {}, ...opts });
}

export function cleanupProjects(): void {
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
}
