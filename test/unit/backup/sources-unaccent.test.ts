/**
 * odooUnaccent: whether a restore through a project creates the unaccent extension, read from
 * the effective `unaccent` option of the environment's Odoo service (the real project loader).
 */
import { afterAll, describe, expect, it } from "vitest";
import { odooUnaccent } from "../../../src/backup/sources.js";
import { cleanupProjects, loadFiles } from "../../helpers/project.js";

afterAll(() => cleanupProjects());

const project = (odooEnv: string, more: Record<string, string> = {}) =>
  loadFiles({
    "odoo/Dockerfile": "FROM ghcr.io/tecnativa/doodba:17.0-onbuild\n",
    "prod.yaml": `services:
  odoo:
    build:
      context: ./odoo
    environment:
      PGDATABASE: acme${odooEnv}
  db:
    image: ghcr.io/tecnativa/postgres-autoconf:16-alpine
`,
    ...more,
  });

describe("odooUnaccent", () => {
  it("GIVEN a doodba project without UNACCENT THEN on (doodba's default is true)", () => {
    expect(odooUnaccent(project(""), "prod")).toBe(true);
  });
  it("GIVEN UNACCENT false or empty THEN off; GIVEN True THEN on", () => {
    expect(odooUnaccent(project(`\n      UNACCENT: "false"`), "prod")).toBe(false);
    expect(odooUnaccent(project(`\n      UNACCENT: ""`), "prod")).toBe(false);
    expect(odooUnaccent(project(`\n      UNACCENT: "True"`), "prod")).toBe(true);
  });
  it("GIVEN an environment without an Odoo service THEN undefined", () => {
    const p = loadFiles({ "prod.yaml": "services:\n  db:\n    image: postgres:16\n" });
    expect(odooUnaccent(p, "prod")).toBeUndefined();
  });
});
