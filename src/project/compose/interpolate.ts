/**
 * Compose variable interpolation, as Docker Compose applies it to every string value:
 * `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`,
 * `${VAR:+alt}`, `${VAR+alt}`, and `$$` for a literal `$`. Defaults may themselves contain
 * interpolations (Compose v2 behaviour).
 */
import { UserError, type SourcePos } from "../../errors.js";
import type { LNode } from "./yaml.js";

export interface InterpolationContext {
  vars: Record<string, string | undefined>;
  /** Called once per variable that is used but not set (Compose warns and uses ""). */
  onUnset?: (name: string, pos?: SourcePos) => void;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function interpolateString(input: string, ctx: InterpolationContext, pos?: SourcePos): string {
  let out = "";
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = input[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
      continue;
    }
    if (next === "{") {
      const end = findClose(input, i + 2);
      if (end < 0) throw invalid(input, pos, "unclosed ${");
      out += expandBraced(input.slice(i + 2, end), input, ctx, pos);
      i = end + 1;
      continue;
    }
    const m = NAME.exec(input.slice(i + 1));
    if (m) {
      out += lookup(m[0], ctx, pos) ?? "";
      i += 1 + m[0].length;
      continue;
    }
    // A lone "$" followed by something that is not a name: Compose keeps it literally? No:
    // compose-go reports "invalid interpolation format". Be lenient at the end of a string.
    if (next === undefined) {
      out += "$";
      i++;
      continue;
    }
    throw invalid(input, pos, `"$" followed by "${next}"`);
  }
  return out;
}

function findClose(s: string, from: number): number {
  let depth = 1;
  for (let j = from; j < s.length; j++) {
    if (s[j] === "$" && s[j + 1] === "{") {
      depth++;
      j++;
    } else if (s[j] === "}") {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

function expandBraced(body: string, whole: string, ctx: InterpolationContext, pos?: SourcePos): string {
  const m = NAME.exec(body);
  if (!m) throw invalid(whole, pos, `bad variable name in "\${${body}}"`);
  const name = m[0];
  const rest = body.slice(name.length);
  if (rest === "") return lookup(name, ctx, pos) ?? "";
  const op = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest);
  if (!op) throw invalid(whole, pos, `unexpected "${rest}" after variable ${name}`);
  const arg = rest.slice(op[0].length);
  const value = ctx.vars[name];
  const set = value !== undefined;
  const nonEmpty = set && value !== "";
  switch (op[0]) {
    case ":-":
      return nonEmpty ? value : interpolateString(arg, ctx, pos);
    case "-":
      return set ? value : interpolateString(arg, ctx, pos);
    case ":+":
      return nonEmpty ? interpolateString(arg, ctx, pos) : "";
    case "+":
      return set ? interpolateString(arg, ctx, pos) : "";
    case ":?":
    case "?": {
      const ok = op[0] === ":?" ? nonEmpty : set;
      if (ok) return value ?? "";
      const msg = interpolateString(arg, ctx, pos) || `${name} is required`;
      throw new UserError(`Required variable ${name} is ${set ? "empty" : "not set"}: ${msg}`, {
        pos,
        hint: `Set ${name} in the project's .env file or in the environment before running doodba-ops.`,
        next: `echo '${name}=...' >> .env`,
      });
    }
  }
  return "";
}

function lookup(name: string, ctx: InterpolationContext, pos?: SourcePos): string | undefined {
  const v = ctx.vars[name];
  if (v === undefined) ctx.onUnset?.(name, pos);
  return v;
}

function invalid(input: string, pos: SourcePos | undefined, why: string): UserError {
  return new UserError(`Invalid interpolation format in "${input}": ${why}`, {
    pos,
    hint: 'Write a literal dollar sign as "$$" (for example a dbfilter "^prod$$").',
  });
}

/** Interpolates every string scalar of a located tree in place. Keys are not interpolated (as in Compose). */
export function interpolateTree(n: LNode, ctx: InterpolationContext): void {
  if (n.kind === "scalar") {
    if (typeof n.value === "string" && n.value.includes("$")) n.value = interpolateString(n.value, ctx, n.pos);
  } else if (n.kind === "seq") {
    for (const i of n.items) interpolateTree(i, ctx);
  } else {
    for (const v of n.entries.values()) interpolateTree(v, ctx);
  }
}
