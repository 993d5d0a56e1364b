import type { RawFinding, Rule } from "../../types.js";
import { ODOO_DEFAULTS, ODOO_FLAGS, OTHER_VERSION_OPTIONS, isKnownOdooOption, knownOdooOptions } from "../../../project/odoo-options.js";

/**
 * Keys that well-known OCA addons read from the [options] section with `odoo.tools.config.get()`.
 * Odoo stores unknown [options] keys without complaint precisely so that addons can do this.
 * Keep this list short and sourced; anything else unknown is reported.
 */
export const ADDON_OPTIONS: Readonly<Record<string, string>> = {
  // OCA/server-env server_environment (and many addons that read the running environment)
  running_env: "OCA server_environment",
  // OCA/server-auth auth_admin_passkey
  auth_admin_passkey_password: "OCA auth_admin_passkey",
  auth_admin_passkey_password_sha512_encrypted: "OCA auth_admin_passkey",
  auth_admin_passkey_send_to_admin: "OCA auth_admin_passkey",
  auth_admin_passkey_send_to_user: "OCA auth_admin_passkey",
  auth_admin_passkey_sysadmin_email: "OCA auth_admin_passkey",
  auth_admin_passkey_ignore_totp: "OCA auth_admin_passkey",
  // OCA/l10n-brazil l10n_br_account_payment_brcobranca (get_brcobranca_api_url)
  brcobranca_api_url: "OCA l10n_br_account_payment_brcobranca",
};

/** Key prefixes of addon options (OCA/server-tools sentry: sentry_dsn, sentry_enabled, sentry_environment, ...). */
export const ADDON_OPTION_PREFIXES: Readonly<Record<string, string>> = {
  sentry_: "OCA sentry",
};

/** Old names Odoo still maps to the new key when it reads odoo.conf (config.py `outdated_options_map`). */
const FILE_ALIASES: ReadonlySet<string> = new Set(["xmlrpc", "xmlrpc_port", "xmlrpc_interface", "longpolling_port"]);

/** The Odoo release the generated option table was taken from. */
export const TABLE_MAJOR = 17;

export type KeyVerdict =
  | { kind: "known" }
  | { kind: "addon"; addon: string }
  /** Valid in other Odoo versions only. */
  | { kind: "other-version"; versions: string }
  | { kind: "unknown"; suggestion?: string };

/**
 * Judges an [options] key for an Odoo major version (undefined: any version). ConfigParser
 * lower-cases keys, so `Workers` is `workers`.
 */
export function judgeOptionKey(rawKey: string, major: number | undefined): KeyVerdict {
  const key = rawKey.trim().toLowerCase();
  if (key in ODOO_DEFAULTS || FLAG_DESTS.has(key)) return { kind: "known" };
  const addon = ADDON_OPTIONS[key] ?? Object.entries(ADDON_OPTION_PREFIXES).find(([p]) => key.startsWith(p))?.[1];
  if (addon) return { kind: "addon", addon };
  const versions = OTHER_VERSION_OPTIONS[key];
  if (versions !== undefined || isKnownOdooOption(key)) {
    if (major === undefined || versions === undefined || FILE_ALIASES.has(key)) return { kind: "known" };
    return versionAllows(versions, major) === false ? { kind: "other-version", versions } : { kind: "known" };
  }
  return { kind: "unknown", suggestion: closestKnownOption(key) };
}

/**
 * Whether a version note like "<=10 (http_port later)" or ">=18" allows `major`. undefined when the
 * note is not a bound ("all", "internal", "command line"). "<=N" is only trusted to exclude
 * versions from 17 on, where the real 17.0 option list confirms the key is gone.
 */
export function versionAllows(note: string, major: number): boolean | undefined {
  const m = /^\s*(<=|>=)\s*(\d+)/.exec(note);
  if (!m) return undefined;
  const n = Number.parseInt(m[2] ?? "", 10);
  if (m[1] === ">=") return major >= n;
  if (major < TABLE_MAJOR) return undefined;
  return major <= n;
}

const FLAG_DESTS: ReadonlySet<string> = new Set(Object.values(ODOO_FLAGS).map((f) => f.dest));

/** The closest known option key, when it is close enough to be a typo of it. */
export function closestKnownOption(key: string): string | undefined {
  const k = key.toLowerCase();
  const normalised = k.replace(/-/g, "_").replace(/^_+|_+$/g, "");
  const candidates = [...knownOdooOptions()];
  if (normalised !== k && candidates.includes(normalised)) return normalised;
  return closest(k, candidates);
}

/** The candidate at the smallest edit distance, if within a typo's reach (1 for short words, 2 from 6 characters). */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const max = word.length >= 6 ? 2 : 1;
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const c of [...new Set(candidates)].sort()) {
    if (c === word) continue;
    if (Math.abs(c.length - word.length) > max) continue;
    const d = editDistance(word, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= max ? best : undefined;
}

/** Levenshtein distance. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

export const rule: Rule = {
  id: "unknown-odoo-option",
  category: "maintainability",
  severity: "warning",
  title: "Unknown option in the [options] section of odoo/custom/conf.d",
  why:
    "Odoo reads every key of [options] without validating it, so a misspelt option (`worker = 4`, `limit_memory_hard_ = ...`) is silently ignored: " +
    "the server keeps its default (threaded mode, 2.5 GiB limits) and nobody notices until production misbehaves. Options of another Odoo version have no effect either.",
  fix:
    "Correct the key to the option Odoo knows (see `odoo-bin --help`; config-file keys use underscores, e.g. `workers = 4`), move addon settings to the addon's own section, or delete the line.",
  appliesTo: { odoo: ">=8" },
  example: "[options]\nworker = 4",
  scope: "project",
  check(ctx) {
    const out: RawFinding[] = [];
    const major = ctx.project.odooVersion?.major;
    for (const file of ctx.project.confd) {
      for (const e of file.entries) {
        if (e.section !== "options") continue;
        const v = judgeOptionKey(e.key, major);
        if (v.kind === "unknown") {
          out.push({
            message: v.suggestion
              ? `"${e.key}" in [options] is not an Odoo option (did you mean "${v.suggestion}"?); Odoo ignores it silently`
              : `"${e.key}" in [options] is neither an Odoo option nor a known addon option; Odoo ignores it unless one of your addons reads it`,
            pos: e.pos,
            fix: v.suggestion
              ? `Write \`${v.suggestion} = ${e.raw}\`.`
              : `Delete the line, or if an addon of yours reads "${e.key}", keep it and suppress this finding for it.`,
          });
        } else if (v.kind === "other-version") {
          out.push({
            message: `"${e.key}" in [options] is not an option of Odoo ${major} (it exists in Odoo ${v.versions}); it has no effect`,
            pos: e.pos,
          });
        }
      }
    }
    return out;
  },
};
