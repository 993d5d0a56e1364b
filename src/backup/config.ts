/**
 * The `backup:` section of the project's `.doodba-ops.yaml` (check's loader reads `check:`,
 * deploy's `deploy:`; each lets the others' sections through):
 *
 * ```yaml
 * backup:
 *   repo: s3://acme-backups/prod?endpoint=https://minio.example.com&region=us-east-1
 *   identity-file: ~/.config/doodba-ops/age.key   # relative paths: from the project directory
 *   env: prod                    # environment of `backup create .` / `restore <id> .`
 *   retention:                   # what `backup prune` keeps when no --keep-* flag is given
 *     keep-last: 3
 *     keep-daily: 7
 *     keep-weekly: 5
 *     keep-monthly: 12
 *   tags:                        # added to every snapshot `create` makes (--tag wins)
 *     project: acme
 *   dump-format: auto            # auto | custom | directory
 * ```
 *
 * Precedence, per setting: command-line flag > environment variable (DOODBA_OPS_REPO,
 * DOODBA_OPS_AGE_IDENTITY_FILE / DOODBA_OPS_AGE_IDENTITY) > this file. Keys are kebab-case like
 * the other sections; the camelCase spellings (identityFile, dumpFormat, keepLast...) are
 * accepted too. Like the other sections, values are taken literally: `${VAR}` is not expanded,
 * and a value containing it is refused (set the environment variable instead). Every mistake is
 * a UserError at file:line:col (exit 2).
 */
import { isAbsolute, join, resolve } from "node:path";
import { isScalar } from "yaml";
import { CONFIG_FILES, findConfigFile, isNullNode, mapOf, oneOf, pairs, readSection, type PosOf } from "../project/config-section.js";
import { UserError } from "../errors.js";
import type { Fs } from "../platform/fs.js";

export interface BackupRetentionConfig {
  keepLast: number;
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
}

export interface BackupConfig {
  /** Project-relative name of the config file; undefined when there is none. */
  file?: string;
  repo?: string;
  /** Absolute path (resolved against the directory of the config file; `~/` is the home directory). */
  identityFile?: string;
  env?: string;
  /** The whole policy: keys not written keep 0. */
  retention?: BackupRetentionConfig;
  tags: Record<string, string>;
  /** "auto" leaves the choice to `create` (see chooseDumpFormat). */
  dumpFormat?: "auto" | "custom" | "directory";
}


/** camelCase spellings accepted for the kebab-case keys. */
const ALIASES: Record<string, string> = {
  identityFile: "identity-file",
  dumpFormat: "dump-format",
  keepLast: "keep-last",
  keepDaily: "keep-daily",
  keepWeekly: "keep-weekly",
  keepMonthly: "keep-monthly",
};

export function emptyBackupConfig(): BackupConfig {
  return { tags: {} };
}

/**
 * Reads the `backup:` section of the config file in `dir`, if any.
 * @throws UserError at file:line:col for invalid YAML, unknown keys and invalid values.
 */
export function loadBackupConfig(fs: Fs, dir: string, environ: Record<string, string | undefined> = {}): BackupConfig {
  const found = findConfigFile(fs, dir);
  return found ? parseBackupConfig(found.text, found.name, { baseDir: resolve(dir), home: environ.HOME }) : emptyBackupConfig();
}

export function parseBackupConfig(text: string, file: string = CONFIG_FILES[0], opts: { baseDir?: string; home?: string } = {}): BackupConfig {
  const { node, posOf } = readSection(text, file, "backup", "Fix the YAML syntax (indentation, a missing colon or quote).");
  const cfg: BackupConfig = { ...emptyBackupConfig(), file };
  if (node === undefined) return cfg;
  const keys = pairs(mapOf(node, "backup", posOf), ["repo", "identity-file", "env", "retention", "tags", "dump-format"], "backup", posOf, ALIASES);

  const repo = keys.get("repo")?.value;
  if (!isNullNode(repo)) {
    const v = literal(repo, "backup.repo", posOf, "DOODBA_OPS_REPO");
    if (/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(v)) {
      throw new UserError("backup.repo must not carry credentials (user:password@)", { pos: posOf(repo), hint: "S3 keys go in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, never in a file under version control." });
    }
    cfg.repo = v;
  }
  const identity = keys.get("identity-file")?.value;
  if (!isNullNode(identity)) {
    const v = literal(identity, "backup.identity-file", posOf, "DOODBA_OPS_AGE_IDENTITY_FILE");
    if (v.startsWith("AGE-SECRET-KEY-")) {
      throw new UserError("backup.identity-file holds an age identity itself, not the path of its file", { pos: posOf(identity), hint: "Remove the key from this file (it is likely under version control) and name the key file instead." });
    }
    cfg.identityFile = v.startsWith("~/") && opts.home ? join(opts.home, v.slice(2)) : isAbsolute(v) || !opts.baseDir ? v : resolve(opts.baseDir, v);
  }
  const env = keys.get("env")?.value;
  if (!isNullNode(env)) cfg.env = literal(env, "backup.env", posOf);
  const dumpFormat = keys.get("dump-format")?.value;
  if (!isNullNode(dumpFormat)) cfg.dumpFormat = oneOf(dumpFormat, "backup.dump-format", ["auto", "custom", "directory"] as const, posOf);

  const retention = keys.get("retention")?.value;
  if (!isNullNode(retention)) {
    const r = pairs(mapOf(retention, "backup.retention", posOf), ["keep-last", "keep-daily", "keep-weekly", "keep-monthly"], "backup.retention", posOf, ALIASES);
    const n = (k: string): number => {
      const node = r.get(k)?.value;
      if (isNullNode(node)) return 0;
      const v = isScalar(node) ? node.value : undefined;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new UserError(`backup.retention.${k} must be a whole number >= 0`, { pos: posOf(node) });
      return v;
    };
    cfg.retention = { keepLast: n("keep-last"), keepDaily: n("keep-daily"), keepWeekly: n("keep-weekly"), keepMonthly: n("keep-monthly") };
    if (cfg.retention.keepLast + cfg.retention.keepDaily + cfg.retention.keepWeekly + cfg.retention.keepMonthly === 0) {
      throw new UserError("backup.retention keeps nothing: every snapshot would be pruned", { pos: posOf(retention), hint: "Keep at least one, e.g. keep-last: 1." });
    }
  }
  const tags = keys.get("tags")?.value;
  if (!isNullNode(tags)) {
    for (const p of mapOf(tags, "backup.tags", posOf).items) {
      const k = isScalar(p.key) ? String(p.key.value) : "";
      if (!/^[A-Za-z0-9_.-]+$/.test(k)) throw new UserError(`backup.tags has an invalid key ${JSON.stringify(k)}`, { pos: posOf(p.key), hint: "Tag keys are letters, digits, _ . and -." });
      cfg.tags[k] = literal(p.value, `backup.tags.${k}`, posOf);
    }
  }
  return cfg;
}

/** A string value taken as written; `${VAR}` is refused (nothing in this file is interpolated). */
function literal(n: unknown, where: string, posOf: PosOf, envVar?: string): string {
  if (!isScalar(n) || (typeof n.value !== "string" && typeof n.value !== "number") || String(n.value) === "") throw new UserError(`${where} must be a non-empty string`, { pos: posOf(n) });
  const v = String(n.value);
  if (/\$\{?[A-Za-z_]/.test(v)) {
    throw new UserError(`${where} contains a variable (${v.match(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/)?.[0] ?? "$"}), which ${CONFIG_FILES[0]} does not expand`, {
      pos: posOf(n),
      hint: envVar ? `Write the value itself, or leave it out here and set ${envVar} in the environment (it takes precedence over this file).` : "Write the value itself.",
    });
  }
  return v;
}

