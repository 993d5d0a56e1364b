/**
 * Streams log inputs into a {@link LogScanner}: bytes in fixed-size chunks (the reader's buffer),
 * gzip detected from its magic bytes (so `odoo.log.2.gz` and a gzipped stdin both work) and
 * inflated through a zlib stream, UTF-8 decoded across chunk boundaries, split into lines.
 * Memory is one chunk plus the current partial line (capped at {@link MAX_LINE}).
 */
import { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { createGunzip } from "node:zlib";
import type { ScanResult } from "../types.js";
import { LogScanner, type ScanOptions } from "./scanner.js";

/** Longest line kept; the rest of a longer line is ignored (and counted). */
export const MAX_LINE = 1 << 20;

export interface LogSource {
  /** File name as given ("-" for stdin). */
  name: string;
  /** The raw bytes (plain or gzip). */
  stream: AsyncIterable<Buffer | string>;
}

/** Yields the bytes of `input`, inflated when they start with the gzip magic (1f 8b). */
export async function* maybeGunzip(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer> {
  const it = input[Symbol.asyncIterator]();
  let first = await it.next();
  while (!first.done && toBuffer(first.value).length === 0) first = await it.next();
  if (first.done) return;
  const head = toBuffer(first.value);
  const rest = async function* (): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      yield toBuffer(n.value);
    }
  };
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = Readable.from(rest()).pipe(createGunzip({ chunkSize: 1 << 16 }));
    for await (const chunk of gunzip) yield chunk as Buffer;
    return;
  }
  yield* rest();
}

function toBuffer(v: Buffer | string): Buffer {
  return typeof v === "string" ? Buffer.from(v) : v;
}

/** Feeds one source into the scanner, line by line. */
export async function scanSource(scanner: LogScanner, source: LogSource): Promise<void> {
  scanner.beginFile(source.name);
  const decoder = new StringDecoder("utf8");
  let carry = "";
  let dropping = false; // inside an over-long line: skip to its end
  const emit = (line: string): void => {
    scanner.line(line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line);
  };
  for await (const buf of maybeGunzip(source.stream)) {
    scanner.addBytes(buf.length);
    const s = decoder.write(buf);
    let start = 0;
    let nl = s.indexOf("\n");
    if (nl >= 0) {
      // finish the partial line carried from the previous chunk
      if (dropping) dropping = false;
      else if (carry.length + nl > MAX_LINE) {
        emit((carry + s.slice(0, Math.max(0, MAX_LINE - carry.length))).slice(0, MAX_LINE));
        scanner.noteTruncated();
      } else emit(carry.length > 0 ? carry + s.slice(0, nl) : s.slice(0, nl));
      carry = "";
      start = nl + 1;
      nl = s.indexOf("\n", start);
      while (nl >= 0) {
        emit(s.slice(start, nl));
        start = nl + 1;
        nl = s.indexOf("\n", start);
      }
      carry = s.slice(start);
    } else if (!dropping) carry += s;
    if (carry.length > MAX_LINE) {
      if (!dropping) {
        emit(carry.slice(0, MAX_LINE));
        scanner.noteTruncated();
      }
      carry = "";
      dropping = true;
    }
  }
  const tail = carry + decoder.end();
  if (tail.length > 0 && !dropping) emit(tail);
  scanner.endFile();
}

/** Scans several sources in order into one result. */
export async function scanSources(sources: readonly LogSource[], opts: ScanOptions = {}): Promise<ScanResult> {
  const scanner = new LogScanner(opts);
  for (const s of sources) await scanSource(scanner, s);
  return scanner.result();
}
