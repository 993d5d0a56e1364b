/**
 * The effective odoo.conf of an Odoo service, built in the order the server applies it:
 * Odoo's defaults < doodba image defaults (ENV / ONBUILD ARG) < build args < container
 * environment (doodba's common/conf.d templates map variables to options) < the project's
 * odoo/custom/conf.d files (merged after the image's) < command-line flags.
 */
import type { SourcePos } from "../errors.js";
import type { ConfdFile, OdooConfig, OdooOption, OdooOptionSource, ServiceModel } from "./model.js";
import { expandConfValue } from "./confd.js";
import { ODOO_DEFAULTS, ODOO_FLAGS } from "./odoo-options.js";

/** Doodba image defaults for its variables (Tecnativa/doodba *.Dockerfile ENV and ONBUILD ARG). */
export const DOODBA_ENV_DEFAULTS: Record<string, string> = {
  ADMIN_PASSWORD: "admin",
  PGUSER: "odoo",
  PGPASSWORD: "odoopassword",
  PGHOST: "db",
  PGPORT: "5432",
  PGDATABASE: "prod",
  DB_FILTER: ".*",
  LIST_DB: "false",
  PROXY_MODE: "false",
  SMTP_SERVER: "smtp",
  SMTP_PORT: "25",
  SMTP_USER: "false",
  SMTP_PASSWORD: "false",
  SMTP_SSL: "false",
  EMAIL_FROM: "",
  WITHOUT_DEMO: "all",
  UNACCENT: "true",
};

/** doodba common/conf.d: option <- variable. */
export const DOODBA_VAR_OPTIONS: Record<string, string> = {
  admin_passwd: "ADMIN_PASSWORD",
  db_user: "PGUSER",
  db_password: "PGPASSWORD",
  db_host: "PGHOST",
  db_port: "PGPORT",
  db_name: "PGDATABASE",
  dbfilter: "DB_FILTER",
  list_db: "LIST_DB",
  proxy_mode: "PROXY_MODE",
  smtp_server: "SMTP_SERVER",
  smtp_port: "SMTP_PORT",
  smtp_user: "SMTP_USER",
  smtp_password: "SMTP_PASSWORD",
  smtp_ssl: "SMTP_SSL",
  email_from: "EMAIL_FROM",
  without_demo: "WITHOUT_DEMO",
  unaccent: "UNACCENT",
};

/** Options doodba sets to fixed values in its common/conf.d. */
export const DOODBA_FIXED: Record<string, string> = {
  data_dir: "/var/lib/odoo",
};

/** Aliases folded into their canonical key. */
const ALIASES: Record<string, string> = { longpolling_port: "gevent_port" };

export interface OdooConfigInput {
  service: ServiceModel;
  /** The service runs the doodba image (built FROM tecnativa/doodba or using a doodba image). */
  doodba: boolean;
  confd: ConfdFile[];
  /** Position of each environment variable of the service. */
  envPos: (name: string) => SourcePos | undefined;
  /** Position of each command item. */
  commandPos: (index: number) => SourcePos | undefined;
  buildArgPos: (name: string) => SourcePos | undefined;
}

export function effectiveOdooConfig(input: OdooConfigInput): OdooConfig {
  const options: Record<string, OdooOption> = {};
  const set = (key: string, value: string, source: OdooOptionSource, pos?: SourcePos): void => {
    const k = ALIASES[key] ?? key;
    options[k] = { key: k, value, source, pos };
  };
  for (const [k, v] of Object.entries(ODOO_DEFAULTS)) set(k, v, "odoo-default");

  const svc = input.service;
  // Variables the container sees, with where each came from.
  const vars: Record<string, { value: string; source: OdooOptionSource; pos?: SourcePos }> = {};
  if (input.doodba) {
    for (const [k, v] of Object.entries(DOODBA_ENV_DEFAULTS)) vars[k] = { value: v, source: "doodba-default" };
    for (const [k, v] of Object.entries(svc.build?.args ?? {})) {
      if (k in DOODBA_ENV_DEFAULTS) vars[k] = { value: v, source: "build-arg", pos: input.buildArgPos(k) };
    }
  }
  for (const [k, v] of Object.entries(svc.environment)) {
    if (v !== null) vars[k] = { value: v, source: "environment", pos: input.envPos(k) };
  }
  if (input.doodba) {
    for (const [k, v] of Object.entries(DOODBA_FIXED)) set(k, v, "doodba-default");
    for (const [opt, name] of Object.entries(DOODBA_VAR_OPTIONS)) {
      const v = vars[name];
      if (v) set(opt, v.value, v.source, v.pos);
    }
  }
  const plain: Record<string, string> = {};
  for (const [k, v] of Object.entries(vars)) plain[k] = v.value;
  for (const f of input.confd) {
    for (const e of f.entries) {
      if (e.section !== "options") continue;
      set(e.key, expandConfValue(e.raw, plain), "conf.d", e.pos);
    }
  }
  applyCommand(svc.command, input.commandPos, set);
  return { service: svc.name, options };
}

/** Whether argv runs the Odoo server (odoo, odoo-bin, odoo.py, openerp-server, /usr/local/bin/odoo). */
export function isOdooCommand(argv: string[] | undefined): boolean {
  const exe = argv?.[0];
  if (!exe) return false;
  return /(^|\/)(odoo|odoo-bin|odoo\.py|openerp-server|odoo-server)$/.test(exe);
}

function applyCommand(
  argv: string[] | undefined,
  posOf: (i: number) => SourcePos | undefined,
  set: (key: string, value: string, source: OdooOptionSource, pos?: SourcePos) => void,
): void {
  if (!argv || argv.length === 0) return;
  let start: number;
  if (isOdooCommand(argv)) start = 1;
  else if (argv[0]?.startsWith("-")) start = 0; // flags only: appended to the image's CMD
  else return;
  // `odoo shell`, `odoo server` subcommands
  if (argv[start] === "server") start++;
  for (let i = start; i < argv.length; i++) {
    let item = argv[i] ?? "";
    const pos = posOf(i);
    // A list item "-i strohm_addon" is one argv entry with a space: optparse reads the value after the flag.
    let inlineValue: string | undefined;
    const eq = item.indexOf("=");
    if (item.startsWith("--") && eq > 0) {
      inlineValue = item.slice(eq + 1);
      item = item.slice(0, eq);
    } else if (/^-[A-Za-z]/.test(item) && !item.startsWith("--") && item.length > 2) {
      inlineValue = item.slice(2).trim();
      item = item.slice(0, 2);
    }
    const flag = ODOO_FLAGS[item];
    if (!flag) continue;
    if (!flag.takesValue) {
      const negative = item === "--no-http" || item === "--no-database-list";
      set(flag.dest, negative ? "False" : "True", "command", pos);
      continue;
    }
    let value = inlineValue;
    if (value === undefined) {
      value = argv[i + 1];
      if (value !== undefined) i++;
    }
    if (value !== undefined) set(flag.dest, value, "command", pos);
  }
}
