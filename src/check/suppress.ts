/**
 * Suppressions: inline comments in the project files, and path-scoped `check.ignore` entries of
 * the config. Suppressed findings stay in the report (counted, listed in JSON and SARIF) but do
 * not count towards the exit code.
 *
 * Inline syntax (`#` comments in YAML, Dockerfiles, nginx/traefik configs, `;` or `#` in ini
 * files such as conf.d/*.conf):
 *
 * ```yaml
 * # doodba-ops: ignore[list-db-enabled] -- the db manager is behind a VPN
 * LIST_DB: "true"
 * PGPASSWORD: odoopassword  # doodba-ops: ignore[inline-secret-in-compose, image-unpinned]
 * # doodba-ops: ignore-file[*]
 * ```
 *
 * `ignore[...]` covers findings on the comment's own line and on the line right below it;
 * `ignore-file[...]` anywhere in a file covers the whole file. `*` stands for every rule.
 */
import { join } from "node:path";
import picomatch from "picomatch";
import type { Diagnostic, SourcePos } from "../errors.js";
import type { Fs } from "../platform/fs.js";
import type { IgnoreEntry } from "./config.js";
import { closestIds } from "./engine.js";
import type { Finding } from "./types.js";

/** One `doodba-ops: ignore[...]` / `ignore-file[...]` comment. */
export interface IgnoreComment {
  /** Rule ids, `*` for all. */
  ids: string[];
  /** true for `ignore-file[...]`. */
  fileWide: boolean;
  reason?: string;
  /** Where the comment is (the `#`/`;`). */
  pos: SourcePos;
}

/** A finding kept out of the exit code, and why. */
export interface SuppressedFinding {
  finding: Finding;
  reason?: string;
  by: "inline" | "config";
  /** The ignore comment or config entry that suppressed it. */
  at?: SourcePos;
}

export interface SuppressionResult {
  /** Findings still active. */
  findings: Finding[];
  suppressed: SuppressedFinding[];
  /** Ignore comments that name unknown rule ids. */
  diagnostics: Diagnostic[];
}

export interface SuppressOptions {
  fs: Fs;
  /** Project directory the finding positions are relative to. */
  dir: string;
  /** Entries of `check.ignore` in the config. */
  ignore?: readonly IgnoreEntry[];
  /** Every rule id the tool knows (the registry), to warn about typos in ignore comments. */
  knownIds: readonly string[];
  /** Further files to scan for ignore comments naming unknown rules (e.g. compose files). */
  extraFiles?: readonly string[];
}

const COMMENT_RE = /(?:^|\s)(?:#|;)\s*doodba-ops:\s*(ignore|ignore-file)\[([^\]]*)\](?:\s*--\s*(.*))?/;

/** Finds the ignore comments of a file's text. Pure. */
export function parseIgnoreComments(text: string, file: string): IgnoreComment[] {
  const out: IgnoreComment[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (!line.includes("doodba-ops:")) return;
    const m = COMMENT_RE.exec(line);
    if (!m) return;
    const start = m.index + (m[0].length - m[0].trimStart().length);
    const ids = (m[2] ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    const c: IgnoreComment = { ids, fileWide: m[1] === "ignore-file", pos: { file, line: i + 1, col: start + 1 } };
    const reason = m[3]?.trim();
    if (reason) c.reason = reason;
    out.push(c);
  });
  return out;
}

/** Whether an ignore comment covers a finding of `ruleId` at `line` of the comment's file. */
export function commentCovers(c: IgnoreComment, ruleId: string, line: number): boolean {
  if (!c.ids.includes("*") && !c.ids.includes(ruleId)) return false;
  return c.fileWide || line === c.pos.line || line === c.pos.line + 1;
}

/**
 * Splits findings into active and suppressed. Reads each file that holds a finding (and each of
 * `extraFiles`) at most once, through the {@link Fs} adapter. Config entries are applied first
 * (they are the team's policy), then inline comments.
 */
export function applySuppressions(findings: readonly Finding[], opts: SuppressOptions): SuppressionResult {
  const cache = new Map<string, IgnoreComment[]>();
  const commentsOf = (file: string): IgnoreComment[] => {
    let c = cache.get(file);
    if (c === undefined) {
      let text: string | undefined;
      try {
        text = opts.fs.readText(join(opts.dir, file));
      } catch {
        text = undefined; // a finding on a file that cannot be read has no inline suppression
      }
      c = text === undefined ? [] : parseIgnoreComments(text, file);
      cache.set(file, c);
    }
    return c;
  };

  const matchers = (opts.ignore ?? []).map((e) => ({
    entry: e,
    match: e.paths && e.paths.length > 0 ? picomatch(e.paths, { dot: true }) : undefined,
  }));

  const active: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const f of findings) {
    const byConfig = matchers.find(
      ({ entry, match }) =>
        (entry.rule === "*" || entry.rule === f.ruleId) && (match === undefined || (f.pos !== undefined && match(f.pos.file))),
    );
    if (byConfig) {
      const s: SuppressedFinding = { finding: f, by: "config", at: byConfig.entry.pos };
      if (byConfig.entry.reason !== undefined) s.reason = byConfig.entry.reason;
      suppressed.push(s);
      continue;
    }
    if (f.pos) {
      const pos = f.pos;
      const comment = commentsOf(pos.file).find((c) => commentCovers(c, f.ruleId, pos.line));
      if (comment) {
        const s: SuppressedFinding = { finding: f, by: "inline", at: comment.pos };
        if (comment.reason !== undefined) s.reason = comment.reason;
        suppressed.push(s);
        continue;
      }
    }
    active.push(f);
  }

  for (const file of opts.extraFiles ?? []) commentsOf(file);
  const known = new Set(opts.knownIds);
  const diagnostics: Diagnostic[] = [];
  for (const file of [...cache.keys()].sort()) {
    for (const c of cache.get(file) ?? []) {
      if (c.ids.length === 0) {
        diagnostics.push({
          level: "warning",
          message: `Ignore comment names no rule: write ignore[<rule-id>] or ignore[*]`,
          pos: c.pos,
        });
      }
      for (const id of c.ids) {
        if (id === "*" || known.has(id)) continue;
        const near = closestIds(id, opts.knownIds, 1)[0];
        diagnostics.push({
          level: "warning",
          message: `Ignore comment names unknown rule "${id}"${near ? ` (did you mean "${near}"?)` : ""}`,
          pos: c.pos,
        });
      }
    }
  }
  return { findings: active, suppressed, diagnostics };
}
