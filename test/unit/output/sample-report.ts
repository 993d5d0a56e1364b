/** A check report built through the real runCheck over a small in-memory project, for the renderer tests. */
import { runCheck } from "../../../src/check/index.js";
import type { CheckReport, CheckRunOptions } from "../../../src/check/index.js";
import type { Rule } from "../../../src/check/types.js";
import { DIR, at, envRule, fakePlatform, fakeProject, memFs, projectRule } from "../check/fake-project.js";

export const SAMPLE_RULES: Rule[] = [
  envRule("list-db-enabled", () => [{ ...at('LIST_DB is "true" on service odoo', "prod.yaml", 12, 7), fix: 'Set LIST_DB: "false" on odoo.' }], {
    severity: "error",
    title: "Database manager listing enabled",
    why: "Anyone who reaches /web/database/manager sees every database name.",
    fix: 'Set LIST_DB: "false".',
    appliesTo: { envs: ["prod"] },
  }),
  envRule("image-unpinned", () => [at("Image postgres has no tag <latest> & will drift", "common.yaml", 30, 12)], {
    category: "reliability",
    severity: "warning",
    title: "Image not pinned",
  }),
  envRule(
    "workers-zero",
    (env) => {
      if (env.name === "test") throw new Error("boom <here>");
      return env.name === "prod" ? [at("workers=0 on odoo", "odoo/custom/conf.d/20-workers.conf", 2, 1)] : [];
    },
    { category: "performance", severity: "warning", appliesTo: { envs: ["any-non-devel"], odoo: ">=8" } },
  ),
  projectRule("no-backup", () => [{ message: "No backup service in any environment" }], {
    category: "reliability",
    severity: "info",
  }),
  envRule("secret-inline", () => [at("PGPASSWORD is written in devel.yaml", "devel.yaml", 5, 7)], {
    appliesTo: { envs: ["devel"] },
  }),
];

export const SAMPLE_FILES: Record<string, string> = {
  "devel.yaml": "services:\n  odoo:\n    environment:\n      # doodba-ops: ignore[secret-inline] -- devel only\n      PGPASSWORD: x\n      # doodba-ops: ignore[not-a-rule]\n",
  "prod.yaml": "services:\n",
};

export function sampleReport(opts: Partial<CheckRunOptions> = {}): CheckReport {
  return runCheck(fakePlatform(memFs(SAMPLE_FILES)), {
    dir: DIR,
    now: new Date("2026-01-15T00:00:00Z"),
    rules: SAMPLE_RULES,
    load: (_d, o) => {
      const p = fakeProject({ envs: o.envs ?? ["devel", "test", "prod"], odooMajor: 17 });
      p.diagnostics.push({ level: "warning", message: "env_file .docker/odoo.env is missing", pos: { file: "prod.yaml", line: 3, col: 5 } });
      return p;
    },
    ...opts,
  });
}

/** A report without any finding. */
export function cleanReport(): CheckReport {
  return runCheck(fakePlatform(memFs({})), {
    dir: DIR,
    now: new Date("2026-01-15T00:00:00Z"),
    rules: [envRule("a", () => []), envRule("b", () => [])],
    load: () => fakeProject({ envs: ["devel", "prod"] }),
  });
}
