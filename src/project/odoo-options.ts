/**
 * The Odoo option table: which odoo.conf keys and odoo-bin flags exist, and what they default
 * to. Generated data (odoo-options.data.ts) comes from a real Odoo 17.0 server; the keys below
 * cover other versions (sources: odoo/odoo odoo/tools/config.py across 8.0-18.0).
 */
import { ODOO_DEFAULTS, ODOO_FLAGS } from "./odoo-options.data.js";

export { ODOO_DEFAULTS, ODOO_FLAGS };

/** Keys valid in other Odoo versions than 17.0 (renamed, removed or added). */
export const OTHER_VERSION_OPTIONS: Record<string, string> = {
  xmlrpc: "<=10 (http_enable later)",
  xmlrpc_interface: "<=10 (http_interface later)",
  xmlrpc_port: "<=10 (http_port later)",
  xmlrpcs: "<=10",
  xmlrpcs_interface: "<=10",
  xmlrpcs_port: "<=10",
  netrpc: "<=6.1",
  netrpc_interface: "<=6.1",
  netrpc_port: "<=6.1",
  longpolling_port: "<=15 (deprecated alias of gevent_port in 16/17)",
  geoip_database: "<=16 (geoip_city_db in 17+)",
  auto_reload: "<=10 (dev_mode later)",
  timezone: "<=9",
  demo: "internal",
  db_replica_host: ">=18",
  db_replica_port: ">=18",
  limit_time_worker_cron: ">=18",
  limit_memory_soft_gevent: ">=18",
  limit_memory_hard_gevent: ">=18",
  osv_memory_age_limit: "<=13 (transient_age_limit later)",
  with_demo: ">=19 (demo data off by default, replaces without_demo)",
  secure_cert_file: "<=8",
  secure_pkey_file: "<=8",
  logrotate: "<=9",
  publisher_warranty_url: "<=16",
  bin_path: "<=9",
  root_path: "internal",
  overwrite_existing_translations: "internal",
  translate_in: "internal",
  translate_out: "internal",
  translate_modules: "all",
  load_language: "all",
  language: "all",
  init: "command line",
  update: "command line",
  save: "command line",
  config: "command line",
  stop_after_init: "command line",
  shell_interface: "command line",
  http_enable: "all",
  list_db: "all",
  dev_mode: "all",
  server_wide_modules: "all",
};

let known: Set<string> | undefined;

/** Every key Odoo reads from the [options] section of odoo.conf, in any supported version. */
export function knownOdooOptions(): Set<string> {
  if (!known) {
    known = new Set<string>([
      ...Object.keys(ODOO_DEFAULTS),
      ...Object.values(ODOO_FLAGS).map((f) => f.dest),
      ...Object.keys(OTHER_VERSION_OPTIONS),
    ]);
  }
  return known;
}

export function isKnownOdooOption(key: string): boolean {
  return knownOdooOptions().has(key);
}

/** Same list as an array, sorted (for suggestions). */
export const ODOO_OPTIONS: readonly string[] = [...knownOdooOptions()].sort();
