/** Helpers exported by the reliability rules: ref pinning, addons.yaml ONLY logic, doodba clone URLs, Odoo commands and support. */
import { describe, expect, it } from "vitest";
import { documentsCanMeet } from "../../../src/check/rules/reliability/addon-in-two-repos.js";
import { defaultOrigin, repoFolder } from "../../../src/check/rules/reliability/addons-repo-without-source.js";
import { odooSupport } from "../../../src/check/rules/reliability/odoo-version-end-of-life.js";
import { isPinnedRef } from "../../../src/check/rules/reliability/repo-merges-unpinned.js";
import { runsOdooServer } from "../../../src/check/rules/reliability/workers-not-set.js";
import { isBackupService } from "../../../src/check/rules/reliability/no-backup.js";
import type { AddonsDocument, ServiceModel } from "../../../src/project/model.js";

function doc(only: Record<string, string[]>): AddonsDocument {
  return { only, env: {}, repos: {}, repoPos: {} };
}

function svc(name: string, image?: string, command?: string[]): ServiceModel {
  return {
    name,
    image,
    command,
    environment: {},
    ports: [],
    expose: [],
    volumes: [],
    labels: {},
    networks: {},
    dependsOn: {},
    privileged: false,
    capAdd: [],
    raw: {},
  };
}

describe("isPinnedRef", () => {
  it.each(["5c3b0f9e2a1d4c6b8e7f9a0b1c2d3e4f5a6b7c8d", "5c3b0f9", "refs/tags/v1.0", "v2.3.1", "17.0.1.0.0"])(
    "GIVEN %s THEN it names a fixed commit",
    (ref) => expect(isPinnedRef(ref)).toBe(true),
  );
  it.each(["17.0", "main", "$ODOO_VERSION", "refs/pull/140/head", "11.0-mig-mail_sendgrid", "master"])(
    "GIVEN %s THEN it moves",
    (ref) => expect(isPinnedRef(ref)).toBe(false),
  );
});

describe("documentsCanMeet (addons.yaml ONLY)", () => {
  it("GIVEN disjoint values for the same variable THEN the documents never apply together", () => {
    expect(documentsCanMeet(doc({ PGDATABASE: ["devel"] }), doc({ PGDATABASE: ["prod", "test"] }))).toBe(false);
  });
  it("GIVEN overlapping values, different variables or no ONLY THEN they can", () => {
    expect(documentsCanMeet(doc({ PGDATABASE: ["prod"] }), doc({ PGDATABASE: ["prod", "test"] }))).toBe(true);
    expect(documentsCanMeet(doc({ PGDATABASE: ["prod"] }), doc({ ODOO_ENV: ["dev"] }))).toBe(true);
    expect(documentsCanMeet(doc({}), doc({ PGDATABASE: ["prod"] }))).toBe(true);
  });
});

describe("doodba's default origin", () => {
  it("GIVEN a folder THEN its base name fills the pattern", () => {
    expect(defaultOrigin("https://github.com/OCA/{}.git", "web")).toBe("https://github.com/OCA/web.git");
    expect(defaultOrigin("git@github.com:acme/{}.git", "vendor/acme-addons/")).toBe("git@github.com:acme/acme-addons.git");
  });
  it("GIVEN ./ prefixes or trailing slashes THEN the key names the same folder", () => {
    expect(repoFolder("./web/")).toBe("web");
    expect(repoFolder("web")).toBe("web");
  });
});

describe("runsOdooServer", () => {
  it.each([
    [undefined],
    [["odoo"]],
    [["odoo", "--workers=4"]],
    [["--workers=4"]],
    [["odoo", "server", "--workers=4"]],
    [["/opt/odoo/custom/src/odoo/odoo-bin", "-c", "/etc/odoo.conf"]],
  ])("GIVEN command %j THEN it is the server", (command) => {
    expect(runsOdooServer(svc("odoo", undefined, command))).toBe(true);
  });
  it.each([[["odoo", "shell"]], [["click-odoo-update"]], [["sh", "-c", "odoo --workers=2"]]])(
    "GIVEN command %j THEN it is not",
    (command) => {
      expect(runsOdooServer(svc("odoo", undefined, command))).toBe(false);
    },
  );
});

describe("isBackupService", () => {
  it("recognises backup images and services named backup", () => {
    expect(isBackupService(svc("x", "ghcr.io/tecnativa/docker-duplicity-postgres-s3:v3"))).toBe(true);
    expect(isBackupService(svc("x", "tecnativa/duplicity:postgres-s3"))).toBe(true);
    expect(isBackupService(svc("x", "mazzolino/restic:1.7"))).toBe(true);
    expect(isBackupService(svc("backup", undefined))).toBe(true);
    expect(isBackupService(svc("db-backup", "alpine:3"))).toBe(true);
    expect(isBackupService(svc("db", "postgres:16"))).toBe(false);
    expect(isBackupService(svc("odoo", "ghcr.io/tecnativa/doodba:17.0"))).toBe(false);
  });
});

describe("odooSupport", () => {
  const at = (d: string): Date => new Date(`${d}T12:00:00Z`);
  it("GIVEN 2026-11-27 THEN 17.0, 18.0 and 19.0 are supported and 16.0 ended when 19.0 came out", () => {
    expect(odooSupport(17, at("2026-11-27")).supported).toBe(true);
    expect(odooSupport(19, at("2026-11-27")).supported).toBe(true);
    expect(odooSupport(16, at("2026-11-27"))).toEqual({
      supported: false,
      since: "2025-09-17",
      by: 19,
      current: [17, 18, 19],
    });
  });
  it("GIVEN the day before 19.0 THEN 16.0 is still supported and 19.0 (unreleased) is not flagged", () => {
    expect(odooSupport(16, at("2025-09-16")).supported).toBe(true);
    expect(odooSupport(19, at("2025-09-16")).supported).toBe(true);
  });
  it("GIVEN a series newer than the table THEN it is taken as supported", () => {
    expect(odooSupport(21, at("2026-11-27")).supported).toBe(true);
  });
  it("GIVEN a series older than the table THEN it is unsupported without a date", () => {
    const s = odooSupport(6, at("2026-11-27"));
    expect(s.supported).toBe(false);
    expect(s.since).toBeUndefined();
  });
});
