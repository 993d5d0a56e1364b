/**
 * Odd but valid projects must be checked without an internal error or a rule crash, and broken
 * ones must fail with a UserError that names the file. These are the shapes real projects we
 * have not seen are likely to have.
 */
import { afterAll, describe, expect, it } from "vitest";
import { runCheck } from "../../src/check/index.js";
import { UserError } from "../../src/errors.js";
import { nodePlatform } from "../../src/platform/index.js";
import { cleanupProjects, writeProject } from "../helpers/project.js";

afterAll(() => cleanupProjects());
const platform = { ...nodePlatform(), environ: {} };
const NOW = new Date("2026-11-27T00:00:00Z");

function check(files: Record<string, string>) {
  return runCheck(platform, { dir: writeProject(files), now: NOW, noConfig: true, failOn: "never" });
}

const ODD: Record<string, Record<string, string>> = {
  "empty folder": {},
  "empty compose file": { "prod.yaml": "" },
  "services: null": { "prod.yaml": "services:\n" },
  "a service that is null": { "prod.yaml": "services:\n  odoo:\n" },
  "compose file format 1 (services at the top level)": { "docker-compose.yml": "odoo:\n  image: odoo:8.0\n  ports: ['8069:8069']\n" },
  "numbers, booleans and nulls where strings are expected": {
    "prod.yaml": `services:
  odoo:
    image: odoo:17
    environment: {LIST_DB: true, WORKERS: 4, EMPTY: null, PROXY_MODE: 1}
    labels: {traefik.enable: true, traefik.port: 8069}
    command: 12345
    ports: [8069, "8072:8072/udp", {target: 9000}]
    mem_limit: 2147483648
    cpus: "1.5"
    restart: no
`,
  },
  "odd port and volume syntaxes": {
    "prod.yaml": `services:
  odoo:
    build: ./odoo
    ports: ["[::1]:8069:8069", "0.0.0.0:8072:8072", "9000-9001:9000-9001", "127.0.0.1::8069"]
    volumes: ["/data", "./x:/y:ro", {type: tmpfs, target: /tmp}, "named:/var/lib/odoo:z"]
  db:
    image: postgres
    ports: ["5432"]
volumes: {named: {}}
`,
  },
  "garbage in labels and command": {
    "prod.yaml": `services:
  odoo:
    build: ./odoo
    command: ["odoo", "--workers", "--max-cron-threads=abc", "--limit-memory-hard=", "--unknown-flag", "-c"]
    labels:
      - "traefik.http.routers.x.rule=Host(\`a\`) && (PathPrefix(\`/web\`"
      - "traefik.frontend.rule=Host:;PathPrefix:"
      - "traefik.http.services.x.loadbalancer.server.port=not-a-number"
      - novalue
`,
    "odoo/Dockerfile": "FROM ghcr.io/tecnativa/doodba:${ODOO_VERSION}-onbuild\n",
  },
  "conf.d with garbage values and unexpanded variables": {
    "prod.yaml": "services:\n  odoo:\n    build: ./odoo\n",
    "odoo/custom/conf.d/odoo.conf": "[options]\nworkers = $WORKERS\nlimit_memory_soft = lots\ndb_maxconn =\n  continued\nno equals sign here\n[other]\nx = 1\n",
    "odoo/custom/src/addons.yaml": "---\n---\nweb: '*'\nONLY: {X: yes}\n",
    "odoo/custom/src/repos.yaml": "odoo: {}\nweb:\n  merges: [justonetoken, {remote: oca, ref: x}]\n",
  },
  "traefik toml and nginx configs that do not parse": {
    "prod.yaml": "services:\n  odoo:\n    build: ./odoo\n  nginx:\n    image: nginx:1.27\n    volumes: ['./nginx/odoo.conf:/etc/nginx/conf.d/default.conf:ro']\n",
    "nginx/odoo.conf": "server { listen 80; location / { proxy_pass http://odoo:8069; \n",
    "traefik.toml": "[entryPoints\n",
  },
  "only odoo/custom (an overlay repository)": { "odoo/custom/conf.d/00.conf": "[options]\nworkers = 2\n" },
};

describe("odd but valid projects", () => {
  it.each(Object.entries(ODD))("%s: no internal error, no rule crash", (_name, files) => {
    const report = check(files);
    expect(report.ruleErrors).toEqual([]);
    expect(report.exitCode).toBe(0);
  });
});

describe("broken projects fail with a UserError naming the file", () => {
  const BROKEN: Record<string, [Record<string, string>, string]> = {
    "tab-indented YAML": [{ "prod.yaml": "services:\n\todoo:\n\t\timage: x\n" }, "prod.yaml"],
    "duplicate key with invalid YAML in addons.yaml": [{ "prod.yaml": "services: {}\n", "odoo/custom/src/addons.yaml": "web: [a\n" }, "odoo/custom/src/addons.yaml"],
    "services is a list": [{ "prod.yaml": "services:\n  - odoo\n  - db\n" }, "prod.yaml"],
    "bad .env line": [{ ".env": "THIS IS NOT\n", "prod.yaml": "services: {}\n" }, ".env"],
    "unclosed interpolation": [{ "prod.yaml": "services:\n  odoo:\n    image: odoo:${TAG\n" }, "prod.yaml"],
  };
  it.each(Object.entries(BROKEN))("%s", (_name, [files, file]) => {
    let err: unknown;
    try {
      check(files);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserError);
    const u = err as UserError;
    expect(`${u.pos?.file ?? ""} ${u.message}`).toContain(file);
  });
});
