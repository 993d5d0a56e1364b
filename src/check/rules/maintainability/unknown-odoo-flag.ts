import type { RawFinding, Rule } from "../../types.js";
import { odooServices, svcPos } from "../../lib/common.js";
import { ODOO_FLAGS } from "../../../project/odoo-options.js";
import { isOdooCommand } from "../../../project/odoo-config.js";
import { TABLE_MAJOR, closest, judgeOptionKey } from "./unknown-odoo-option.js";

/** Flags optparse adds itself. */
const BUILTIN_FLAGS: ReadonlySet<string> = new Set(["--help", "-h", "--version"]);

/**
 * Flags Odoo still accepts without listing them in --help: the XML-RPC names of Odoo <= 10, kept
 * as hidden aliases of the http_* options (config.py "hidden backwards-compatibility").
 */
const HIDDEN_FLAGS: Readonly<Record<string, { dest: string; takesValue: boolean }>> = {
  "--xmlrpc-port": { dest: "http_port", takesValue: true },
  "--xmlrpc-interface": { dest: "http_interface", takesValue: true },
  "--no-xmlrpc": { dest: "http_enable", takesValue: false },
};

export interface FlagProblem {
  /** Index of the argv item. */
  index: number;
  flag: string;
  kind: "unknown" | "abbreviation" | "ambiguous" | "other-version";
  /** Known flag(s) it was taken for or is close to. */
  candidates: string[];
  versions?: string;
}

/**
 * The `odoo-bin server` flags of a compose command that Odoo's option parser would not take as
 * written. Returns [] for commands that do not run the server (other programs, `odoo shell`, ...).
 * optparse accepts any unambiguous prefix of a long flag, so `--worker=2` works as `--workers=2`:
 * those are reported as abbreviations; an ambiguous or unknown flag makes Odoo exit at start.
 */
export function checkOdooArgv(argv: readonly string[] | undefined, major: number | undefined): FlagProblem[] {
  if (!argv || argv.length === 0) return [];
  let i: number;
  if (isOdooCommand([...argv])) i = 1;
  else if (argv[0]?.startsWith("-")) i = 0; // flags appended to the image's CMD
  else return [];
  if (argv[i] === "server") i++;
  else if (argv[i] !== undefined && !argv[i]?.startsWith("-")) return []; // another subcommand
  const out: FlagProblem[] = [];
  const longFlags = [...Object.keys(ODOO_FLAGS), ...Object.keys(HIDDEN_FLAGS)].filter((f) => f.startsWith("--"));
  for (; i < argv.length; i++) {
    const item = argv[i] ?? "";
    if (item === "--") break;
    if (!item.startsWith("-") || item === "-") continue;
    if (item.startsWith("--")) {
      const eq = item.indexOf("=");
      const flag = eq > 0 ? item.slice(0, eq) : item;
      if (BUILTIN_FLAGS.has(flag)) continue;
      const known = ODOO_FLAGS[flag] ?? HIDDEN_FLAGS[flag];
      if (known) {
        if (known.takesValue && eq < 0) i++;
        continue;
      }
      // optparse: an exact match wins, else a unique prefix, else "ambiguous option".
      const prefixed = longFlags.filter((f) => f.startsWith(flag));
      if (prefixed.length === 1) {
        const target = prefixed[0] ?? "";
        out.push({ index: i, flag, kind: "abbreviation", candidates: [target] });
        if ((ODOO_FLAGS[target] ?? HIDDEN_FLAGS[target])?.takesValue && eq < 0) i++;
        continue;
      }
      if (prefixed.length > 1) {
        out.push({ index: i, flag, kind: "ambiguous", candidates: prefixed.sort() });
        continue;
      }
      // A flag of another Odoo version (--limit-time-worker-cron in 17): judge its option key.
      const verdict = judgeOptionKey(flag.slice(2).replace(/-/g, "_"), major);
      if (verdict.kind === "other-version") {
        out.push({ index: i, flag, kind: "other-version", candidates: [], versions: verdict.versions });
        continue;
      }
      const near = closest(flag, longFlags);
      // The flag table is Odoo 17's: for other versions, an option that exists there under this
      // name (or its addon) may well have this flag, so report only near-misses of a 17 flag.
      const other = major !== undefined && major !== TABLE_MAJOR;
      if (other && (verdict.kind !== "unknown" || !near)) continue;
      out.push({ index: i, flag, kind: "unknown", candidates: near ? [near] : [] });
      continue;
    }
    // short flags: -d name, -dname, -p 8069
    const flag = item.slice(0, 2);
    const known = ODOO_FLAGS[flag];
    if (known) {
      if (known.takesValue && item.length === 2) i++;
      continue;
    }
    if (BUILTIN_FLAGS.has(flag)) continue;
    if (major !== undefined && major !== TABLE_MAJOR) continue;
    out.push({ index: i, flag, kind: "unknown", candidates: [] });
  }
  return out;
}

export const rule: Rule = {
  id: "unknown-odoo-flag",
  category: "maintainability",
  severity: "warning",
  title: "Unknown or abbreviated odoo-bin flag in the compose command",
  why:
    "odoo-bin parses its flags with optparse: an unknown or ambiguous flag makes the server print its usage and exit, so the container restarts in a loop; " +
    "an abbreviation (`--worker=2` for `--workers=2`) works only as long as no other flag starts the same way, and reads like a typo to the next person.",
  fix: "Write the full flag as `odoo-bin --help` lists it, e.g. `command: [odoo, --workers=2, --max-cron-threads=1]`.",
  appliesTo: { odoo: ">=8" },
  example: "services:\n  odoo:\n    command: [odoo, --worker=2]",
  scope: "env",
  check(env, ctx) {
    const out: RawFinding[] = [];
    const major = ctx.project.odooVersion?.major;
    for (const { svc } of odooServices(env)) {
      for (const p of checkOdooArgv(svc.command, major)) {
        const pos = svcPos(env, svc.name, "command", p.index);
        const item = svc.command?.[p.index] ?? p.flag;
        const odoo = major !== undefined ? `Odoo ${major}` : `Odoo ${TABLE_MAJOR}`;
        let message: string;
        let fix: string | undefined;
        switch (p.kind) {
          case "abbreviation":
            message = `${svc.name}: "${p.flag}" is not an odoo-bin flag; optparse takes it as an abbreviation of "${p.candidates[0]}"`;
            fix = `Write "${item.replace(p.flag, p.candidates[0] ?? p.flag)}".`;
            break;
          case "ambiguous":
            message = `${svc.name}: "${p.flag}" is ambiguous for odoo-bin (${p.candidates.join(", ")}); Odoo exits with "ambiguous option" at start`;
            break;
          case "other-version":
            message = `${svc.name}: "${p.flag}" is not a flag of ${odoo} (its option exists in Odoo ${p.versions}); Odoo exits with "no such option" at start`;
            break;
          default:
            message = p.candidates[0]
              ? `${svc.name}: "${p.flag}" is not an odoo-bin flag of ${odoo} (did you mean "${p.candidates[0]}"?); Odoo exits with "no such option" at start`
              : `${svc.name}: "${p.flag}" is not an odoo-bin flag of ${odoo}; Odoo exits with "no such option" at start`;
            if (p.candidates[0]) fix = `Write "${item.replace(p.flag, p.candidates[0])}".`;
        }
        out.push({ message, pos, fix });
      }
    }
    return out;
  },
};
