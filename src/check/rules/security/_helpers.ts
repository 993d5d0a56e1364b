/** Helpers shared by the security rules. Pure. */
import type { SourcePos } from "../../../errors.js";
import type { EnvModel, OdooOption, PortMapping, ProjectModel, ServiceModel } from "../../../project/model.js";
import { imageName, isPostgresService } from "../../lib/common.js";

/** Well-known passwords: defaults of doodba, the official images and tutorials, and keyboard walks. */
export const WEAK_PASSWORDS = new Set([
  "admin",
  "administrator",
  "admin123",
  "adminadmin",
  "odoo",
  "odoo123",
  "odoopassword",
  "odoo_password",
  "openerp",
  "postgres",
  "postgresql",
  "password",
  "passw0rd",
  "password1",
  "pass",
  "changeme",
  "change-me",
  "change_me",
  "secret",
  "master",
  "masterpassword",
  "test",
  "demo",
  "qwerty",
  "1234",
  "12345",
  "123456",
  "1234567",
  "12345678",
  "123456789",
  "1234567890",
]);

export function isWeakPassword(value: string): boolean {
  return WEAK_PASSWORDS.has(value.trim().toLowerCase());
}

/** The option was set explicitly (environment, build arg, conf.d, command), not left at a default. */
export function isExplicit(o: OdooOption | undefined): boolean {
  return !!o && o.source !== "odoo-default" && o.source !== "doodba-default";
}

/** Project-relative env_file paths of a service that are not in the checkout (git-ignored secrets, usually). */
export function missingEnvFiles(project: ProjectModel, svc: ServiceModel): string[] {
  const raw = svc.raw.env_file;
  const items = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw];
  const out: string[] = [];
  for (const item of items) {
    const p = typeof item === "string" ? item : item && typeof item === "object" ? (item as { path?: unknown }).path : undefined;
    if (typeof p !== "string" || p === "") continue;
    const rel = p.startsWith(`${project.dir}/`) ? p.slice(project.dir.length + 1) : p.replace(/^\.\//, "");
    const required = item && typeof item === "object" ? (item as { required?: unknown }).required : undefined;
    if (required === false || required === "false") continue;
    if (!project.files.includes(rel)) out.push(rel);
  }
  // The loader also says so; trust it when the raw form is unusual.
  if (out.length === 0) {
    for (const d of project.diagnostics) {
      const m = /^env_file (\S+) of service "([^"]+)" not found/.exec(d.message);
      if (m && m[2] === svc.name && m[1]) out.push(m[1]);
    }
  }
  return out;
}

/** A default value could be overridden in env files this checkout does not have, or by a variable passed through from the host. */
export function defaultMayBeOverridden(project: ProjectModel, svc: ServiceModel, variable: string): boolean {
  if (svc.environment[variable] === null) return true;
  return missingEnvFiles(project, svc).length > 0;
}

/** Position of an environment variable of a service (the value, or the service). */
export function envVarPos(env: EnvModel, service: string, variable: string): SourcePos | undefined {
  return env.compose.positions.exact(["services", service, "environment", variable]) ?? env.compose.positions.at(["services", service, "environment"]);
}

/** Published on every host interface (no host IP, 0.0.0.0 or ::). */
export function isPublicPort(p: PortMapping): boolean {
  const ip = (p.hostIp ?? "").trim().replace(/^\[|\]$/g, "");
  return ip === "" || ip === "0.0.0.0" || ip === "::" || ip === "*";
}

export function describePort(p: PortMapping): string {
  const host = p.published ? `${p.hostIp ? `${p.hostIp}:` : ""}${p.published}` : "a random host port";
  return `${host} -> ${p.target}/${p.protocol}`;
}

/** A Docker socket proxy (tecnativa/docker-socket-proxy and similar): mounting the socket is its job. */
export function isSocketProxy(svc: ServiceModel): boolean {
  return /socket-proxy|dockersocketproxy|docker-proxy/.test(imageName(svc.image ?? ""));
}

/**
 * PostgreSQL servers among the env's services: the common heuristic (image or name says postgres) minus clients
 * and tools whose image names contain "postgres" (exporters, backup and admin images).
 */
export function postgresServers(env: EnvModel): ServiceModel[] {
  return Object.values(env.compose.services).filter(
    (svc) => isPostgresService(svc) && !/exporter|duplicity|backup|pgweb|pgadmin|pghero|adminer|metabase/.test(imageName(svc.image ?? "")),
  );
}
