import { describe, expect, it } from "vitest";
import {
  closest,
  closestKnownOption,
  editDistance,
  judgeOptionKey,
  versionAllows,
} from "../../../src/check/rules/maintainability/unknown-odoo-option.js";
import { checkOdooArgv } from "../../../src/check/rules/maintainability/unknown-odoo-flag.js";

describe("judgeOptionKey", () => {
  it("GIVEN Odoo 17 option keys WHEN judged THEN known, whatever the case", () => {
    for (const k of ["workers", "limit_memory_hard", "db_maxconn_gevent", "gevent_port", "Workers", "dev_mode", "server_wide_modules"]) {
      expect(judgeOptionKey(k, 17), k).toEqual({ kind: "known" });
    }
  });

  it("GIVEN a typo WHEN judged THEN unknown with the option it resembles", () => {
    expect(judgeOptionKey("worker", 17)).toEqual({ kind: "unknown", suggestion: "workers" });
    expect(judgeOptionKey("limit_memory_hard_", 17)).toEqual({ kind: "unknown", suggestion: "limit_memory_hard" });
    expect(judgeOptionKey("limit-time-real", 16)).toEqual({ kind: "unknown", suggestion: "limit_time_real" });
    expect(judgeOptionKey("max_cron_thread", undefined)).toEqual({ kind: "unknown", suggestion: "max_cron_threads" });
  });

  it("GIVEN a key nothing resembles WHEN judged THEN unknown without a suggestion", () => {
    expect(judgeOptionKey("thai_font_path", 14)).toEqual({ kind: "unknown", suggestion: undefined });
  });

  it("GIVEN well-known OCA addon keys WHEN judged THEN addon options", () => {
    expect(judgeOptionKey("running_env", 17)).toMatchObject({ kind: "addon" });
    expect(judgeOptionKey("auth_admin_passkey_password", 14)).toMatchObject({ kind: "addon" });
    expect(judgeOptionKey("sentry_dsn", 16)).toMatchObject({ kind: "addon", addon: "OCA sentry" });
  });

  it("GIVEN keys of other versions WHEN judged THEN reported only where the version rules them out", () => {
    expect(judgeOptionKey("timezone", 18)).toMatchObject({ kind: "other-version" });
    expect(judgeOptionKey("geoip_database", 17)).toMatchObject({ kind: "other-version" });
    expect(judgeOptionKey("geoip_database", 16)).toEqual({ kind: "known" });
    expect(judgeOptionKey("limit_time_worker_cron", 17)).toMatchObject({ kind: "other-version" });
    expect(judgeOptionKey("limit_time_worker_cron", 18)).toEqual({ kind: "known" });
    expect(judgeOptionKey("osv_memory_age_limit", 12)).toEqual({ kind: "known" });
    expect(judgeOptionKey("osv_memory_age_limit", 17)).toMatchObject({ kind: "other-version" });
    expect(judgeOptionKey("timezone", undefined)).toEqual({ kind: "known" });
  });

  it("GIVEN names Odoo still maps when reading odoo.conf WHEN judged on 17 THEN known", () => {
    for (const k of ["xmlrpc_port", "xmlrpc_interface", "xmlrpc", "longpolling_port"]) {
      expect(judgeOptionKey(k, 17), k).toEqual({ kind: "known" });
    }
  });
});

describe("versionAllows", () => {
  it("GIVEN bounds WHEN checked THEN >= is exact and <= is only trusted from 17 on", () => {
    expect(versionAllows(">=18", 17)).toBe(false);
    expect(versionAllows(">=18", 18)).toBe(true);
    expect(versionAllows("<=9", 18)).toBe(false);
    expect(versionAllows("<=16 (geoip_city_db in 17+)", 17)).toBe(false);
    expect(versionAllows("<=9", 12)).toBeUndefined();
    expect(versionAllows("all", 17)).toBeUndefined();
  });
});

describe("closest / editDistance", () => {
  it("GIVEN words WHEN measured THEN Levenshtein distance", () => {
    expect(editDistance("worker", "workers")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(editDistance("", "abc")).toBe(3);
  });

  it("GIVEN a short word WHEN matched THEN only one edit away counts", () => {
    expect(closest("lod", ["load", "log"])).toBe("load");
    expect(closest("abc", ["xyz"])).toBeUndefined();
    expect(closest("limit_memory_hrad", ["limit_memory_hard", "limit_memory_soft"])).toBe("limit_memory_hard");
  });

  it("GIVEN a hyphenated config key WHEN matched THEN the underscore spelling", () => {
    expect(closestKnownOption("db-maxconn")).toBe("db_maxconn");
  });
});

describe("checkOdooArgv", () => {
  it("GIVEN the doodba devel command WHEN checked THEN nothing", () => {
    const argv = ["odoo", "--limit-memory-soft=0", "--limit-time-real-cron=9999999", "--limit-time-real=9999999", "--workers=0", "--dev=reload,qweb,werkzeug,xml"];
    expect(checkOdooArgv(argv, 17)).toEqual([]);
  });

  it("GIVEN an abbreviation WHEN checked THEN reported with the flag optparse picks", () => {
    expect(checkOdooArgv(["odoo", "--worker=2"], 17)).toEqual([{ index: 1, flag: "--worker", kind: "abbreviation", candidates: ["--workers"] }]);
  });

  it("GIVEN an abbreviation without = WHEN checked THEN its value is not taken for a flag", () => {
    expect(checkOdooArgv(["odoo", "--worker", "2", "--max-cron-threads", "1"], 17)).toHaveLength(1);
  });

  it("GIVEN an ambiguous prefix WHEN checked THEN reported with the candidates", () => {
    const [p] = checkOdooArgv(["odoo", "--limit-memory=1"], 17);
    expect(p).toMatchObject({ kind: "ambiguous", candidates: ["--limit-memory-hard", "--limit-memory-soft"] });
  });

  it("GIVEN a config-key spelling WHEN checked on 17 THEN unknown with the real flag", () => {
    expect(checkOdooArgv(["odoo", "--proxy_mode"], 17)).toEqual([{ index: 1, flag: "--proxy_mode", kind: "unknown", candidates: ["--proxy-mode"] }]);
  });

  it("GIVEN flags only (appended to CMD), short flags and hidden aliases WHEN checked THEN nothing", () => {
    expect(checkOdooArgv(["--workers=2", "-d", "prod", "-uall", "--xmlrpc-port", "8069", "--no-xmlrpc", "--help"], 17)).toEqual([]);
  });

  it("GIVEN an unknown short flag WHEN checked on 17 THEN reported", () => {
    expect(checkOdooArgv(["odoo", "-x"], 17)).toMatchObject([{ flag: "-x", kind: "unknown" }]);
  });

  it("GIVEN other programs or subcommands WHEN checked THEN skipped", () => {
    expect(checkOdooArgv(["click-odoo-update", "--watcher-max-seconds", "600"], 17)).toEqual([]);
    expect(checkOdooArgv(["odoo", "shell", "--foo"], 17)).toEqual([]);
    expect(checkOdooArgv(["/bin/sh", "-c", "odoo --worker=2"], 17)).toEqual([]);
    expect(checkOdooArgv(["odoo", "server", "--worker=2"], 17)).toHaveLength(1);
  });

  it("GIVEN an Odoo 18 flag WHEN checked on 17 THEN other-version; on 18 THEN nothing", () => {
    expect(checkOdooArgv(["odoo", "--limit-time-worker-cron=60"], 17)).toMatchObject([{ kind: "other-version" }]);
    expect(checkOdooArgv(["odoo", "--limit-time-worker-cron=60"], 18)).toEqual([]);
  });

  it("GIVEN an old version WHEN checked THEN only near-misses of a known flag are reported", () => {
    expect(checkOdooArgv(["odoo", "--debug", "--test-commit"], 9)).toEqual([]);
    expect(checkOdooArgv(["odoo", "--workerz=2"], 12)).toMatchObject([{ kind: "unknown", candidates: ["--workers"] }]);
  });
});
