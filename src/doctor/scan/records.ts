/**
 * Groups lines into records: a header line plus the continuation lines after it (a traceback, a
 * multi-line message, PostgreSQL DETAIL lines). Memory per record is bounded: a 10,000-line
 * RecursionError keeps its first {@link MAX_EXTRA} lines and its exception lines.
 */
import type { LogRecord } from "../types.js";
import { isExceptionLine, parseHeader, unwrapLine, type Header } from "./parse.js";

/** Continuation lines kept verbatim per record. */
export const MAX_EXTRA = 200;
/** Exception lines kept per record (they are what signatures are tested against). */
export const MAX_EXCEPTION_LINES = 64;

/** The record being assembled. The same object is reused for every record: copy what you keep. */
export interface OpenRecord {
  file: string;
  /** 1-based line of the header. */
  line: number;
  /** The header line as read (after unwrapping docker prefixes), for samples. */
  text: string;
  header: Header;
  extra: string[];
  /** Continuation lines not kept in `extra` (beyond MAX_EXTRA). */
  droppedExtra: number;
  exceptionLines: string[];
  exceptionLineNos: number[];
}

/**
 * Feeds lines, calls `onRecord` for each complete record. A line that is not a header and
 * follows no record (the top of a file that starts mid-traceback, a foreign format) becomes a
 * record of its own without level or logger.
 */
export class RecordAssembler {
  // one record object, reused: allocation per line is what a 10-million-line log pays for
  private readonly rec: OpenRecord = { file: "", line: 0, text: "", header: { message: "" }, extra: [], droppedExtra: 0, exceptionLines: [], exceptionLineNos: [] };
  private open = false;
  private file = "";
  private lineNo = 0;

  constructor(private readonly onRecord: (r: OpenRecord) => void) {}

  beginFile(name: string): void {
    this.flush();
    this.file = name;
    this.lineNo = 0;
  }

  push(raw: string): void {
    this.lineNo++;
    const h = parseHeader(raw);
    if (h) {
      this.flush();
      this.start(raw, h);
      return;
    }
    // a traceback line of `docker compose logs` / `docker logs -t` carries the wrapper too
    const c0 = raw.charCodeAt(0);
    const line = c0 === 32 || c0 === 9 || raw.length === 0 ? raw : unwrapLine(raw);
    if (!this.open) {
      this.start(line, { message: line });
      return;
    }
    const cur = this.rec;
    if (cur.extra.length < MAX_EXTRA) cur.extra.push(line);
    else cur.droppedExtra++;
    if (cur.exceptionLines.length < MAX_EXCEPTION_LINES && isExceptionLine(line)) {
      cur.exceptionLines.push(line);
      cur.exceptionLineNos.push(this.lineNo);
    }
  }

  private start(line: string, h: Header): void {
    const r = this.rec;
    r.file = this.file;
    r.line = this.lineNo;
    r.text = line;
    r.header = h;
    if (r.extra.length > 0) r.extra.length = 0;
    r.droppedExtra = 0;
    if (r.exceptionLines.length > 0) {
      r.exceptionLines.length = 0;
      r.exceptionLineNos.length = 0;
    }
    this.open = true;
  }

  /** Emits the pending record (end of a file or of the input). */
  flush(): void {
    if (!this.open) return;
    this.open = false;
    this.onRecord(this.rec);
  }

  get currentLine(): number {
    return this.lineNo;
  }
}

/** Parses a whole text into records (tests, small inputs). The scanner streams instead. */
export function parseRecords(text: string, file = "-"): LogRecord[] {
  const out: LogRecord[] = [];
  const asm = new RecordAssembler((r) => {
    const h = r.header;
    // trailing blank lines after a traceback carry nothing
    let extra = r.extra;
    while (extra.length > 0 && extra[extra.length - 1]!.trim() === "") extra = extra.slice(0, -1);
    const rec: LogRecord = { message: h.message.trimEnd(), line: r.line, file: r.file };
    if (h.time !== undefined) rec.time = h.time;
    if (h.pid !== undefined) rec.pid = h.pid;
    if (h.level !== undefined) rec.level = h.level;
    if (h.db !== undefined) rec.db = h.db;
    if (h.logger !== undefined) rec.logger = h.logger;
    if (extra.length > 0) rec.extra = [...extra];
    out.push(rec);
  });
  asm.beginFile(file);
  const lines = text.split("\n");
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  for (const l of lines) asm.push(l.endsWith("\r") ? l.slice(0, -1) : l);
  asm.flush();
  return out;
}
