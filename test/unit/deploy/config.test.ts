import { describe, expect, it } from "vitest";
import { parseCheckConfig } from "../../../src/check/config.js";
import { parseDeployConfig } from "../../../src/deploy/config.js";
import { UserError } from "../../../src/errors.js";

const FULL = `check:
  fail-on: warning
deploy:
  update: sale,stock
  update-command: click-odoo-update --watcher-max-seconds 600
  strategy: zero-downtime
  backup: auto
  restore-on-failure: true
  health:
    path: /web/health?db_server_status=1
    timeout: 120
  proxy:
    host: erp.example.com
  smoke:
    - path: /web/login
      contains: Odoo
    - path: /web/database/manager
      status: 403
  swarm:
    endpoint-mode: dnsrr
    monitor: 30
`;

function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error("no error thrown");
}

describe("deploy config (.doodba-ops.yaml deploy:)", () => {
  it("GIVEN every deploy key WHEN parsing THEN each is typed, and check's loader accepts the same file", () => {
    const c = parseDeployConfig(FULL);
    expect(c).toMatchObject({
      update: ["sale", "stock"],
      updateCommand: ["click-odoo-update", "--watcher-max-seconds", "600"],
      strategy: "zero-downtime",
      backup: "auto",
      restoreOnFailure: true,
      healthPath: "/web/health?db_server_status=1",
      healthTimeout: 120,
      proxyHost: "erp.example.com",
      swarmEndpointMode: "dnsrr",
      swarmMonitor: 30,
    });
    expect(c.smoke).toEqual([
      { path: "/web/login", status: 200, contains: "Odoo" },
      { path: "/web/database/manager", status: 403 },
    ]);
    expect(parseCheckConfig(FULL).failOn).toBe("warning");
  });

  it("GIVEN no deploy section WHEN parsing THEN the defaults apply", () => {
    expect(parseDeployConfig("check:\n  fail-on: error\n")).toMatchObject({ healthPath: "/web/health", healthTimeout: 300, smoke: [] });
  });

  it("GIVEN a typo in a key WHEN parsing THEN a UserError points at its line and lists the valid keys", () => {
    const e = userError(() => parseDeployConfig("deploy:\n  smoke:\n    - path: /\n      statuz: 200\n"));
    expect(e.message).toBe('Unknown key "statuz" in deploy.smoke[0]');
    expect(e.pos).toEqual({ file: ".doodba-ops.yaml", line: 4, col: 7 });
    expect(e.hint).toContain("status");
  });

  it("GIVEN bad values WHEN parsing THEN each is refused with its place", () => {
    expect(userError(() => parseDeployConfig("deploy:\n  strategy: blue-green\n")).hint).toBe("Valid values: auto | recreate | zero-downtime.");
    expect(userError(() => parseDeployConfig("deploy:\n  smoke:\n    - path: web/login\n")).message).toMatch(/must be a URL path/);
    expect(userError(() => parseDeployConfig("deploy:\n  smoke:\n    - path: /\n      status: 999\n")).message).toMatch(/HTTP status/);
    expect(userError(() => parseDeployConfig("deploy:\n  health:\n    timeout: -1\n")).pos?.line).toBe(3);
    expect(userError(() => parseDeployConfig("deploy:\n  restore-on-failure: yes please\n")).message).toMatch(/true or false/);
  });
});
