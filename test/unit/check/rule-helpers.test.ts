import { describe, expect, it } from "vitest";
import { composeFilesOf, extendedFiles, topLevelVersion } from "../../../src/check/rules/maintainability/compose-version-obsolete.js";
import { isCodeTarget } from "../../../src/check/rules/maintainability/dev-mode-in-prod.js";
import { debugHandlers } from "../../../src/check/rules/maintainability/log-level-debug-in-prod.js";
import { majorOf } from "../../../src/check/rules/maintainability/odoo-version-mismatch.js";
import { shmSize } from "../../../src/check/rules/performance/db-shm-too-small.js";

describe("extendedFiles", () => {
  it("GIVEN block and flow extends WHEN scanned THEN their file values", () => {
    const text = [
      "services:",
      "  odoo:",
      "    extends:",
      "      service: odoo",
      "      file: common.yaml",
      "    env_file: .docker/odoo.env",
      "  db:",
      "    extends: {file: ./base/db.yml, service: db}",
      "secrets:",
      "  key:",
      "    file: ./secret.txt",
    ].join("\n");
    expect(extendedFiles(text)).toEqual(["common.yaml", "./base/db.yml"]);
  });
});

describe("composeFilesOf", () => {
  it("GIVEN prod.yaml extending common.yaml which extends base.yaml WHEN followed THEN all three once", () => {
    const files: Record<string, string> = {
      "prod.yaml": "services:\n  odoo:\n    extends:\n      file: common.yaml\n      service: odoo\n",
      "common.yaml": "services:\n  odoo:\n    extends: {file: base.yaml, service: odoo}\n  db:\n    extends:\n      file: common.yaml\n      service: x\n",
      "base.yaml": "services:\n  odoo:\n    image: odoo\n",
    };
    expect(composeFilesOf(["prod.yaml"], (f) => files[f])).toEqual(["prod.yaml", "common.yaml", "base.yaml"]);
  });

  it("GIVEN a missing extended file WHEN followed THEN it is skipped", () => {
    expect(composeFilesOf(["prod.yaml"], (f) => (f === "prod.yaml" ? "services:\n  a:\n    extends: {file: gone.yaml}\n" : undefined))).toEqual(["prod.yaml"]);
  });
});

describe("topLevelVersion", () => {
  it("GIVEN a top-level version key WHEN found THEN its line, unquoted value", () => {
    expect(topLevelVersion('# comment\nversion: "2.4"\nservices: {}\n', "prod.yaml")).toEqual({ value: "2.4", pos: { file: "prod.yaml", line: 2, col: 1 } });
  });

  it("GIVEN version only inside a service WHEN searched THEN nothing", () => {
    expect(topLevelVersion("services:\n  odoo:\n    labels:\n      version: 1\n", "prod.yaml")).toBeUndefined();
  });
});

describe("isCodeTarget", () => {
  it("GIVEN mount targets WHEN judged THEN code folders, their parents and children count", () => {
    for (const t of ["/opt/odoo/custom", "/opt/odoo/custom/", "/opt/odoo/custom/src", "/opt/odoo/custom/src/private", "/opt/odoo/auto", "/opt/odoo/auto/addons"]) {
      expect(isCodeTarget(t), t).toBe(true);
    }
    for (const t of ["/var/lib/odoo", "/opt/odoo/custom/conf.d", "/opt/odoo/backups", "/opt", "/"]) {
      expect(isCodeTarget(t), t).toBe(false);
    }
  });
});

describe("debugHandlers", () => {
  it("GIVEN log handler values WHEN scanned THEN only broad DEBUG handlers", () => {
    expect(debugHandlers(":DEBUG")).toEqual([":DEBUG"]);
    expect(debugHandlers("odoo.sql_db:DEBUG,werkzeug:CRITICAL")).toEqual(["odoo.sql_db:DEBUG"]);
    expect(debugHandlers("['odoo.addons.acme:DEBUG', ':INFO']")).toEqual([]);
    expect(debugHandlers(":INFO")).toEqual([]);
  });
});

describe("majorOf", () => {
  it("GIVEN version spellings WHEN read THEN the major", () => {
    expect(majorOf("17.0")).toBe(17);
    expect(majorOf("17.0-onbuild")).toBe(17);
    expect(majorOf("11")).toBe(11);
    expect(majorOf(16)).toBe(16);
    expect(majorOf("latest")).toBeUndefined();
    expect(majorOf("2024.06.01")).toBeUndefined();
    expect(majorOf(undefined)).toBeUndefined();
  });
});

describe("shmSize", () => {
  it("GIVEN shm_size WHEN read THEN bytes", () => {
    expect(shmSize({ shm_size: "4gb" }, [])).toBe(4 * 1024 ** 3);
    expect(shmSize({ shm_size: 536870912 }, [])).toBe(536870912);
    expect(shmSize({ shm_size: "${SHM}" }, [])).toBeNull();
  });

  it("GIVEN a tmpfs on /dev/shm WHEN read THEN its size, or unknown without one", () => {
    const vols = [{ type: "tmpfs", target: "/dev/shm" }];
    expect(shmSize({ volumes: [{ type: "tmpfs", target: "/dev/shm", tmpfs: { size: "1g" } }] }, vols)).toBe(1024 ** 3);
    expect(shmSize({ volumes: [{ type: "tmpfs", target: "/dev/shm" }] }, vols)).toBeNull();
    expect(shmSize({ tmpfs: ["/dev/shm:size=512m"] }, [])).toBe(512 * 1024 ** 2);
  });

  it("GIVEN nothing WHEN read THEN undefined (Docker's 64 MB)", () => {
    expect(shmSize({}, [])).toBeUndefined();
  });
});
