/**
 * The `deploy:` section of the project's `.doodba-ops.yaml` (check's loader reads the `check:`
 * section of the same file and lets this one through):
 *
 * ```yaml
 * deploy:
 *   update: auto                 # auto | none | all | [module, ...]  (default auto)
 *   update-command: [click-odoo-update]
 *   strategy: auto               # auto | recreate | zero-downtime
 *   backup: auto                 # auto (dump the database service before) | none
 *   restore-on-failure: false    # restore that dump when the module update failed
 *   health:
 *     path: /web/health
 *     timeout: 300               # seconds to wait for health after the switch
 *   proxy:                       # check through the proxy too (Host header of the site)
 *     host: erp.example.com
 *   smoke:
 *     - path: /web/login
 *       status: 200
 *       contains: "Odoo"
 *   swarm:
 *     endpoint-mode: vip         # vip | dnsrr (engines without IPVS, e.g. some VM kernels)
 *     monitor: 20                # seconds Swarm watches a new Odoo task before going on
 * ```
 *
 * Every mistake is a UserError at file:line:col.
 */
import { isScalar, isSeq } from "yaml";
import { findConfigFile, isNullNode, mapOf, oneOf, pairs, readSection, type PosOf } from "../project/config-section.js";
import { UserError } from "../errors.js";
import type { Fs } from "../platform/fs.js";

export interface SmokeTest {
  path: string;
  /** Expected HTTP status. @default 200 */
  status: number;
  /** Text the body must contain. */
  contains?: string;
  /** Host header (default: deploy.proxy.host, else none). */
  host?: string;
}

export interface DeployConfig {
  file?: string;
  update?: "auto" | "none" | "all" | string[];
  updateCommand?: string[];
  strategy?: "auto" | "recreate" | "zero-downtime";
  backup?: "auto" | "none";
  restoreOnFailure?: boolean;
  /** @default "/web/health" */
  healthPath: string;
  /** Seconds. @default 300 */
  healthTimeout: number;
  proxyHost?: string;
  smoke: SmokeTest[];
  /** Swarm services' endpoint mode. @default "vip" */
  swarmEndpointMode?: "vip" | "dnsrr";
  /** Seconds. @default 20 */
  swarmMonitor?: number;
}

export const DEFAULT_HEALTH_TIMEOUT = 300;

export function emptyDeployConfig(): DeployConfig {
  return { healthPath: "/web/health", healthTimeout: DEFAULT_HEALTH_TIMEOUT, smoke: [] };
}

export function loadDeployConfig(fs: Fs, dir: string): DeployConfig {
  const found = findConfigFile(fs, dir);
  return found ? parseDeployConfig(found.text, found.name) : emptyDeployConfig();
}

export function parseDeployConfig(text: string, file = ".doodba-ops.yaml"): DeployConfig {
  const { node, posOf } = readSection(text, file, "deploy");
  const cfg: DeployConfig = { ...emptyDeployConfig(), file };
  if (node === undefined) return cfg;
  const m = mapOf(node, "deploy", posOf);
  const keys = pairs(m, ["update", "update-command", "strategy", "backup", "restore-on-failure", "health", "proxy", "smoke", "swarm"], "deploy", posOf);

  const update = keys.get("update")?.value;
  if (!isNullNode(update)) {
    if (isSeq(update)) cfg.update = strings(update, "deploy.update", posOf);
    else {
      const v = str(update, "deploy.update", posOf);
      if (v === "auto" || v === "none" || v === "all") cfg.update = v;
      else cfg.update = v.split(",").map((s) => s.trim()).filter(Boolean);
    }
  }
  const cmd = keys.get("update-command")?.value;
  if (!isNullNode(cmd)) cfg.updateCommand = isSeq(cmd) ? strings(cmd, "deploy.update-command", posOf) : str(cmd, "deploy.update-command", posOf).split(/\s+/).filter(Boolean);
  const strategy = keys.get("strategy")?.value;
  if (!isNullNode(strategy)) cfg.strategy = oneOf(strategy, "deploy.strategy", ["auto", "recreate", "zero-downtime"] as const, posOf);
  const backup = keys.get("backup")?.value;
  if (!isNullNode(backup)) cfg.backup = isScalar(backup) && backup.value === false ? "none" : oneOf(backup, "deploy.backup", ["auto", "none"] as const, posOf);
  const rof = keys.get("restore-on-failure")?.value;
  if (!isNullNode(rof)) {
    if (!isScalar(rof) || typeof rof.value !== "boolean") throw new UserError("deploy.restore-on-failure must be true or false", { pos: posOf(rof) });
    cfg.restoreOnFailure = rof.value;
  }
  const health = keys.get("health")?.value;
  if (!isNullNode(health)) {
    const h = pairs(mapOf(health, "deploy.health", posOf), ["path", "timeout"], "deploy.health", posOf);
    const path = h.get("path")?.value;
    if (!isNullNode(path)) cfg.healthPath = urlPath(path, "deploy.health.path", posOf);
    const t = h.get("timeout")?.value;
    if (!isNullNode(t)) cfg.healthTimeout = positive(t, "deploy.health.timeout", posOf);
  }
  const proxy = keys.get("proxy")?.value;
  if (!isNullNode(proxy)) {
    const p = pairs(mapOf(proxy, "deploy.proxy", posOf), ["host"], "deploy.proxy", posOf);
    const host = p.get("host")?.value;
    if (!isNullNode(host)) cfg.proxyHost = str(host, "deploy.proxy.host", posOf);
  }
  const swarm = keys.get("swarm")?.value;
  if (!isNullNode(swarm)) {
    const w = pairs(mapOf(swarm, "deploy.swarm", posOf), ["endpoint-mode", "monitor"], "deploy.swarm", posOf);
    const em = w.get("endpoint-mode")?.value;
    if (!isNullNode(em)) cfg.swarmEndpointMode = oneOf(em, "deploy.swarm.endpoint-mode", ["vip", "dnsrr"] as const, posOf);
    const mon = w.get("monitor")?.value;
    if (!isNullNode(mon)) cfg.swarmMonitor = positive(mon, "deploy.swarm.monitor", posOf);
  }
  const smoke = keys.get("smoke")?.value;
  if (!isNullNode(smoke)) {
    if (!isSeq(smoke)) throw new UserError("deploy.smoke must be a list of {path, status, contains}", { pos: posOf(smoke), hint: "Write e.g.\n  smoke:\n    - path: /web/login\n      status: 200\n      contains: Odoo" });
    smoke.items.forEach((item, i) => {
      const where = `deploy.smoke[${i}]`;
      const k = pairs(mapOf(item, where, posOf), ["path", "status", "contains", "host"], where, posOf);
      const path = k.get("path")?.value;
      if (isNullNode(path)) throw new UserError(`${where} has no path`, { pos: posOf(item), hint: "Add `path: /web/login`." });
      const test: SmokeTest = { path: urlPath(path, `${where}.path`, posOf), status: 200 };
      const status = k.get("status")?.value;
      if (!isNullNode(status)) {
        const n = positive(status, `${where}.status`, posOf);
        if (n < 100 || n > 599 || !Number.isInteger(n)) throw new UserError(`${where}.status must be an HTTP status (100-599)`, { pos: posOf(status) });
        test.status = n;
      }
      const contains = k.get("contains")?.value;
      if (!isNullNode(contains)) test.contains = str(contains, `${where}.contains`, posOf);
      const host = k.get("host")?.value;
      if (!isNullNode(host)) test.host = str(host, `${where}.host`, posOf);
      cfg.smoke.push(test);
    });
  }
  return cfg;
}

function str(n: unknown, where: string, posOf: PosOf): string {
  if (!isScalar(n) || (typeof n.value !== "string" && typeof n.value !== "number")) throw new UserError(`${where} must be a string`, { pos: posOf(n) });
  return String(n.value);
}

function strings(n: unknown, where: string, posOf: PosOf): string[] {
  if (!isSeq(n)) throw new UserError(`${where} must be a list of strings`, { pos: posOf(n) });
  return n.items.map((it, i) => str(it, `${where}[${i}]`, posOf));
}

function positive(n: unknown, where: string, posOf: PosOf): number {
  const v = isScalar(n) ? Number(n.value) : Number.NaN;
  if (!Number.isFinite(v) || v <= 0) throw new UserError(`${where} must be a positive number`, { pos: posOf(n) });
  return v;
}

function urlPath(n: unknown, where: string, posOf: PosOf): string {
  const v = str(n, where, posOf);
  if (!/^\/[\x21-\x7e]*$/.test(v)) throw new UserError(`${where} must be a URL path starting with / (no spaces)`, { pos: posOf(n) });
  return v;
}

