/** Compose environment -> Swarm stack, pure (the real project loader, no engine). */
import { afterAll, describe, expect, it } from "vitest";
import { pinnedTag } from "../../../src/deploy/swarm/apply.js";
import { maskStack, toStack } from "../../../src/deploy/swarm/convert.js";
import { cleanupProjects, loadFiles } from "../../helpers/project.js";

afterAll(() => cleanupProjects());

const PROD = `services:
  odoo:
    build: ./odoo
    image: acme-odoo:prod
    container_name: acme-odoo
    restart: unless-stopped
    mem_limit: 2g
    cpus: 2
    depends_on:
      db:
        condition: service_healthy
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8069/web/health"]
    volumes:
      - ./odoo/custom/conf.d:/opt/odoo/custom/conf.d:ro
      - filestore:/var/lib/odoo
  db:
    image: postgres:15
    privileged: true
  nginx:
    image: nginx:1.27
    ports: ["127.0.0.1:80:80"]
volumes:
  filestore:
`;

function env() {
  const model = loadFiles({ "prod.yaml": PROD }, { envs: ["prod"] });
  const e = model.envs.prod;
  if (!e) throw new Error("no prod");
  return { e, dir: model.dir };
}

describe("toStack", () => {
  it("GIVEN a compose environment WHEN converting THEN Odoo gets a health-gated start-first rolling update and limits move under deploy", () => {
    const { e, dir } = env();
    const { stack } = toStack(e, { images: { odoo: "acme-odoo:prod-20261127t1000z-abcd" }, odoo: ["odoo"], dir });
    const services = stack.services as Record<string, Record<string, unknown>>;
    expect(services.odoo?.image).toBe("acme-odoo:prod-20261127t1000z-abcd");
    expect(services.odoo?.deploy).toEqual({
      restart_policy: { condition: "any" },
      resources: { limits: { memory: "2048M", cpus: "2" } },
      update_config: { parallelism: 1, order: "start-first", failure_action: "rollback", monitor: "20s", delay: "0s" },
      rollback_config: { parallelism: 1, order: "start-first" },
    });
    expect(services.odoo?.container_name).toBeUndefined();
    expect(services.odoo?.volumes).toEqual([
      { type: "bind", source: `${dir}/odoo/custom/conf.d`, target: "/opt/odoo/custom/conf.d", read_only: true },
      expect.objectContaining({ type: "volume", source: "filestore", target: "/var/lib/odoo" }),
    ]);
    expect(stack.networks).toEqual({ default: { driver: "overlay", attachable: true } });
  });

  it("GIVEN keys Swarm ignores WHEN converting THEN one warning per key names every service it applies to", () => {
    const { e, dir } = env();
    const { warnings } = toStack(e, { images: {}, odoo: ["odoo"], dir });
    expect(warnings.map((w) => [w.key, w.services])).toEqual([
      ["build", ["odoo"]],
      ["container_name", ["odoo"]],
      ["depends_on-condition", ["odoo"]],
      ["mem_limit-cpus", ["odoo"]],
      ["ports-host-ip", ["nginx"]],
      ["privileged", ["db"]],
      ["restart", ["odoo"]],
    ]);
  });

  it("GIVEN dnsrr WHEN converting THEN every service uses it and published ports go to host mode", () => {
    const { e, dir } = env();
    const { stack } = toStack(e, { images: {}, odoo: ["odoo"], dir, endpointMode: "dnsrr" });
    const services = stack.services as Record<string, Record<string, unknown>>;
    expect((services.db?.deploy as Record<string, unknown>).endpoint_mode).toBe("dnsrr");
    expect(services.nginx?.ports).toEqual([{ target: 80, published: 80, protocol: "tcp", mode: "host" }]);
  });

  it("GIVEN secrets in the environment WHEN printing the stack THEN they are masked, other values kept", () => {
    const stack = { version: "3.8", services: { odoo: { environment: { PGPASSWORD: "s3cret", PGUSER: "odoo" } }, db: { environment: ["POSTGRES_PASSWORD=s3cret", "POSTGRES_USER=odoo"] } } };
    expect(maskStack(stack).services).toEqual({ odoo: { environment: { PGPASSWORD: "********", PGUSER: "odoo" } }, db: { environment: ["POSTGRES_PASSWORD=********", "POSTGRES_USER=odoo"] } });
  });

  it("GIVEN an image reference WHEN pinning it to a deploy THEN the tag gets the deploy id", () => {
    expect(pinnedTag("acme-odoo:prod", "x1")).toBe("acme-odoo:prod-x1");
    expect(pinnedTag("registry:5000/acme/odoo", "x1")).toBe("registry:5000/acme/odoo:x1");
  });
});
