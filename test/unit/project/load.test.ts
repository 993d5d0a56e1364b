import { afterAll, describe, expect, it } from "vitest";
import { UserError } from "../../../src/errors.js";
import { cleanupProjects, loadFiles, writeProject } from "../../helpers/project.js";
import { loadProject } from "../../../src/project/index.js";

afterAll(() => cleanupProjects());

const DOCKERFILE = "FROM ghcr.io/tecnativa/doodba:17.0-onbuild\n";
const COMMON = `services:
  odoo:
    build:
      context: ./odoo
      args:
        ODOO_VERSION: "17.0"
    environment:
      EMAIL_FROM: "odoo@example.com"
      PGDATABASE: prod
      LIST_DB: "false"
    labels:
      - "a=1"
  db:
    image: ghcr.io/tecnativa/postgres-autoconf:15-alpine
    volumes:
      - db:/var/lib/postgresql/data:z
`;

function thrown(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error("expected a UserError");
}

describe("loadProject: compose semantics", () => {
  it("resolves extends from another file and merges maps, lists and scalars like Compose", () => {
    const p = loadFiles({
      "odoo/Dockerfile": DOCKERFILE,
      "common.yaml": COMMON,
      ".env": "DOMAIN=erp.example.com\n",
      "prod.yaml": `services:
  odoo:
    extends:
      file: common.yaml
      service: odoo
    restart: unless-stopped
    environment:
      - LIST_DB=true
      - PROXY_MODE=true
    labels:
      b: "2"
      traefik.frontend.rule: "Host:\${DOMAIN}"
    ports:
      - "127.0.0.1:8069:8069"
      - target: 8072
        published: "8072"
    command: ["odoo", "--workers=3", "--max-cron-threads", "1"]
    depends_on: [db]
  db:
    extends:
      file: common.yaml
      service: db
volumes:
  db:
`,
    });
    const env = p.envs.prod!;
    const odoo = env.compose.services.odoo!;
    expect(odoo.environment).toMatchObject({ EMAIL_FROM: "odoo@example.com", LIST_DB: "true", PROXY_MODE: "true", PGDATABASE: "prod" });
    expect(odoo.labels).toEqual({ a: "1", b: "2", "traefik.frontend.rule": "Host:erp.example.com" });
    expect(odoo.build?.context).toBe("odoo");
    expect(odoo.ports).toMatchObject([
      { hostIp: "127.0.0.1", published: "8069", target: 8069, protocol: "tcp" },
      { published: "8072", target: 8072 },
    ]);
    expect(odoo.dependsOn.db?.condition).toBe("service_started");
    expect(env.compose.services.db!.volumes[0]).toMatchObject({ type: "volume", source: "db", target: "/var/lib/postgresql/data" });
    // positions: overriding value from prod.yaml, inherited value from common.yaml
    expect(env.compose.positions.exact(["services", "odoo", "environment", "LIST_DB"])).toEqual({ file: "prod.yaml", line: 8, col: 9 });
    expect(env.compose.positions.exact(["services", "odoo", "environment", "EMAIL_FROM"])).toMatchObject({ file: "common.yaml", line: 8 });
    // effective odoo.conf: env overrides doodba default, command overrides everything
    const cfg = env.odoo[0]!;
    expect(cfg.service).toBe("odoo");
    expect(cfg.options.list_db).toMatchObject({ value: "true", source: "environment" });
    expect(cfg.options.workers).toMatchObject({ value: "3", source: "command", pos: { file: "prod.yaml", line: 17 } });
    expect(cfg.options.max_cron_threads).toMatchObject({ value: "1", source: "command" });
    expect(cfg.options.admin_passwd).toMatchObject({ value: "admin", source: "doodba-default" });
    expect(cfg.options.limit_time_real).toMatchObject({ value: "120", source: "odoo-default" });
    expect(p.odooVersion).toMatchObject({ value: "17.0", major: 17, source: "dockerfile" });
  });

  it("resolves extends within the same file, with a string command split like a shell", () => {
    const p = loadFiles({
      "odoo/Dockerfile": DOCKERFILE,
      "prod.yaml": `services:
  base:
    build: ./odoo
    environment: { PROXY_MODE: "true" }
  odoo:
    extends: base
    command: odoo --workers 2 --no-database-list
`,
    });
    const cfg = p.envs.prod!.odoo.find((c) => c.service === "odoo")!;
    expect(cfg.options.workers?.value).toBe("2");
    expect(cfg.options.list_db).toMatchObject({ value: "False", source: "command" });
    expect(cfg.options.proxy_mode?.value).toBe("true");
  });

  it("reads env_file values (environment wins) and warns about missing env files", () => {
    const p = loadFiles({
      "odoo/Dockerfile": DOCKERFILE,
      ".docker/odoo.env": "ADMIN_PASSWORD=s3cret\nLIST_DB=true\n",
      "prod.yaml": `services:
  odoo:
    build: ./odoo
    env_file: [.docker/odoo.env, .docker/missing.env]
    environment:
      LIST_DB: "false"
`,
    });
    const odoo = p.envs.prod!.compose.services.odoo!;
    expect(odoo.environment).toMatchObject({ ADMIN_PASSWORD: "s3cret", LIST_DB: "false" });
    expect(p.envs.prod!.compose.positions.exact(["services", "odoo", "environment", "ADMIN_PASSWORD"])).toEqual({ file: ".docker/odoo.env", line: 1, col: 1 });
    expect(p.diagnostics.some((d) => d.level === "warning" && d.message.includes(".docker/missing.env"))).toBe(true);
  });

  it("merges several -f files into one environment", () => {
    const p = loadFiles(
      {
        "odoo/Dockerfile": DOCKERFILE,
        "a.yaml": "services:\n  odoo:\n    build: ./odoo\n    ports: ['8069:8069']\n    environment: {A: '1'}\n",
        "b.yaml": "services:\n  odoo:\n    ports: ['8072:8072']\n    environment: {B: '2'}\n    mem_limit: 2g\n",
      },
      { files: ["a.yaml", "b.yaml"] },
    );
    expect(p.envNames).toEqual(["a+b"]);
    const odoo = p.envs["a+b"]!.compose.services.odoo!;
    expect(odoo.ports.map((x) => x.target)).toEqual([8069, 8072]);
    expect(odoo.environment).toEqual({ A: "1", B: "2" });
    expect(odoo.memLimit).toBe(2 * 1024 ** 3);
  });

  it("uses .env for interpolation, overridden by the process environment", () => {
    const files = { ".env": "TAG=15\n", "prod.yaml": "services:\n  db:\n    image: postgres:${TAG}\n" };
    expect(loadFiles(files).envs.prod!.compose.services.db!.image).toBe("postgres:15");
    expect(loadFiles(files, { environ: { TAG: "16" } }).envs.prod!.compose.services.db!.image).toBe("postgres:16");
  });

  it("discovers environments in devel, test, prod order and skips docker-compose.yml symlinked to devel.yaml", () => {
    const p = loadFiles({
      "devel.yaml": "services: {}\n",
      "prod.yaml": "services: {}\n",
      "test.yaml": "services: {}\n",
      "staging.yaml": "services: {}\n",
      "common.yaml": "services: {}\n",
      ".pre-commit-config.yaml": "repos: []\n",
      "docker-compose.yml": "symlink:devel.yaml",
    });
    expect(p.envNames).toEqual(["devel", "test", "prod", "staging"]);
  });
});

describe("loadProject: errors name file, line and column", () => {
  it("YAML syntax error", () => {
    const e = thrown(() => loadFiles({ "prod.yaml": "services:\n  odoo:\n    image: [unclosed\n" }));
    expect(e.message).toMatch(/YAML syntax error in prod\.yaml/);
    expect(e.pos?.file).toBe("prod.yaml");
    expect(e.pos?.line).toBeGreaterThanOrEqual(3);
  });
  it("extends names a missing file", () => {
    const e = thrown(() => loadFiles({ "prod.yaml": "services:\n  odoo:\n    extends:\n      file: nope.yaml\n      service: odoo\n" }));
    expect(e.message).toContain("nope.yaml");
    expect(e.pos).toEqual({ file: "prod.yaml", line: 4, col: 13 });
  });
  it("extends names a missing service", () => {
    const e = thrown(() => loadFiles({ "common.yaml": "services:\n  db: {image: postgres:15}\n", "prod.yaml": "services:\n  odoo:\n    extends: {file: common.yaml, service: odoo}\n" }));
    expect(e.message).toContain('Service "odoo" not found in common.yaml');
    expect(e.hint).toContain("db");
  });
  it("circular extends", () => {
    const e = thrown(() => loadFiles({ "prod.yaml": "services:\n  a:\n    extends: b\n  b:\n    extends: a\n" }));
    expect(e.message).toMatch(/Circular extends/);
  });
  it("required variable unset", () => {
    const e = thrown(() => loadFiles({ "prod.yaml": "services:\n  odoo:\n    image: 'odoo:${TAG:?set TAG in .env}'\n" }));
    expect(e.message).toContain("set TAG in .env");
    expect(e.pos).toMatchObject({ file: "prod.yaml", line: 3 });
  });
  it("unknown environment lists the available ones", () => {
    const e = thrown(() => loadFiles({ "prod.yaml": "services: {}\n" }, { envs: ["staging"] }));
    expect(e.hint).toContain("prod");
  });
  it("missing project directory", () => {
    expect(() => loadProject("/nonexistent/doodba-project")).toThrow(UserError);
  });
});

describe("loadProject: Doodba files", () => {
  const dir = () =>
    writeProject({
      "odoo/Dockerfile": "ARG ODOO_VERSION=16.0\nFROM ghcr.io/tecnativa/doodba:${ODOO_VERSION}-onbuild\n",
      "odoo/custom/src/addons.yaml": `server-tools:
  - base_*
web: ["web_responsive"]
---
ONLY:
  PGDATABASE: [prod]
ENV:
  DEFAULT_REPO_PATTERN: "https://github.com/Example/{}.git"
sale-workflow: ["*"]
`,
      "odoo/custom/src/repos.yaml": `./odoo:
  defaults: {depth: 1}
  remotes:
    ocb: https://github.com/OCA/OCB.git
  target: ocb 16.0
  merges:
    - ocb 16.0
web:
  remotes: {oca: https://github.com/OCA/web.git}
  target: oca 16.0
  merges: [oca 16.0, "oca 1234567890abcdef1234567890abcdef12345678"]
  shell_command_after: ["git am ../patch"]
`,
      "odoo/custom/conf.d/10-perf.conf": "[options]\nworkers = $ODOO_WORKERS\nlimit_time_real = 600\nlimit_memory_soft = 700000000\n",
      "odoo/custom/conf.d/20-more.conf": "; no section header: continues [options]\ndb_maxconn = 8\nprice = $$5\n[queue_job]\nchannels = root:2\n",
      "prod.yaml": "services:\n  odoo:\n    build: ./odoo\n    environment: {ODOO_WORKERS: '5', PGDATABASE: prod}\n    command: [odoo, --limit-time-real=900]\n",
      "test.yaml": "services:\n  odoo:\n    build: ./odoo\n    environment: {PGDATABASE: test}\n",
      ".copier-answers.yml": "odoo_version: 16.0\nbackup_dst: s3://bucket\n",
    });
  it("parses addons.yaml documents with ONLY and ENV, applied per environment", () => {
    const p = loadProject(dir(), { environ: {} });
    expect(p.addons.documents).toHaveLength(2);
    expect(p.addons.documents[0]!.repos["server-tools"]).toMatchObject([{ pattern: "base_*", pos: { line: 2 } }]);
    expect(p.addons.documents[1]!.only).toEqual({ PGDATABASE: ["prod"] });
    expect(p.addons.documents[1]!.env.DEFAULT_REPO_PATTERN).toBe("https://github.com/Example/{}.git");
    expect(p.envs.prod!.addons).toHaveLength(2);
    expect(p.envs.test!.addons).toHaveLength(1);
  });
  it("parses repos.yaml in git-aggregator format", () => {
    const p = loadProject(dir(), { environ: {} });
    expect(p.repos.repos.web).toMatchObject({ target: "oca 16.0", remotes: { oca: "https://github.com/OCA/web.git" }, shellCommandAfter: ["git am ../patch"] });
    expect(p.repos.repos.web!.merges.map((m) => m.ref)).toEqual(["16.0", "1234567890abcdef1234567890abcdef12345678"]);
    expect(p.repos.repos["./odoo"]!.depth).toBe(1);
  });
  it("applies conf.d in name order with $VAR expansion, sections and positions, then command flags", () => {
    const p = loadProject(dir(), { environ: {} });
    const cfg = p.envs.prod!.odoo[0]!;
    expect(cfg.options.workers).toMatchObject({ value: "5", source: "conf.d", pos: { file: "odoo/custom/conf.d/10-perf.conf", line: 2, col: 1 } });
    expect(cfg.options.db_maxconn).toMatchObject({ value: "8", pos: { file: "odoo/custom/conf.d/20-more.conf", line: 2 } });
    expect(cfg.options.price?.value).toBe("$5");
    expect(cfg.options.channels).toBeUndefined();
    expect(cfg.options.limit_time_real).toMatchObject({ value: "900", source: "command" });
    // test env does not set ODOO_WORKERS: the template stays unexpanded, as doodba leaves it
    expect(p.envs.test!.odoo[0]!.options.workers?.value).toBe("$ODOO_WORKERS");
  });
  it("reads the Odoo version from the Dockerfile ARG and the answers file", () => {
    const p = loadProject(dir(), { environ: {} });
    expect(p.odooVersion).toMatchObject({ value: "16.0", major: 16, source: "dockerfile", pos: { file: "odoo/Dockerfile", line: 1 } });
    expect(p.answers?.data.backup_dst).toBe("s3://bucket");
    expect(p.answers?.positions.at(["backup_dst"])).toMatchObject({ line: 2 });
  });
});
