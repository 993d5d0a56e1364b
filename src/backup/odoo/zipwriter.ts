/**
 * A streaming zip writer for Odoo backups: entries are written one after the other to a
 * non-seekable output (a file, an upload, an HTTP response), deflated like Python's zipfile does,
 * with a data descriptor after each entry and ZIP64 records where a size, an offset or the number
 * of entries needs them (APPNOTE 6.3.x).
 *
 * Why not yazl: it looks up the next entry to write by scanning its whole entry list from the
 * start on every step, so writing n entries costs O(n^2): 20,000 files took 2 s, 70,000 took 26 s
 * here, a million would take hours. This writer keeps no per-entry object at all: the central
 * directory record of an entry is serialised as soon as the entry is written, into 1 MiB blocks
 * (about 130 bytes per file: 13 MB for 100,000 files).
 */
import { Readable, Transform, Writable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import * as zlib from "node:zlib";

const SIG_LOCAL = 0x04034b50;
const SIG_DESCRIPTOR = 0x08074b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_EOCD = 0x06054b50;
const MAX32 = 0xffffffff;
const MAX16 = 0xffff;
/** Unix, spec version 2.0 / 4.5 (what Python's zipfile writes). */
const MADE_BY_UNIX = 3 << 8;
/** Entries up to this size are deflated in one call. */
const SMALL_ENTRY = 1 << 20;

let crcTable: Int32Array | undefined;
function crc32js(buf: Buffer, crc: number): number {
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let c = ~crc;
  for (let i = 0; i < buf.length; i++) c = (crcTable[(c ^ (buf[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}
/** zlib.crc32 (native, Node >= 20.15) when present, else a table-driven fallback. */
const nativeCrc = (zlib as unknown as { crc32?: (data: Buffer, value?: number) => number }).crc32;
export function crc32(buf: Buffer, crc = 0): number {
  return nativeCrc ? nativeCrc(buf, crc) : crc32js(buf, crc);
}

/** DOS date and time in local time, as Python's zipfile stores time.localtime(mtime); clamped to 1980-2107. */
export function dosDateTime(d: Date): { date: number; time: number } {
  const year = Math.min(Math.max(d.getFullYear(), 1980), 2107);
  const clamped = year !== d.getFullYear();
  const date = ((year - 1980) << 9) | ((clamped ? 1 : d.getMonth() + 1) << 5) | (clamped ? 1 : d.getDate());
  const time = clamped ? 0 : (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2);
  return { date, time };
}

class Measure extends Transform {
  crc = 0;
  size = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.crc = crc32(chunk, this.crc);
    this.size += chunk.length;
    cb(null, chunk);
  }
}

export interface ZipEntryOptions {
  mtime: Date;
  /** st_mode (type and permission bits). @default 0o100644 */
  mode?: number;
  /** zlib level; 0 stores. @default 6 */
  level?: number;
}

export class ZipWriter {
  private offset = 0;
  private count = 0;
  private readonly cdBlocks: Buffer[] = [];
  private cdBlock: Buffer[] = [];
  private cdBlockBytes = 0;
  private cdBytes = 0;
  private finished = false;

  constructor(private readonly out: Writable) {}

  /** Bytes written so far. */
  get bytes(): number {
    return this.offset;
  }

  get entries(): number {
    return this.count;
  }

  private async put(buf: Buffer): Promise<void> {
    this.offset += buf.length;
    if (!this.out.write(buf)) {
      await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          this.out.off("error", onError);
          resolve();
        };
        const onError = (e: Error) => {
          this.out.off("drain", onDrain);
          reject(e);
        };
        this.out.once("drain", onDrain);
        this.out.once("error", onError);
      });
    }
  }

  /** Appends one entry, reading `data` to its end. */
  async add(name: string, data: Readable, opts: ZipEntryOptions): Promise<void> {
    if (this.finished) throw new Error("zip already finished");
    const nameBuf = Buffer.from(name, "utf8");
    const utf8 = /[^\x20-\x7e]/.test(name);
    const flags = 0x0008 | (utf8 ? 0x0800 : 0);
    const level = opts.level ?? 6;
    const method = level > 0 ? 8 : 0;
    const { date, time } = dosDateTime(opts.mtime);
    const headerOffset = this.offset;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(SIG_LOCAL, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(time, 10);
    local.writeUInt16LE(date, 12);
    // crc and sizes follow in the data descriptor
    local.writeUInt16LE(nameBuf.length, 26);
    local.writeUInt16LE(0, 28);
    await this.put(Buffer.concat([local, nameBuf]));

    const measure = new Measure();
    let compressed = 0;
    // Small files (most of a filestore) are read whole and deflated in one call: a zlib stream
    // per file costs more than the file. Larger ones stream, so memory stays bounded.
    const it = (data as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    const head: Buffer[] = [];
    let headBytes = 0;
    let ended = false;
    while (headBytes <= SMALL_ENTRY) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      const chunk = typeof r.value === "string" ? Buffer.from(r.value) : r.value;
      head.push(chunk);
      headBytes += chunk.length;
    }
    if (ended) {
      const raw = head.length === 1 ? (head[0] as Buffer) : Buffer.concat(head);
      measure.crc = crc32(raw);
      measure.size = raw.length;
      const body = method === 8 ? zlib.deflateRawSync(raw, { level }) : raw;
      compressed = body.length;
      await this.put(body);
    } else {
      const rest = Readable.from(
        (async function* () {
          yield* head;
          for (;;) {
            const r = await it.next();
            if (r.done) return;
            yield r.value;
          }
        })(),
        { objectMode: false },
      );
      const sink = new Writable({
        write: (chunk: Buffer, _enc, cb) => {
          compressed += chunk.length;
          this.put(chunk).then(() => cb(), cb);
        },
      });
      if (method === 8) await pipeline(rest, measure, zlib.createDeflateRaw({ level }), sink);
      else await pipeline(rest, measure, sink);
    }

    const zip64 = measure.size >= MAX32 || compressed >= MAX32;
    const desc = Buffer.alloc(zip64 ? 24 : 16);
    desc.writeUInt32LE(SIG_DESCRIPTOR, 0);
    desc.writeUInt32LE(measure.crc, 4);
    if (zip64) {
      desc.writeBigUInt64LE(BigInt(compressed), 8);
      desc.writeBigUInt64LE(BigInt(measure.size), 16);
    } else {
      desc.writeUInt32LE(compressed, 8);
      desc.writeUInt32LE(measure.size, 12);
    }
    await this.put(desc);

    // central directory record, serialised now
    const big = { size: measure.size >= MAX32, comp: compressed >= MAX32, off: headerOffset >= MAX32 };
    const extraLen = big.size || big.comp || big.off ? 4 + (big.size ? 8 : 0) + (big.comp ? 8 : 0) + (big.off ? 8 : 0) : 0;
    const version = extraLen ? 45 : 20;
    const cd = Buffer.alloc(46 + nameBuf.length + extraLen);
    cd.writeUInt32LE(SIG_CENTRAL, 0);
    cd.writeUInt16LE(MADE_BY_UNIX | version, 4);
    cd.writeUInt16LE(version, 6);
    cd.writeUInt16LE(flags, 8);
    cd.writeUInt16LE(method, 10);
    cd.writeUInt16LE(time, 12);
    cd.writeUInt16LE(date, 14);
    cd.writeUInt32LE(measure.crc, 16);
    cd.writeUInt32LE(big.comp ? MAX32 : compressed, 20);
    cd.writeUInt32LE(big.size ? MAX32 : measure.size, 24);
    cd.writeUInt16LE(nameBuf.length, 28);
    cd.writeUInt16LE(extraLen, 30);
    // comment length, disk number, internal attributes: 0
    cd.writeUInt32LE((((opts.mode ?? 0o100644) & 0xffff) << 16) >>> 0, 38);
    cd.writeUInt32LE(big.off ? MAX32 : headerOffset, 42);
    nameBuf.copy(cd, 46);
    if (extraLen) {
      let p = 46 + nameBuf.length;
      cd.writeUInt16LE(0x0001, p);
      cd.writeUInt16LE(extraLen - 4, p + 2);
      p += 4;
      for (const [on, v] of [[big.size, measure.size], [big.comp, compressed], [big.off, headerOffset]] as const) {
        if (!on) continue;
        cd.writeBigUInt64LE(BigInt(v), p);
        p += 8;
      }
    }
    this.cdBlock.push(cd);
    this.cdBlockBytes += cd.length;
    this.cdBytes += cd.length;
    if (this.cdBlockBytes >= 1 << 20) this.flushCdBlock();
    this.count += 1;
  }

  private flushCdBlock(): void {
    if (this.cdBlock.length) this.cdBlocks.push(Buffer.concat(this.cdBlock));
    this.cdBlock = [];
    this.cdBlockBytes = 0;
  }

  /** Writes the central directory and the end records, then ends the output. */
  async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    this.flushCdBlock();
    const cdOffset = this.offset;
    for (const b of this.cdBlocks) await this.put(b);
    this.cdBlocks.length = 0;
    const needZip64 = this.count >= MAX16 || cdOffset >= MAX32 || this.cdBytes >= MAX32;
    if (needZip64) {
      const zip64EocdOffset = this.offset;
      const rec = Buffer.alloc(56);
      rec.writeUInt32LE(SIG_ZIP64_EOCD, 0);
      rec.writeBigUInt64LE(44n, 4);
      rec.writeUInt16LE(MADE_BY_UNIX | 45, 12);
      rec.writeUInt16LE(45, 14);
      rec.writeBigUInt64LE(BigInt(this.count), 24);
      rec.writeBigUInt64LE(BigInt(this.count), 32);
      rec.writeBigUInt64LE(BigInt(this.cdBytes), 40);
      rec.writeBigUInt64LE(BigInt(cdOffset), 48);
      const loc = Buffer.alloc(20);
      loc.writeUInt32LE(SIG_ZIP64_LOCATOR, 0);
      loc.writeBigUInt64LE(BigInt(zip64EocdOffset), 8);
      loc.writeUInt32LE(1, 16);
      await this.put(Buffer.concat([rec, loc]));
    }
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(SIG_EOCD, 0);
    eocd.writeUInt16LE(Math.min(this.count, MAX16), 8);
    eocd.writeUInt16LE(Math.min(this.count, MAX16), 10);
    eocd.writeUInt32LE(Math.min(this.cdBytes, MAX32), 12);
    eocd.writeUInt32LE(Math.min(cdOffset, MAX32), 16);
    await this.put(eocd);
    await new Promise<void>((resolve, reject) => {
      this.out.once("error", reject);
      this.out.end(() => resolve());
    });
  }
}
