/** Small helpers shared by rules. Pure. */
import type { SourcePos } from "../../errors.js";
import type { EnvModel, OdooConfig, OdooOption, ServiceModel } from "../../project/model.js";
import { parseSize } from "../../project/compose/load.js";

export type EnvKind = "prod" | "test" | "devel" | "other";

/**
 * Classifies an environment by its name: `prod.yaml`, `egov-prod.yaml`, `production.yaml` are
 * prod; `test.yaml`, `staging.yaml`, `qa.yaml` are test; `devel.yaml`, `setup-devel.yaml`,
 * `local.yaml` are devel. A lone `docker-compose.yml` is unclassified ("other"): in Doodba
 * projects it is a symlink to devel.yaml (which the loader skips), in hand-rolled ones it is
 * often the only, production, file.
 */
export function envKind(name: string): EnvKind {
  const n = name.toLowerCase();
  if (/(^|[-_.])(devel|dev|development|local)([-_.]|$)/.test(n) ) return "devel";
  if (/prod/.test(n)) return "prod";
  if (/(^|[-_.])(test|staging|stage|qa|preprod|uat)([-_.]|$)/.test(n)) return "test";
  return "other";
}

/** Odoo's boolean parsing for config values (configparser + tools/config.py). */
export function odooBool(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (["1", "true", "yes", "on", "t", "y"].includes(v)) return true;
  if (["0", "false", "no", "off", "f", "n", "", "none"].includes(v)) return false;
  return undefined;
}

/** Parses an integer option; undefined when not a number. */
export function odooInt(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (!/^-?\d+$/.test(v)) return undefined;
  return Number.parseInt(v, 10);
}

export function opt(cfg: OdooConfig, key: string): OdooOption | undefined {
  return cfg.options[key];
}

export function optValue(cfg: OdooConfig, key: string): string | undefined {
  return cfg.options[key]?.value;
}

/**
 * Parses a Docker memory size ("512m", "2g", "1.5GiB", "1073741824") into bytes.
 * Returns undefined for anything it cannot read.
 */
export function parseBytes(v: string | number | undefined): number | undefined {
  return v === undefined ? undefined : parseSize(v);
}

export function formatBytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

/** Position of a compose value, falling back to the service declaration. */
export function svcPos(env: EnvModel, service: string, ...path: (string | number)[]): SourcePos | undefined {
  return env.compose.positions.at(["services", service, ...path]);
}

/** Services of the environment that run Odoo (have an effective Odoo config). */
export function odooServices(env: EnvModel): { svc: ServiceModel; cfg: OdooConfig }[] {
  const out: { svc: ServiceModel; cfg: OdooConfig }[] = [];
  for (const cfg of env.odoo) {
    const svc = env.compose.services[cfg.service];
    if (svc) out.push({ svc, cfg });
  }
  return out;
}

/** Image name without registry/tag, lowercased: "ghcr.io/tecnativa/postgres-autoconf:16-alpine" -> "tecnativa/postgres-autoconf". */
export function imageName(image: string): string {
  let s = image.split("@")[0] ?? image;
  const slash = s.lastIndexOf("/");
  const colon = s.lastIndexOf(":");
  if (colon > slash) s = s.slice(0, colon);
  const parts = s.split("/");
  if (parts.length > 1 && /[.:]/.test(parts[0] ?? "") ) parts.shift();
  return parts.join("/").toLowerCase();
}

/** Tag of an image reference, undefined when none (which means `latest`). Digests return "@sha256...". */
export function imageTag(image: string): string | undefined {
  const at = image.indexOf("@");
  if (at >= 0) return image.slice(at);
  const slash = image.lastIndexOf("/");
  const colon = image.lastIndexOf(":");
  return colon > slash ? image.slice(colon + 1) : undefined;
}

/**
 * PostgreSQL server services: images of the official postgres family, postgis, Tecnativa's
 * postgres-autoconf, Bitnami's postgresql (not backup or exporter images that merely contain
 * "postgres" in their name). One definition, in ./postgres.ts.
 */
export { isPgServer as isPostgresService, pgServerServices as postgresServices } from "./postgres.js";
