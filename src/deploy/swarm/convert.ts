/**
 * Compose environment -> Docker Swarm stack file, pure. Converts what Swarm can run and warns
 * once per kind of thing it cannot (`docker stack deploy` ignores them silently, which is worse):
 * build (the image must be built and tagged first: deploy does it and pins a per-deploy tag),
 * container_name, depends_on (Swarm starts services in any order; conditions are lost),
 * restart (becomes deploy.restart_policy), mem_limit / cpus (become deploy.resources.limits),
 * a published port's host IP (Swarm publishes on every interface: ingress or host mode), and
 * privileged / network_mode / devices. The Odoo services get a health-gated rolling update:
 * `update_config: {order: start-first, failure_action: rollback}`.
 */
import { posix } from "node:path";
import type { EnvModel, ServiceModel } from "../../project/model.js";

export interface StackWarning {
  /** Stable key: one warning per key, naming every service it applies to. */
  key: string;
  services: string[];
  message: string;
}

export interface StackConversion {
  /** The stack file document (compose file format 3.8). */
  stack: Record<string, unknown>;
  warnings: StackWarning[];
}

export interface ConvertOptions {
  /** Image reference to use per service (deploy pins a per-deploy tag for built services). */
  images: Record<string, string>;
  /** Odoo services (rolling update, start-first). */
  odoo: string[];
  /** Seconds Swarm watches a new task for failure before the next. @default 20 */
  monitorSeconds?: number;
  /** `deploy.endpoint_mode` of every service. @default "vip" (dnsrr where the kernel has no IPVS) */
  endpointMode?: "vip" | "dnsrr";
  /** Absolute project directory: relative bind mounts are made absolute (the stack file lives elsewhere). */
  dir: string;
}

const UNSUPPORTED: Record<string, string> = {
  container_name: "Swarm names containers itself; container_name is ignored",
  privileged: "Swarm services cannot run privileged; privileged is ignored",
  network_mode: "Swarm services use networks, not network_mode; it is ignored",
  devices: "Swarm services cannot map devices; devices is ignored",
  links: "links are ignored by Swarm; services reach each other by name on their networks",
  cap_add: "cap_add needs Docker 20.10+ on every node and compose file format 3.9+; it is dropped",
  security_opt: "security_opt is ignored by Swarm",
  extra_hosts: "extra_hosts are kept by compose only; check them on Swarm",
};

function bytes(n: number): string {
  return n % 1048576 === 0 ? `${n / 1048576}M` : `${Math.ceil(n / 1024)}K`;
}

/** Converts one environment. Pure: same input, same output (keys sorted where order has no meaning). */
export function toStack(env: EnvModel, o: ConvertOptions): StackConversion {
  const warn = new Map<string, StackWarning>();
  const add = (key: string, svc: string, message: string): void => {
    const w = warn.get(key) ?? { key, services: [], message };
    if (!w.services.includes(svc)) w.services.push(svc);
    warn.set(key, w);
  };
  const services: Record<string, unknown> = {};
  for (const svc of Object.values(env.compose.services).sort((a, b) => a.name.localeCompare(b.name))) {
    services[svc.name] = convertService(svc, o, add);
  }
  const stack: Record<string, unknown> = { version: "3.8", services };
  const nets = Object.entries(env.compose.networks);
  if (nets.length > 0) {
    stack.networks = Object.fromEntries(
      nets.map(([name, def]) => {
        const d = { ...(def ?? {}) };
        if (!d.external) d.driver = "overlay";
        if (!d.external) d.attachable = true;
        return [name, d];
      }),
    );
  } else stack.networks = { default: { driver: "overlay", attachable: true } };
  if (Object.keys(env.compose.volumes).length > 0) stack.volumes = Object.fromEntries(Object.entries(env.compose.volumes).map(([k, v]) => [k, v ?? {}]));
  if (Object.keys(env.compose.secrets).length > 0) stack.secrets = env.compose.secrets;
  return { stack, warnings: [...warn.values()].sort((a, b) => a.key.localeCompare(b.key)) };
}

function convertService(svc: ServiceModel, o: ConvertOptions, add: (key: string, svc: string, message: string) => void): Record<string, unknown> {
  const raw = svc.raw;
  const out: Record<string, unknown> = {};
  const image = o.images[svc.name] ?? svc.image;
  if (svc.build) add("build", svc.name, "Swarm does not build images: deploy builds them with compose and deploys a per-deploy tag");
  if (!image) add("no-image", svc.name, "the service has neither image nor build: it cannot run on Swarm");
  else out.image = image;
  for (const k of ["command", "entrypoint", "environment", "env_file", "healthcheck", "labels", "secrets", "configs", "stop_grace_period", "stop_signal", "user", "working_dir", "ulimits", "sysctls", "tmpfs", "init", "hostname", "shm_size"]) {
    if (raw[k] !== undefined) out[k] = raw[k];
  }
  if (Array.isArray(raw.volumes)) {
    out.volumes = (raw.volumes as Record<string, unknown>[]).map((v) =>
      v.type === "bind" && typeof v.source === "string" && !v.source.startsWith("/") ? { ...v, source: posix.join(o.dir, v.source) } : v,
    );
  }
  if (raw.networks !== undefined) out.networks = raw.networks;
  if (svc.ports.length > 0) {
    out.ports = svc.ports.map((p) => {
      if (p.hostIp) add("ports-host-ip", svc.name, `Swarm publishes ports on every interface: the host IP of "${p.hostIp}:${p.published ?? ""}:${p.target}" cannot be kept (restrict with a firewall or put the proxy in host mode behind one)`);
      // dnsrr services cannot use the ingress routing mesh: they publish on the node (mode host).
      const mode = o.endpointMode === "dnsrr" ? "host" : (p.mode ?? "ingress");
      return { target: p.target, ...(p.published ? { published: Number(p.published) } : {}), protocol: p.protocol, mode };
    });
  }
  for (const [key, why] of Object.entries(UNSUPPORTED)) if (raw[key] !== undefined) add(key, svc.name, why);
  if (Object.values(svc.dependsOn).some((d) => d.condition !== "service_started")) add("depends_on-condition", svc.name, "Swarm ignores depends_on and its conditions: services start in any order and must wait for what they need (Doodba's WAIT_DB does for the database)");
  else if (Object.keys(svc.dependsOn).length > 0) add("depends_on", svc.name, "Swarm ignores depends_on: services start in any order");

  const deploy: Record<string, unknown> = { ...((raw.deploy as Record<string, unknown> | undefined) ?? {}) };
  if (svc.restart && deploy.restart_policy === undefined) {
    const condition = svc.restart === "no" ? "none" : svc.restart === "on-failure" ? "on-failure" : "any";
    deploy.restart_policy = { condition };
    add("restart", svc.name, "restart becomes deploy.restart_policy");
  }
  const limits: Record<string, unknown> = {};
  if (svc.memLimit !== undefined && raw.mem_limit !== undefined) limits.memory = bytes(svc.memLimit);
  if (svc.cpus !== undefined && raw.cpus !== undefined) limits.cpus = String(svc.cpus);
  if (Object.keys(limits).length > 0) {
    const res = { ...((deploy.resources as Record<string, unknown> | undefined) ?? {}) };
    res.limits = { ...((res.limits as Record<string, unknown> | undefined) ?? {}), ...limits };
    deploy.resources = res;
    add("mem_limit-cpus", svc.name, "mem_limit / cpus become deploy.resources.limits");
  }
  if (o.endpointMode === "dnsrr" && deploy.endpoint_mode === undefined) deploy.endpoint_mode = "dnsrr";
  if (o.odoo.includes(svc.name)) {
    deploy.update_config = { parallelism: 1, order: "start-first", failure_action: "rollback", monitor: `${o.monitorSeconds ?? 20}s`, delay: "0s" };
    deploy.rollback_config = { parallelism: 1, order: "start-first" };
    if (!svc.healthcheck || svc.healthcheck.disable) add("odoo-no-healthcheck", svc.name, "the Odoo service has no health check: Swarm cannot gate the rolling update on health (add one on /web/health)");
  }
  if (Object.keys(deploy).length > 0) out.deploy = deploy;
  return out;
}

/** Names whose values are secrets (the same list `config` masks). */
const SECRET_NAME = /(PASSW(OR)?D|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|PASSPHRASE|ACCESS_?KEY|admin_passwd|db_password|smtp_password)/i;

/** A copy of the stack with secret environment values replaced by ********, for printing. */
export function maskStack(stack: Record<string, unknown>): Record<string, unknown> {
  const services = (stack.services ?? {}) as Record<string, Record<string, unknown>>;
  const masked: Record<string, unknown> = {};
  for (const [name, svc] of Object.entries(services)) {
    const env = svc.environment;
    if (env && typeof env === "object" && !Array.isArray(env)) {
      masked[name] = { ...svc, environment: Object.fromEntries(Object.entries(env as Record<string, unknown>).map(([k, v]) => [k, SECRET_NAME.test(k) && v ? "********" : v])) };
    } else if (Array.isArray(env)) {
      masked[name] = { ...svc, environment: env.map((e) => (typeof e === "string" && SECRET_NAME.test(e.split("=")[0] ?? "") && e.includes("=") ? `${e.split("=")[0]}=********` : e)) };
    } else masked[name] = svc;
  }
  return { ...stack, services: masked };
}
