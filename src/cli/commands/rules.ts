import { UserError } from "../../errors.js";
import type { Platform } from "../../platform/index.js";
import { allRules } from "../../check/registry.js";
import { renderRulesMarkdown, renderRulesTable } from "../../check/docs.js";
import { stableJson } from "../output/common.js";

const CATEGORIES = ["security", "reliability", "performance", "maintainability"];

export async function rulesCommand(platform: Platform, opts: { format: string; category?: string }): Promise<number> {
  if (opts.category && !CATEGORIES.includes(opts.category)) {
    throw new UserError(`Unknown category "${opts.category}"`, { hint: `Categories: ${CATEGORIES.join(", ")}.` });
  }
  const rules = allRules.filter((r) => !opts.category || r.category === opts.category);
  let out: string;
  if (opts.format === "markdown") out = renderRulesMarkdown(rules);
  else if (opts.format === "json") {
    out = stableJson(
      rules.map((r) => ({ id: r.id, category: r.category, severity: r.severity, scope: r.scope, title: r.title, why: r.why, fix: r.fix, appliesTo: r.appliesTo })),
    );
  } else out = renderRulesTable(rules, { color: platform.isTTY && !process.env.NO_COLOR });
  platform.stdout(out.endsWith("\n") ? out : `${out}\n`);
  return 0;
}
