import { UserError } from "../../errors.js";
import type { Platform } from "../../platform/index.js";
import { runCheck } from "../../check/index.js";
import { loadProject } from "../../project/index.js";
import { renderReport } from "../output/index.js";
import type { CheckCliOptions } from "../main.js";

export async function checkCommand(platform: Platform, dir: string, opts: CheckCliOptions): Promise<number> {
  if (opts.env && opts.file) {
    throw new UserError("--env and --file cannot be combined", { hint: "Use --env for a project environment, or --file for an explicit list of compose files." });
  }
  const report = runCheck(platform, {
    dir,
    envs: opts.env,
    // -f: one environment made of the given compose files (engine then checks project.envNames)
    load: opts.file ? (d, o) => loadProject(d, { platform: o.platform, files: opts.file }) : undefined,
    only: opts.rule,
    skip: opts.skip,
    failOn: opts.failOn,
    noConfig: !opts.config,
  });
  const out = renderReport(report, opts.format, {
    color: opts.color && platform.isTTY && !process.env.NO_COLOR && !opts.output,
    displayDir: dir,
  });
  if (opts.output) {
    await platform.fs.writeText(opts.output, out.endsWith("\n") ? out : `${out}\n`);
    platform.stderr(`doodba-ops: report written to ${opts.output}\n`);
  } else platform.stdout(out.endsWith("\n") ? out : `${out}\n`);
  return report.exitCode;
}
