/**
 * Typed errors. The CLI's single error boundary (src/cli/main.ts) maps them to exit codes:
 * {@link UserError} -> 2 with file:line:col, a hint and the next command; anything else is an
 * internal error (exit 3) that asks for a bug report.
 */

/** A position in a project file. `file` is relative to the project directory; line/col are 1-based. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export function formatPos(pos: SourcePos | undefined): string {
  if (!pos) return "";
  return `${pos.file}:${pos.line}:${pos.col}`;
}

export interface UserErrorOptions {
  pos?: SourcePos;
  /** What the user can do about it. */
  hint?: string;
  /** A command worth running next. */
  next?: string;
}

/** Bad input: a file that does not parse, an unknown flag value, a missing file. Exit code 2. */
export class UserError extends Error {
  readonly pos?: SourcePos;
  readonly hint?: string;
  readonly next?: string;
  readonly exitCode = 2;
  constructor(message: string, opts: UserErrorOptions = {}) {
    super(message);
    this.name = "UserError";
    this.pos = opts.pos;
    this.hint = opts.hint;
    this.next = opts.next;
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

/** Non-fatal remark of the loader: something it could not read, or a key it does not understand. */
export interface Diagnostic {
  level: "warning" | "info";
  message: string;
  pos?: SourcePos;
}
