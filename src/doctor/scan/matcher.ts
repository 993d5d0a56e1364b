/**
 * Tests log records against the signature catalog, cheaply. A record's first line is tested only
 * against the signatures whose `levels`/`loggers` admit it; the candidate list per (level, logger)
 * is computed once and cached, so the bulk of a log (werkzeug access lines, module loading) costs
 * one map look-up. Exception lines of a traceback are tested against every signature.
 */
import type { Signature } from "../types.js";

export interface SignatureMatch {
  signature: Signature;
  /** The line that matched (the record's message or one of its exception lines). */
  text: string;
  /** Whether `text` is a traceback line rather than the record's message. */
  fromTraceback: boolean;
}

const MAX_CACHE = 4096;
const MAX_LINE_CACHE = 20_000;
const NO_MATCH = Object.freeze({ matches: Object.freeze([]) as unknown as SignatureMatch[], explained: false });

export class SignatureMatcher {
  private readonly cache = new Map<string, Map<string, Signature[]>>();
  /** Exception line -> signatures whose patterns match it (tracebacks repeat: test each distinct line once). */
  private readonly lines = new Map<string, { sig: Signature; p: number }[]>();
  constructor(readonly signatures: readonly Signature[]) {}

  /** Signatures whose message patterns apply to records of this level and logger. */
  candidates(level: string | undefined, logger: string | undefined): Signature[] {
    // level -> logger -> candidates: no string building per record
    const lk = level ?? "";
    let byLogger = this.cache.get(lk);
    if (!byLogger) {
      byLogger = new Map();
      this.cache.set(copy(lk), byLogger);
    }
    const gk = logger ?? "";
    let c = byLogger.get(gk);
    if (c) return c;
    c = this.signatures.filter((s) => admits(s, level, logger));
    if (byLogger.size >= MAX_CACHE) byLogger.clear();
    byLogger.set(copy(gk), c); // a copy: the key must not pin the read chunk it was sliced from
    return c;
  }

  private lineMatches(line: string): { sig: Signature; p: number }[] {
    let r = this.lines.get(line);
    if (r) return r;
    r = [];
    for (const sig of this.signatures) {
      for (let p = 0; p < sig.patterns.length; p++) {
        if (testAny([sig.patterns[p]!], line)) {
          r.push({ sig, p });
          break;
        }
      }
    }
    if (this.lines.size >= MAX_LINE_CACHE) this.lines.clear();
    this.lines.set(copy(line), r);
    return r;
  }

  /**
   * Signatures a record matches. `exceptionLines` are the meaningful lines of its traceback
   * ({@link isExceptionLine}). Fallback signatures only when nothing specific matched.
   */
  match(level: string | undefined, logger: string | undefined, message: string, exceptionLines: readonly string[]): SignatureMatch[] {
    return this.matchRecord(level, logger, message, exceptionLines).matches;
  }

  /**
   * Like {@link match}, and says whether the record was explained: a record matched only by
   * signatures that its `exclude` patterns rule out (a worker exiting on "CPU time limit exceeded",
   * counted by worker-cpu-limit on the line before) is explained, not unrecognised.
   */
  matchRecord(level: string | undefined, logger: string | undefined, message: string, exceptionLines: readonly string[]): { matches: SignatureMatch[]; explained: boolean } {
    const cands = this.candidates(level, logger);
    if (cands.length === 0 && exceptionLines.length === 0) return NO_MATCH;
    const out: SignatureMatch[] = [];
    const seen = new Set<string>();
    for (const s of cands) {
      if (testAny(s.patterns, message)) {
        out.push({ signature: s, text: message, fromTraceback: false });
        seen.add(s.id);
      }
    }
    if (exceptionLines.length > 0) {
      // per signature, the line matched by its earliest pattern (the first is the most telling)
      let best: Map<string, { sig: Signature; p: number; line: string }> | undefined;
      for (const line of exceptionLines) {
        for (const m of this.lineMatches(line)) {
          if (seen.has(m.sig.id)) continue;
          best ??= new Map();
          const b = best.get(m.sig.id);
          if (!b || m.p < b.p) best.set(m.sig.id, { sig: m.sig, p: m.p, line });
        }
      }
      if (best) for (const b of best.values()) out.push({ signature: b.sig, text: b.line, fromTraceback: true });
    }
    if (out.length === 0) return { matches: out, explained: false };
    const kept = out.filter((m) => !m.signature.exclude || !(testAny(m.signature.exclude, message) || exceptionLines.some((l) => testAny(m.signature.exclude ?? [], l))));
    const specific = kept.filter((m) => !m.signature.fallback);
    return { matches: specific.length > 0 ? specific : kept, explained: true };
  }
}

/** Levels whose records are tested by signatures that declare neither `levels` nor `loggers`. */
const DEFAULT_LEVELS = new Set(["WARNING", "ERROR", "CRITICAL"]);

function admits(s: Signature, level: string | undefined, logger: string | undefined): boolean {
  const hasLevels = s.levels !== undefined && s.levels.length > 0;
  const hasLoggers = s.loggers !== undefined && s.loggers.length > 0;
  if (hasLevels && (level === undefined || !s.levels!.includes(level))) return false;
  // neither: WARNING and above (and lines without a level), so INFO chatter costs nothing
  if (!hasLevels && !hasLoggers && level !== undefined && !DEFAULT_LEVELS.has(level)) return false;
  if (hasLoggers) {
    if (logger === undefined) return false;
    if (!s.loggers!.some((p) => logger === p || logger.startsWith(`${p}.`))) return false;
  }
  return true;
}

function testAny(patterns: readonly RegExp[], text: string): boolean {
  for (const p of patterns) {
    if (p.global || p.sticky) p.lastIndex = 0;
    if (p.test(text)) return true;
  }
  return false;
}

function copy(s: string): string {
  return s.length === 0 ? "" : Buffer.from(s, "utf8").toString("utf8");
}
