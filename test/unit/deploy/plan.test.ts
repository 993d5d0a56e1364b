/**
 * deploy planning, pure: desired state from the real project loader, actual state as the engine
 * would report it. No engine.
 */
import { afterAll, describe, expect, it } from "vitest";
import { composeProjectName, desiredState, planDeploy, serviceImage, type PlanOptions } from "../../../src/deploy/plan.js";
import type { ActualState, ContainerState, DesiredState } from "../../../src/deploy/types.js";
import { cleanupProjects, loadFiles } from "../../helpers/project.js";

afterAll(() => cleanupProjects());

const PROD = `services:
  odoo:
    build: ./odoo
    image: acme-odoo:prod
    environment:
      PGDATABASE: prod
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8069/web/health"]
  db:
    image: postgres:15
    environment:
      POSTGRES_USER: odoo
  nginx:
    image: nginx:1.27
    ports: ["80:80"]
`;

function desired(yaml = PROD, hashes: Record<string, string> = {}): DesiredState {
  const model = loadFiles({ "prod.yaml": yaml, "odoo/Dockerfile": "FROM ghcr.io/tecnativa/doodba:17.0-onbuild\n" }, { envs: ["prod"] });
  const env = model.envs.prod;
  if (!env) throw new Error("no prod");
  return desiredState(env, "acme", "v2", hashes);
}

function ctr(service: string, imageId: string, extra: Partial<ContainerState> = {}): ContainerState {
  return { id: `id-${service}`, name: `acme-${service}-1`, service, image: `${service}:x`, imageId, state: "running", oneoff: false, created: "2026-11-27T00:00:00Z", number: 1, ...extra };
}

const img = (ref: string, id: string) => ({ ref, id, repoDigests: [], repoTags: [ref], labels: {} });

const base: PlanOptions = { update: "auto", backup: { kind: "database-dump", description: "pg_dump of prod" }, gates: [] };

function running(): ActualState {
  return {
    engine: "28.0",
    containers: [ctr("db", "sha256:db1"), ctr("nginx", "sha256:ng1"), ctr("odoo", "sha256:od1")],
    images: { "postgres:15": img("postgres:15", "sha256:db1"), "nginx:1.27": img("nginx:1.27", "sha256:ng1"), "acme-odoo:prod": img("acme-odoo:prod", "sha256:od1") },
  };
}

describe("desiredState", () => {
  it("GIVEN a Doodba prod file WHEN reading the desired state THEN it names the images, the Odoo service, the proxy and the database", () => {
    const d = desired();
    const byName = Object.fromEntries(d.services.map((s) => [s.name, s]));
    expect(byName.odoo).toMatchObject({ image: "acme-odoo:prod", build: true, odoo: true, healthcheck: true, publishesPorts: false });
    expect(byName.db).toMatchObject({ database: true, odoo: false });
    expect(byName.nginx).toMatchObject({ proxy: "nginx", publishesPorts: true });
  });

  it("GIVEN a build without image WHEN naming its image THEN compose v2 joins with '-' and v1 with '_'", () => {
    const d = desired(PROD.replace("    image: acme-odoo:prod\n", ""));
    const svc = d.services.find((s) => s.name === "odoo");
    expect(svc?.image).toBe("acme-odoo");
    const model = loadFiles({ "prod.yaml": PROD.replace("    image: acme-odoo:prod\n", "") }, { envs: ["prod"] });
    const s = model.envs.prod?.compose.services.odoo;
    if (!s) throw new Error("no odoo");
    expect(serviceImage("acme", s, "v1")).toBe("acme_odoo");
  });

  it("GIVEN COMPOSE_PROJECT_NAME or a directory name WHEN naming the project THEN it is lowercased and stripped like compose", () => {
    expect(composeProjectName("/srv/Acme ERP", {})).toBe("acmeerp");
    expect(composeProjectName("/srv/x", { COMPOSE_PROJECT_NAME: "shop-prod" })).toBe("shop-prod");
  });
});

describe("planDeploy", () => {
  it("GIVEN nothing runs WHEN planning THEN every service is created, the image is built, no module update runs", () => {
    const plan = planDeploy(desired(), { engine: "28.0", containers: [], images: {} }, base);
    expect(plan.firstDeploy).toBe(true);
    expect(plan.services.map((s) => [s.service, s.action])).toEqual([
      ["db", "create"],
      ["nginx", "create"],
      ["odoo", "create"],
    ]);
    expect(plan.images.map((i) => [i.service, i.action])).toEqual([
      ["db", "pull"],
      ["nginx", "pull"],
      ["odoo", "build"],
    ]);
    expect(plan.moduleUpdate.run).toBe("no");
    expect(plan.blockers).toEqual([]);
  });

  it("GIVEN everything runs WHEN planning before the build THEN Odoo is recreated only if the rebuilt image changes, and so is the update", () => {
    const plan = planDeploy(desired(), running(), base);
    const odoo = plan.services.find((s) => s.service === "odoo");
    expect(odoo?.action).toBe("recreate-if-changed");
    expect(plan.services.filter((s) => s.service !== "odoo").every((s) => s.action === "keep")).toBe(true);
    expect(plan.moduleUpdate).toMatchObject({ run: "if-image-changes", command: ["click-odoo-update"] });
    expect(odoo?.strategy).toBe("recreate");
  });

  it("GIVEN the build produced a new image WHEN planning again THEN Odoo is recreated and click-odoo-update runs before the switch", () => {
    const plan = planDeploy(desired(), running(), { ...base, builtIds: { odoo: "sha256:od2", db: "sha256:db1", nginx: "sha256:ng1" } });
    const odoo = plan.services.find((s) => s.service === "odoo");
    expect(odoo).toMatchObject({ action: "recreate", fromImageId: "sha256:od1", toImageId: "sha256:od2", strategy: "recreate" });
    expect(odoo?.strategyNote).toMatch(/module update/);
    expect(plan.moduleUpdate).toMatchObject({ run: "yes", service: "odoo", reason: "the Odoo image changed" });
    expect(plan.changes).toBe(true);
  });

  it("GIVEN a new Odoo image and --update none WHEN planning THEN Odoo switches with zero downtime", () => {
    const plan = planDeploy(desired(), running(), { ...base, update: "none", builtIds: { odoo: "sha256:od2" } });
    expect(plan.services.find((s) => s.service === "odoo")).toMatchObject({ action: "recreate", strategy: "zero-downtime" });
    expect(plan.moduleUpdate.run).toBe("no");
  });

  it("GIVEN Odoo publishes a host port WHEN zero-downtime is demanded THEN the plan is blocked with the reason", () => {
    const yaml = PROD.replace("      PGDATABASE: prod\n", "      PGDATABASE: prod\n    ports: [\"127.0.0.1:8069:8069\"]\n");
    const plan = planDeploy(desired(yaml), running(), { ...base, update: "none", strategy: "zero-downtime", builtIds: { odoo: "sha256:od2" } });
    expect(plan.services.find((s) => s.service === "odoo")?.strategy).toBe("recreate");
    expect(plan.blockers.join("\n")).toMatch(/publishes host ports/);
  });

  it("GIVEN --update with modules WHEN planning THEN odoo -u runs with them whatever the image", () => {
    const plan = planDeploy(desired(), running(), { ...base, update: ["sale", "stock"], builtIds: { odoo: "sha256:od1" } });
    expect(plan.moduleUpdate).toMatchObject({ run: "yes", command: ["odoo", "--stop-after-init", "--no-http", "-u", "sale,stock"] });
  });

  it("GIVEN the image is unchanged after the build WHEN planning THEN nothing changes", () => {
    const plan = planDeploy(desired(), running(), { ...base, builtIds: { odoo: "sha256:od1", db: "sha256:db1", nginx: "sha256:ng1" } });
    expect(plan.changes).toBe(false);
    expect(plan.moduleUpdate.run).toBe("no");
  });

  it("GIVEN a changed config hash WHEN planning THEN that service is recreated for its configuration", () => {
    const d = desired(PROD, { db: "b".repeat(64) });
    const actual = running();
    actual.containers = actual.containers.map((c) => (c.service === "db" ? { ...c, configHash: "a".repeat(64) } : c));
    const plan = planDeploy(d, actual, base);
    expect(plan.services.find((s) => s.service === "db")).toMatchObject({ action: "recreate", reason: "configuration changed (compose config hash)" });
  });

  it("GIVEN a container of a service no longer in the files and a stopped one WHEN planning THEN it is removed and the stopped one started", () => {
    const actual = running();
    actual.containers.push(ctr("redis", "sha256:r1"));
    actual.containers = actual.containers.map((c) => (c.service === "nginx" ? { ...c, state: "exited" } : c));
    const plan = planDeploy(desired(), actual, base);
    expect(plan.services.find((s) => s.service === "redis")?.action).toBe("remove");
    expect(plan.services.find((s) => s.service === "nginx")?.action).toBe("start");
  });

  it("GIVEN one-off containers WHEN planning THEN they are not the service's containers", () => {
    const actual = running();
    actual.containers.push(ctr("odoo", "sha256:other", { oneoff: true, name: "acme-odoo-run-1" }));
    const plan = planDeploy(desired(), actual, { ...base, builtIds: { odoo: "sha256:od1" } });
    expect(plan.services.find((s) => s.service === "odoo")).toMatchObject({ action: "keep", containers: ["acme-odoo-1"] });
  });

  it("GIVEN blocking findings or no engine WHEN planning THEN the plan says why it is blocked; --force lifts the findings only", () => {
    const gates = [{ ruleId: "db-manager-exposed", severity: "error" as const, message: "open" }];
    expect(planDeploy(desired(), running(), { ...base, gates }).blockers.join()).toMatch(/1 blocking finding/);
    expect(planDeploy(desired(), running(), { ...base, gates, force: true }).blockers).toEqual([]);
    const down = planDeploy(desired(), { engineError: "Cannot connect", containers: [], images: {} }, base);
    expect(down.engine.reachable).toBe(false);
    expect(down.blockers.join()).toMatch(/does not answer: Cannot connect/);
  });
});
