import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { UserError } from "../../../src/errors.js";
import { YamlEditor } from "../../../src/tune/yaml-edit.js";

const PROD = `# Production
version: "2.4"

services:
  odoo:
    extends:
      file: common.yaml
      service: odoo
    # keep this comment
    command: [odoo, --workers=0]
    environment:
      DOODBA_ENVIRONMENT: "\${DOODBA_ENVIRONMENT-prod}"
      INITIAL_LANG: "en_US" # inline comment
    labels:
      traefik.rule: Host(\`erp.example.com\`) && PathPrefix(\`/web\`,
        \`/website\`)

  db:
    image: postgres:16
    environment:
      CONF_EXTRA: |
        work_mem = 32MB
        max_connections = 200
    ports:
      - "127.0.0.1:5432:5432"

volumes:
  filestore:
`;

describe("YamlEditor", () => {
  it("GIVEN new keys in a service WHEN rendered THEN they are appended at the service's indentation and nothing else changes", () => {
    const e = new YamlEditor(PROD, "prod.yaml");
    e.set(["services", "odoo", "mem_limit"], "5376m");
    e.set(["services", "odoo", "cpus"], 3);
    const out = e.result();
    expect(out).toContain('      `/website`)\n    mem_limit: 5376m\n    cpus: 3\n\n  db:');
    // every original line is still there, in order
    const rest = out.replace("    mem_limit: 5376m\n    cpus: 3\n", "");
    expect(rest).toBe(PROD);
  });

  it("GIVEN a flow command WHEN an item changes and one is appended THEN only those bytes change", () => {
    const e = new YamlEditor(PROD, "prod.yaml");
    e.setSequence(["services", "odoo", "command"], ["odoo", "--workers=5", "--max-cron-threads=0"]);
    const out = e.result();
    expect(out).toContain("    command: [odoo, --workers=5, --max-cron-threads=0]\n");
    expect(out.replace("[odoo, --workers=5, --max-cron-threads=0]", "[odoo, --workers=0]")).toBe(PROD);
  });

  it("GIVEN a block literal WHEN replaced THEN it stays a block literal at its indentation", () => {
    const e = new YamlEditor(PROD, "prod.yaml");
    e.set(["services", "db", "environment", "CONF_EXTRA"], "work_mem = 4MB\nmax_connections = 140\nshared_buffers = 1GB\n");
    const out = e.result();
    expect(out).toContain("      CONF_EXTRA: |\n        work_mem = 4MB\n        max_connections = 140\n        shared_buffers = 1GB\n    ports:");
    expect(parse(out).services.db.environment.CONF_EXTRA).toBe("work_mem = 4MB\nmax_connections = 140\nshared_buffers = 1GB\n");
  });

  it("GIVEN nested keys that do not exist WHEN set twice THEN one block is added with both", () => {
    const e = new YamlEditor(PROD, "prod.yaml");
    e.set(["services", "db", "deploy", "resources", "limits", "memory"], "2048m");
    e.set(["services", "db", "deploy", "resources", "limits", "cpus"], "2");
    const out = e.result();
    expect(out).toContain('      - "127.0.0.1:5432:5432"\n    deploy:\n      resources:\n        limits:\n          memory: 2048m\n          cpus: "2"\n\nvolumes:');
  });

  it("GIVEN a value equal to the file's WHEN set THEN nothing changes", () => {
    const e = new YamlEditor(PROD, "prod.yaml");
    e.set(["services", "odoo", "environment", "INITIAL_LANG"], "en_US");
    e.setSequence(["services", "odoo", "command"], ["odoo", "--workers=0"]);
    expect(e.changed).toBe(false);
    expect(e.result()).toBe(PROD);
  });

  it("GIVEN a quoted scalar WHEN replaced THEN the quote style is kept and the inline comment too", () => {
    const e = new YamlEditor(PROD, "prod.yaml");
    e.set(["services", "odoo", "environment", "INITIAL_LANG"], "fr_FR");
    expect(e.result()).toContain('      INITIAL_LANG: "fr_FR" # inline comment\n');
  });

  it("GIVEN a 4-space file with unindented lists WHEN a list is added THEN it follows the file's style", () => {
    const text = "services:\n    odoo:\n        image: x\n        ports:\n        - 80:80\n";
    const e = new YamlEditor(text, "prod.yaml");
    e.set(["services", "db", "command"], ["postgres", "-c", "max_connections=140"]);
    expect(e.result()).toBe(text + "    db:\n        command:\n        - postgres\n        - -c\n        - max_connections=140\n");
  });

  it("GIVEN a new service and a new key of the last service WHEN rendered THEN the service's key comes first", () => {
    const text = "services:\n  odoo:\n    image: x\n";
    const e = new YamlEditor(text, "prod.yaml");
    e.set(["services", "odoo-cron"], { image: "x", command: ["odoo", "--no-http"] }, "cron-only instance");
    e.set(["services", "odoo", "mem_limit"], "1g");
    expect(e.result()).toBe("services:\n  odoo:\n    image: x\n    mem_limit: 1g\n  # cron-only instance\n  odoo-cron:\n    image: x\n    command:\n      - odoo\n      - --no-http\n");
  });

  it("GIVEN an anchored value other values use WHEN changed THEN it refuses", () => {
    const text = "services:\n  a:\n    mem_limit: &m 1g\n  b:\n    mem_limit: *m\n";
    const e = new YamlEditor(text, "prod.yaml");
    expect(() => e.set(["services", "a", "mem_limit"], "2g")).toThrow(UserError);
  });

  it("GIVEN invalid YAML THEN a UserError names the file", () => {
    expect(() => new YamlEditor("services:\n  odoo: [\n", "prod.yaml")).toThrow(/prod.yaml is not valid YAML/);
  });

  it("GIVEN a shell-form command WHEN changed THEN it stays a string", () => {
    const text = "services:\n  odoo:\n    command: odoo --workers=0 --limit-time-real=60\n";
    const e = new YamlEditor(text, "prod.yaml");
    e.setSequence(["services", "odoo", "command"], ["odoo", "--workers=5", "--limit-time-real=1200"]);
    expect(e.result()).toBe("services:\n  odoo:\n    command: odoo --workers=5 --limit-time-real=1200\n");
  });

  it("GIVEN a block list WHEN items are appended THEN they are added after the last item", () => {
    const text = "services:\n  db:\n    command:\n      - postgres # the server\n      - -c\n      - max_connections=200\n    restart: always\n";
    const e = new YamlEditor(text, "prod.yaml");
    e.setSequence(["services", "db", "command"], ["postgres", "-c", "max_connections=140", "-c", "work_mem=4MB"]);
    expect(e.result()).toBe("services:\n  db:\n    command:\n      - postgres # the server\n      - -c\n      - max_connections=140\n      - -c\n      - work_mem=4MB\n    restart: always\n");
  });
});

describe("YamlEditor: list items that start with a dash", () => {
  it("GIVEN a block list whose items are flags THEN appended items align with the list's dashes", () => {
    const text = "services:\n  odoo:\n    command:\n      - odoo\n      - -i strohm_addon\n\n  db:\n    image: x\n";
    const e = new YamlEditor(text, "devel.yaml");
    e.setSequence(["services", "odoo", "command"], ["odoo", "-i strohm_addon", "--max-cron-threads=0"]);
    expect(e.result()).toBe("services:\n  odoo:\n    command:\n      - odoo\n      - -i strohm_addon\n      - --max-cron-threads=0\n\n  db:\n    image: x\n");
  });
});
