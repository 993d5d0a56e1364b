/**
 * Which database `tune analyze` connects to, and that its password never shows: --db URLs,
 * PG* variables, and Doodba projects (real loader on temp projects).
 */
import { afterAll, describe, expect, it } from "vitest";
import { connectionError, tuneAnalyzeCommand } from "../../../src/cli/commands/tune-analyze.js";
import { UserError } from "../../../src/errors.js";
import { nodePlatform } from "../../../src/platform/index.js";
import { maskUrls, redactor, resolveTarget, type ConnectionTarget } from "../../../src/tune/analyze/connection.js";
import { loadProject } from "../../../src/project/index.js";
import { cleanupProjects, writeProject } from "../../helpers/project.js";

const SECRET = "p@ss:w/rd%41";
const ENC = encodeURIComponent(SECRET);
const noProject = (): never => {
  throw new Error("project must not be loaded");
};
const load = (dir: string, env: string) => loadProject(dir, { envs: [env], environ: {} });

afterAll(() => cleanupProjects());

function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error("expected a UserError");
}

describe("maskUrls and redactor", () => {
  it("masks URL passwords and password= parameters anywhere in a text", () => {
    expect(maskUrls(`failed: postgres://odoo:${ENC}@db:5432/prod and postgresql://u:x@h/d?password=abc&sslmode=require`)).toBe(
      "failed: postgres://odoo:***@db:5432/prod and postgresql://u:***@h/d?password=***&sslmode=require",
    );
  });

  it("removes the secret in clear and percent-encoded, longest first", () => {
    const r = redactor([SECRET, "ss"]);
    expect(r(`a ${SECRET} b ${ENC} c`)).toBe("a *** b *** c");
    expect(redactor(['q"uo\\te'])(JSON.stringify({ x: 'q"uo\\te' }))).toBe('{"x":"***"}');
  });
});

describe("resolveTarget", () => {
  it("GIVEN --db with a percent-encoded password THEN the driver gets it decoded and the display masks it", () => {
    const t = resolveTarget({ db: `postgres://odoo:${ENC}@10.0.0.5:6432/prod?sslmode=require` }, {}, noProject);
    expect(t.connect).toMatchObject({ host: "10.0.0.5", port: 6432, user: "odoo", password: SECRET, database: "prod", sslmode: "require" });
    expect(t.connect.connectionString).toBeUndefined();
    expect(t.display).toBe("postgres://odoo:***@10.0.0.5:6432/prod?sslmode=require");
    expect(t.secrets).toContain(SECRET);
    expect(t.source).toBe("url");
  });

  it("GIVEN --db without a password and PGPASSWORD set THEN the password comes from the environment and is still masked", () => {
    const t = resolveTarget({ db: "postgresql://odoo@127.0.0.1/prod" }, { PGPASSWORD: SECRET }, noProject);
    expect(t.connect.password).toBe(SECRET);
    expect(t.display).toBe("postgres://odoo:***@127.0.0.1:5432/prod");
    expect(t.secrets).toContain(SECRET);
  });

  it("GIVEN --db with a bare database name THEN host, port and role come from PG* variables", () => {
    const t = resolveTarget({ db: "prod" }, { PGHOST: "127.0.0.1", PGPORT: "15432", PGUSER: "odoo", PGPASSWORD: SECRET }, noProject);
    expect(t.connect).toMatchObject({ host: "127.0.0.1", port: 15432, user: "odoo", database: "prod", password: SECRET });
    expect(t.display).toBe("postgres://odoo:***@127.0.0.1:15432/prod");
  });

  it("GIVEN nothing at all THEN a UserError says the three ways", () => {
    const e = userError(() => resolveTarget({}, {}, noProject));
    expect(e.message).toBe("no database to analyse");
    expect(e.hint).toContain("--env prod");
  });

  it("GIVEN bad input THEN UserErrors that never echo the password", () => {
    const cases = [
      () => resolveTarget({ db: `mysql://root:${SECRET}@h/d` }, {}, noProject),
      () => resolveTarget({ db: `postgres://root:${SECRET}@h:99999999/d` }, {}, noProject),
      () => resolveTarget({ db: `host=h password=${SECRET}` }, {}, noProject),
      () => resolveTarget({ db: "x", env: "prod" }, {}, noProject),
      () => resolveTarget({ db: "prod" }, { PGPORT: "fivefour" }, noProject),
      () => resolveTarget({ db: `postgres://root:${SECRET}@h/d?options=-c%20x%3D1` }, {}, noProject),
    ];
    for (const c of cases) {
      const e = userError(c);
      expect(`${e.message} ${e.hint ?? ""}`).not.toContain(SECRET);
      expect(`${e.message} ${e.hint ?? ""}`).not.toContain(ENC);
    }
  });

  it("GIVEN --env prod and a db service published on all interfaces THEN it connects to 127.0.0.1 with the Odoo service's role, password and database", () => {
    const dir = writeProject({
      "prod.yaml": `services:\n  odoo:\n    build: ./odoo\n    environment:\n      PGUSER: acme\n      PGPASSWORD: "${SECRET}"\n      PGDATABASE: acme_prod\n  db:\n    image: postgres:16\n    ports: ["15432:5432"]\n`,
      "odoo/Dockerfile": "FROM ghcr.io/tecnativa/doodba:17.0-onbuild\n",
    });
    const t = resolveTarget({ dir, env: "prod" }, {}, load);
    expect(t.connect).toMatchObject({ host: "127.0.0.1", port: 15432, user: "acme", password: SECRET, database: "acme_prod" });
    expect(t.display).toBe("postgres://acme:***@127.0.0.1:15432/acme_prod");
    expect(t.note).toContain("db service db published on 127.0.0.1:15432");
  });

  it("GIVEN --env prod with Doodba's defaults and a db published on loopback THEN odoo/odoopassword/prod", () => {
    const dir = writeProject({
      "prod.yaml": 'services:\n  odoo:\n    image: ghcr.io/tecnativa/doodba:17.0\n  db:\n    image: ghcr.io/tecnativa/postgres-autoconf:15-alpine\n    ports: ["127.0.0.1:5433:5432"]\n',
    });
    const t = resolveTarget({ dir, env: "prod" }, {}, load);
    expect(t.connect).toMatchObject({ host: "127.0.0.1", port: 5433, user: "odoo", password: "odoopassword", database: "prod" });
  });

  it("GIVEN --env prod and PGHOST naming a server outside the project THEN it connects there", () => {
    const dir = writeProject({
      "prod.yaml": "services:\n  odoo:\n    image: ghcr.io/tecnativa/doodba:17.0\n    environment:\n      PGHOST: pg.internal.example\n      PGPORT: \"6432\"\n",
    });
    const t = resolveTarget({ dir, env: "prod" }, {}, load);
    expect(t.connect).toMatchObject({ host: "pg.internal.example", port: 6432 });
    expect(t.note).toContain("external server");
  });

  it("GIVEN --env prod whose db publishes nothing THEN the hint shows the loopback ports line and the next command", () => {
    const dir = writeProject({ "prod.yaml": "services:\n  odoo:\n    image: ghcr.io/tecnativa/doodba:17.0\n  db:\n    image: postgres:16\n" });
    const e = userError(() => resolveTarget({ dir, env: "prod" }, {}, load));
    expect(e.message).toContain('the db service "db" of prod publishes no port');
    expect(e.hint).toContain('- "127.0.0.1:5432:5432"');
    expect(e.next).toBe("doodba-ops tune analyze --db postgres://odoo@127.0.0.1:5432/prod");
    expect(`${e.message}${e.hint}${e.next}`).not.toContain("odoopassword");
  });

  it("GIVEN --env naming no environment THEN the error lists the project's", () => {
    const dir = writeProject({ "prod.yaml": "services:\n  odoo:\n    image: ghcr.io/tecnativa/doodba:17.0\n" });
    const e = userError(() => resolveTarget({ dir, env: "staging" }, {}, (d) => loadProject(d, { environ: {} })));
    expect(e.message).toContain('environment "staging" not found');
    expect(e.hint).toContain("prod");
  });
});

describe("connectionError", () => {
  const target: ConnectionTarget = { connect: { host: "127.0.0.1", port: 5432, user: "odoo", password: SECRET }, display: "postgres://odoo:***@127.0.0.1:5432/prod", source: "url", secrets: [SECRET] };
  const err = (code: string, message: string) => connectionError(Object.assign(new Error(message), { code }), target, redactor([SECRET]));

  it.each([
    ["ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432", "connection refused at 127.0.0.1:5432", "127.0.0.1:5432:5432"],
    ["ENOTFOUND", "getaddrinfo ENOTFOUND db", 'host "127.0.0.1" is unknown', "compose network"],
    ["28P01", 'password authentication failed for user "odoo"', 'password authentication failed for user "odoo"', "db-access.env"],
    ["3D000", 'database "prod" does not exist', 'database "prod" does not exist', "psql -l"],
    ["53300", "sorry, too many clients already", "no free connection slot", "max_connections"],
  ])("%s -> a UserError with a hint", (code, msg, inMessage, inHint) => {
    const e = err(code, `${msg} (${SECRET})`);
    expect(e.message).toContain("postgres://odoo:***@127.0.0.1:5432/prod");
    expect(e.message).toContain(inMessage);
    expect(e.hint).toContain(inHint);
    expect(`${e.message}${e.hint}`).not.toContain(SECRET);
  });
});

describe("flags", () => {
  const platform = { ...nodePlatform(), environ: {}, stdout: () => undefined, stderr: () => undefined };
  it.each([
    [{ memory: "8" }, "too small"],
    [{ memory: "lots" }, "--memory needs a size"],
    [{ cpus: "0" }, "--cpus needs a whole number"],
    [{ cpus: "2.5" }, "--cpus needs a whole number"],
    [{ storage: "tape" }, "--storage must be one of ssd, hdd, san, nvme"],
  ])("GIVEN %o THEN exit 2 before connecting (%s)", async (flags, text) => {
    await expect(tuneAnalyzeCommand(platform, { db: "postgres://x@127.0.0.1:1/x", format: "human", ...flags })).rejects.toThrow(text);
  });
});
