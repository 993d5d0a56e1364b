import type { EnvModel, ServiceModel } from "../../../project/model.js";
import type { RawFinding, Rule } from "../../types.js";
import { svcPos } from "../../lib/common.js";

function restartPolicyCondition(svc: ServiceModel): string | undefined {
  const deploy = svc.raw["deploy"];
  if (!deploy || typeof deploy !== "object") return undefined;
  const policy = (deploy as Record<string, unknown>)["restart_policy"];
  if (!policy || typeof policy !== "object") return undefined;
  const cond = (policy as Record<string, unknown>)["condition"];
  // Swarm's default condition is `any` when restart_policy is given without one.
  return typeof cond === "string" ? cond : "any";
}

function scaledToZero(svc: ServiceModel): boolean {
  return svc.replicas === 0 || svc.raw["scale"] === 0 || svc.raw["scale"] === "0";
}

/** Services that some other service waits for to *finish*: one-shot jobs by design. */
function oneShotServices(services: Record<string, ServiceModel>): Set<string> {
  const out = new Set<string>();
  for (const svc of Object.values(services)) {
    for (const [dep, d] of Object.entries(svc.dependsOn)) {
      if (d.condition === "service_completed_successfully") out.add(dep);
    }
  }
  return out;
}

/**
 * Swarm stacks restart every task by default (`restart_policy.condition: any`); compose
 * ignores that default. Keys only a Swarm deployment uses tell the two apart.
 */
function looksLikeSwarm(env: EnvModel): boolean {
  for (const svc of Object.values(env.compose.services)) {
    const deploy = svc.raw["deploy"];
    if (deploy && typeof deploy === "object") {
      const d = deploy as Record<string, unknown>;
      if (d["placement"] !== undefined || d["update_config"] !== undefined || d["rollback_config"] !== undefined) return true;
      if (d["mode"] === "global") return true;
    }
  }
  return Object.values(env.compose.networks).some((n) => n?.["driver"] === "overlay");
}

export const rule: Rule = {
  id: "no-restart-policy",
  category: "reliability",
  severity: "warning",
  title: "Long-running service without a restart policy",
  why:
    "Without `restart:` Docker never restarts the container: after a host reboot, a Docker upgrade or a crash (an " +
    "out-of-memory kill of Odoo, PostgreSQL or the proxy) the service stays down until someone notices and runs " +
    "`docker compose up -d` by hand.",
  fix: "Add `restart: unless-stopped` to the service (or `deploy: {restart_policy: {condition: any}}` for Swarm).",
  appliesTo: { envs: ["prod"] },
  example: "services:\n  db:\n    image: postgres:16\n    # no restart: stays down after a reboot",
  scope: "env",
  check(env) {
    const out: RawFinding[] = [];
    const services = env.compose.services;
    const oneShot = oneShotServices(services);
    const swarm = looksLikeSwarm(env);
    for (const svc of Object.values(services)) {
      if (oneShot.has(svc.name) || scaledToZero(svc)) continue;
      // Profiled services only start on demand (admin tools, one-off jobs).
      const profiles = svc.raw["profiles"];
      if (Array.isArray(profiles) && profiles.length > 0) continue;
      const deployCond = restartPolicyCondition(svc);
      if (deployCond !== undefined && deployCond !== "none") continue;
      // The loader reports a Swarm restart_policy condition as `deploy:<condition>`.
      const restartRaw = svc.restart?.trim().toLowerCase();
      const restart = restartRaw?.startsWith("deploy:") ? undefined : restartRaw;
      if (restart && restart !== "no" && restart !== "false") continue;
      if (swarm && restart === undefined && deployCond === undefined) continue; // Swarm default: any
      if (restart === "no" || restart === "false" || deployCond === "none") {
        out.push({
          message:
            `service ${svc.name} sets \`restart: "no"\` explicitly: it is not restarted after a crash or a host reboot` +
            " (fine only for a job meant to run once; then suppress this finding)",
          pos:
            deployCond === "none"
              ? svcPos(env, svc.name, "deploy", "restart_policy", "condition")
              : svcPos(env, svc.name, "restart"),
          fix: `If ${svc.name} must stay up, use \`restart: unless-stopped\`; if it runs once, make its dependants wait with \`condition: service_completed_successfully\`.`,
        });
        continue;
      }
      out.push({
        message: `service ${svc.name} has no restart policy: it stays down after a crash or a host reboot`,
        pos: svcPos(env, svc.name),
        fix: `Add \`restart: unless-stopped\` under \`services.${svc.name}\`.`,
      });
    }
    return out;
  },
};
