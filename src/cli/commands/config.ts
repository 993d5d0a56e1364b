import { stringify } from "yaml";
import { UserError, formatPos } from "../../errors.js";
import type { Platform } from "../../platform/index.js";
import { loadProject } from "../../project/index.js";
import type { OdooConfig } from "../../project/model.js";
import type { ConfigCliOptions } from "../main.js";
import { stableJson } from "../output/common.js";

/** Variable and option names whose values are secrets: masked unless --show-secrets. */
export const SECRET_NAME = /(PASSW(OR)?D|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|PASSPHRASE|ACCESS_?KEY|admin_passwd|db_password|smtp_password)/i;
const MASK = "********";

function maskEnv(raw: Record<string, unknown>): Record<string, unknown> {
  const services = raw.services as Record<string, Record<string, unknown>> | undefined;
  if (!services) return raw;
  const out: Record<string, unknown> = { ...raw, services: {} };
  for (const [name, svc] of Object.entries(services)) {
    const env = svc.environment as Record<string, unknown> | undefined;
    const copy: Record<string, unknown> = { ...svc };
    if (env) {
      copy.environment = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, SECRET_NAME.test(k) && v ? MASK : v]));
    }
    (out.services as Record<string, unknown>)[name] = copy;
  }
  return out;
}

export function renderOdooConf(cfg: OdooConfig, opts: { sources?: boolean; showSecrets?: boolean }): string {
  const lines = [`; effective odoo.conf of service "${cfg.service}"`, "[options]"];
  for (const key of Object.keys(cfg.options).sort()) {
    const o = cfg.options[key];
    if (!o) continue;
    const value = !opts.showSecrets && SECRET_NAME.test(key) && o.value && o.value !== "False" ? MASK : o.value;
    let line = `${key} = ${value}`;
    if (opts.sources) line += `    ; ${o.source}${o.pos ? ` ${formatPos(o.pos)}` : ""}`;
    lines.push(line);
  }
  return lines.join("\n") + "\n";
}

export async function configCommand(platform: Platform, dir: string, opts: ConfigCliOptions & { showSecrets?: boolean }): Promise<number> {
  const project = loadProject(dir, { platform, envs: opts.file ? undefined : [opts.env], files: opts.file });
  const envName = project.envNames[0] ?? opts.env;
  const env = project.envs[envName];
  if (!env) throw new UserError(`Environment ${envName} not found`);
  for (const d of project.diagnostics) {
    if (d.level === "warning") platform.stderr(`doodba-ops: warning: ${d.pos ? `${formatPos(d.pos)}: ` : ""}${d.message}\n`);
  }
  if (opts.odoo) {
    let configs = env.odoo;
    if (opts.service) configs = configs.filter((c) => c.service === opts.service);
    if (configs.length === 0) {
      throw new UserError(opts.service ? `Service "${opts.service}" is not an Odoo service in ${envName}` : `No Odoo service in environment ${envName}`, {
        hint: `Odoo services in ${envName}: ${env.odoo.map((c) => c.service).join(", ") || "none"}.`,
      });
    }
    if (opts.format === "json") {
      platform.stdout(stableJson(Object.fromEntries(configs.map((c) => [c.service, c.options]))) + "\n");
    } else platform.stdout(configs.map((c) => renderOdooConf(c, { sources: opts.sources, showSecrets: opts.showSecrets })).join("\n"));
    return 0;
  }
  const raw = opts.showSecrets ? env.compose.raw : maskEnv(env.compose.raw);
  if (opts.format === "json") platform.stdout(stableJson(raw) + "\n");
  else platform.stdout(stringify(raw, { sortMapEntries: true, lineWidth: 0 }));
  return 0;
}
