/**
 * The one writer of generated files (ARCHITECTURE: "Render to data, write in one place").
 * Generators return a {@link FilePlan}; {@link planChanges} compares it with the disk,
 * {@link renderChanges} shows it (with diffs, never secrets), {@link applyPlan} writes only what
 * changed, atomically, and refuses to overwrite a file that differs without `force` (unless
 * the file is still exactly what the project's previous answers generated).
 *
 * Secrets (`keepExisting` files, and anything planned without group/other permissions) are
 * never shown: neither their content nor a diff, only their size.
 */
import { posix } from "node:path";
import { createTwoFilesPatch } from "diff";
import { UserError } from "../errors.js";
import type { Fs } from "../platform/fs.js";
import type { FilePlan } from "./types.js";

export type ChangeAction = "create" | "update" | "unchanged" | "keep";

/** What applying the plan does to one path. */
export interface Change {
  /** Project-relative path, forward slashes. */
  path: string;
  kind: "file" | "dir";
  /**
   * create: absent, will be written; update: exists with other content; unchanged: exists with
   * the planned content; keep: a secret that exists and is kept as it is.
   */
  action: ChangeAction;
  /** Planned content (empty for directories). */
  content: string;
  /** Planned permission bits. */
  mode: number;
  /** Never displayed: `keepExisting`, or planned without group/other permissions (0600). */
  secret: boolean;
  /**
   * Current mode, when the file exists with looser permissions than planned (a secret readable
   * by others) or without the planned execute bits: it is fixed with chmod (no content lost,
   * so no --force needed).
   */
  chmodFrom?: number;
  /** Unified diff from the disk to the plan (updates of non-secret files). */
  diff?: string;
  /**
   * Update of a file nobody edited: the disk holds exactly what the previous plan (the
   * project's saved answers) generates, so the update loses nothing and needs no --force.
   */
  pristine?: boolean;
  /** Size of the planned content, in bytes. */
  bytes: number;
}

export interface ApplyOptions {
  /** Overwrite files whose content differs. Kept secrets are never overwritten. */
  force?: boolean;
  /** Progress lines (stderr). */
  progress?: (line: string) => void;
  /** The command that shows the diffs, for the refusal message (e.g. `doodba-ops init . --dry-run`). */
  dryRunCommand?: string;
}

export interface ApplyResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  kept: string[];
  /** Paths whose permissions were fixed. */
  chmodded: string[];
  /** Files written (created + updated). 0 = nothing to do. */
  written: number;
}

const DEFAULT_FILE_MODE = 0o644;
const DIR_MODE = 0o755;

/** Checks a generator's path: relative, normalised, inside the project. A bad one is a bug. */
function checkPlanPath(p: string): void {
  if (p === "" || p.startsWith("/") || p.includes("\\") || posix.normalize(p) !== p || p.split("/").some((s) => s === ".." || s === "." || s === "")) {
    throw new Error(`file plan has an invalid path ${JSON.stringify(p)} (generators must give normalised project-relative paths)`);
  }
}

function isSecret(mode: number, keepExisting: boolean | undefined): boolean {
  return keepExisting === true || (mode & 0o077) === 0;
}

/** The existing mode must be tightened (others can read more than planned) or made executable. */
function needsChmod(existing: number, planned: number): boolean {
  return (existing & ~planned & 0o077) !== 0 || (planned & 0o111 & ~existing) !== 0;
}

function byteLength(s: string): number {
  return new TextEncoder().encode(s).length;
}

/**
 * Compares the plan with the project directory `dir` (absolute or relative to the process).
 * `previous` is what the project was generated from (the plan of its saved answers): a file
 * still as it generated is updated without --force. Reads through `fs`; changes come sorted
 * by path.
 * @throws UserError when a planned file is a directory on disk (or the reverse).
 */
export function planChanges(fs: Fs, dir: string, plan: FilePlan, previous?: FilePlan): Change[] {
  const before = new Map((previous?.files ?? []).filter((f) => !f.keepExisting).map((f) => [f.path, f.content]));
  const out: Change[] = [];
  const seen = new Set<string>();
  for (const f of plan.files) {
    checkPlanPath(f.path);
    if (seen.has(f.path)) throw new Error(`file plan lists ${f.path} twice`);
    seen.add(f.path);
    const abs = posix.join(dir, f.path);
    const mode = f.mode ?? DEFAULT_FILE_MODE;
    const secret = isSecret(mode, f.keepExisting);
    const base = { path: f.path, kind: "file" as const, content: f.content, mode, secret, bytes: byteLength(f.content) };
    if (!fs.exists(abs)) {
      out.push({ ...base, action: "create" });
      continue;
    }
    if (fs.isDirectory(abs)) {
      throw new UserError(`${f.path} is a directory, but init generates a file there`, {
        hint: `Move ${f.path} out of the way, then run init again.`,
      });
    }
    const current = fs.mode?.(abs);
    const chmod = current !== undefined && needsChmod(current, mode) ? { chmodFrom: current } : {};
    let existing: string;
    try {
      existing = fs.readText(abs);
    } catch (e) {
      throw new UserError(`Cannot read ${f.path}: ${e instanceof Error ? e.message : String(e)}`, { hint: "Check the file's permissions." });
    }
    if (f.keepExisting) {
      // What stays on disk is the existing file: its size is the one shown.
      out.push({ ...base, action: "keep", content: existing, bytes: byteLength(existing), ...chmod });
      continue;
    }
    if (existing === f.content) {
      out.push({ ...base, action: "unchanged", ...chmod });
      continue;
    }
    const change: Change = { ...base, action: "update", ...chmod };
    if (before.get(f.path) === existing) change.pristine = true;
    if (!secret) {
      change.diff = createTwoFilesPatch(`a/${f.path}`, `b/${f.path}`, existing, f.content, "", "", { context: 3 }).replace(/^=+\n/, "");
    }
    out.push(change);
  }
  for (const d of plan.dirs ?? []) {
    checkPlanPath(d);
    if (seen.has(d)) continue;
    seen.add(d);
    const abs = posix.join(dir, d);
    const base = { path: d, kind: "dir" as const, content: "", mode: DIR_MODE, secret: false, bytes: 0 };
    if (!fs.exists(abs)) out.push({ ...base, action: "create" });
    else if (!fs.isDirectory(abs)) {
      throw new UserError(`${d} is a file, but init needs a directory there`, { hint: `Move ${d} out of the way, then run init again.` });
    } else out.push({ ...base, action: "unchanged" });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Whether applying the changes would write or chmod anything. */
export function hasWork(changes: readonly Change[]): boolean {
  return changes.some((c) => c.action === "create" || c.action === "update" || c.chmodFrom !== undefined);
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

function describe(c: Change): string {
  const name = c.kind === "dir" ? `${c.path}/` : c.path;
  const extras: string[] = [];
  if (c.kind === "file" && c.mode !== DEFAULT_FILE_MODE && c.action !== "unchanged") extras.push(octal(c.mode));
  if (c.secret && c.kind === "file") extras.push(`<secret: ${c.bytes} bytes>`);
  if (c.action === "keep") extras.push("existing value kept");
  if (c.chmodFrom !== undefined) extras.push(`mode ${octal(c.chmodFrom)} -> ${octal(c.mode)}`);
  if (c.action === "update" && c.secret) extras.push("content differs, not shown");
  if (c.pristine) extras.push("not edited since generated");
  return extras.length > 0 ? `${name}  (${extras.join(", ")})` : name;
}

const SIGN: Record<ChangeAction, string> = { create: "+ create   ", update: "~ update   ", unchanged: "= unchanged", keep: "  keep     " };

/**
 * The plan for humans: one line per path (`+ create`, `~ update`, `= unchanged`, `keep`), a
 * summary line, then the diffs of the updates. Secrets appear as `<secret: N bytes>` only.
 */
export function renderChanges(changes: readonly Change[], opts: { showUnchanged?: boolean } = {}): string {
  const lines: string[] = [];
  for (const c of changes) {
    if (c.action === "unchanged" && c.chmodFrom === undefined && opts.showUnchanged === false) continue;
    lines.push(`${SIGN[c.action]} ${describe(c)}`);
  }
  lines.push("", summarize(changes));
  const diffs = changes.filter((c) => c.diff !== undefined).map((c) => c.diff ?? "");
  if (diffs.length > 0) lines.push("", ...diffs.map((d) => d.replace(/\n$/, "")));
  return `${lines.join("\n")}\n`;
}

/** "3 to create, 1 to update, 20 unchanged, 4 secrets kept" (or "nothing to do"). */
export function summarize(changes: readonly Change[]): string {
  const n = (a: ChangeAction): number => changes.filter((c) => c.action === a).length;
  const chmods = changes.filter((c) => c.chmodFrom !== undefined).length;
  const parts: string[] = [];
  if (n("create") > 0) parts.push(`${n("create")} to create`);
  if (n("update") > 0) parts.push(`${n("update")} to update`);
  if (chmods > 0) parts.push(`${chmods} permission fix${chmods > 1 ? "es" : ""}`);
  if (n("unchanged") > 0) parts.push(`${n("unchanged")} unchanged`);
  if (n("keep") > 0) parts.push(`${n("keep")} secret${n("keep") > 1 ? "s" : ""} kept`);
  const head = hasWork(changes) ? "" : "nothing to do: ";
  return `${head}${parts.join(", ") || "no files"}`;
}

function need<T>(member: T | undefined, name: string): T {
  if (member === undefined) throw new Error(`the platform file system has no ${name}(): cannot write the plan`);
  return member;
}

/**
 * Writes the changes into `dir`. Nothing is written when an existing file would change and
 * `force` is not set. Each file is written to a temporary file and renamed over the target, so
 * a reader never sees half a file. Kept secrets are never rewritten.
 * @throws UserError listing the files that would change, with the --force hint (exit 2).
 */
export async function applyPlan(fs: Fs, dir: string, changes: readonly Change[], opts: ApplyOptions = {}): Promise<ApplyResult> {
  const updates = changes.filter((c) => c.action === "update" && !c.pristine);
  if (updates.length > 0 && !opts.force) {
    const shown = updates.slice(0, 10).map((c) => c.path);
    throw new UserError(
      `${updates.length} existing file${updates.length > 1 ? "s" : ""} would change: ${shown.join(", ")}${updates.length > shown.length ? ", ..." : ""}; nothing was written`,
      {
        hint:
          "They differ from what init generates (edited by hand, or the answers changed). Review the diffs, then re-run with " +
          "--force to overwrite them (existing secrets in .docker/ are kept even then).",
        next: opts.dryRunCommand,
      },
    );
  }
  const mkdirp = need(fs.mkdirp?.bind(fs), "mkdirp");
  const chmod = fs.chmod?.bind(fs);
  const progress = opts.progress ?? (() => {});
  const result: ApplyResult = { created: [], updated: [], unchanged: [], kept: [], chmodded: [], written: 0 };

  const dirsMade = new Set<string>();
  const ensureDir = async (rel: string): Promise<void> => {
    if (rel === "." || rel === "" || dirsMade.has(rel)) return;
    await mkdirp(posix.join(dir, rel));
    dirsMade.add(rel);
  };
  if (hasWork(changes)) await mkdirp(dir);

  for (const c of changes) {
    const abs = posix.join(dir, c.path);
    if (c.kind === "dir") {
      if (c.action === "create") {
        await ensureDir(c.path);
        result.created.push(c.path);
        progress(`created ${c.path}/`);
      } else result.unchanged.push(c.path);
      continue;
    }
    if (c.action === "create" || c.action === "update") {
      await ensureDir(posix.dirname(c.path));
      await fs.writeText(abs, c.content, c.mode);
      // The temporary file was created with the mode minus the umask: set the exact mode.
      if (chmod) await chmod(abs, c.mode);
      result.written++;
      (c.action === "create" ? result.created : result.updated).push(c.path);
      progress(`${c.action === "create" ? "created" : "updated"} ${c.path}`);
      continue;
    }
    if (c.chmodFrom !== undefined) {
      await need(chmod, "chmod")(abs, c.mode);
      result.chmodded.push(c.path);
      progress(`mode ${octal(c.chmodFrom)} -> ${octal(c.mode)} ${c.path}`);
    }
    (c.action === "keep" ? result.kept : result.unchanged).push(c.path);
  }
  return result;
}
