/**
 * How one object's plaintext becomes stored bytes, and back:
 *
 *   stored = age( zstdFrame(plain) )   when compression pays
 *   stored = age( plain )              otherwise (and unencrypted repositories drop the age layer)
 *
 * The reader tells the two apart by the zstd frame magic (28 B5 2F FD). Plaintext that itself
 * starts with that magic (a .zst attachment) is always framed, so the rule is unambiguous, and
 * `age -d -i key.txt objects/ab/ab12... | zstd -dcf` always yields the original bytes
 * (`zstd -dcf` passes non-zstd input through unchanged).
 *
 * "When it pays" (measured on this project's machine, zstd level 3 through the N-API binding):
 * zstd itself detects incompressible blocks quickly (~2.9 GB/s on random data, vs ~580 MB/s on
 * SQL text at ratio 0.13), but the decision still saves the compress-then-discard work and the
 * frame overhead. It is made by magic bytes of formats that are compressed already (JPEG, PNG,
 * GIF, WebP, ZIP/Office/ODF, gzip, bzip2, xz, 7z, zstd, MP4/MOV, MP3, WOFF2) and otherwise by a
 * sample: four 16 KiB slices spread over the object (a dump chunk can mix text and compressed
 * blobs; one slice at the start misjudged such chunks) are compressed at level 1, and compression
 * is kept when the sample shrinks below 90%. Objects under 64 bytes are stored as they are.
 */
import { createRequire } from "node:module";
import type { ZSTDDecoder } from "zstddec";

export const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const SAMPLE = 64 * 1024;
const SLICE = 16 * 1024;
const MIN_SIZE = 64;
const PAYS_BELOW = 0.9;

interface Zstd {
  Encoder: new (level: number) => { encode(b: Buffer): Promise<Buffer>; encodeSync(b: Buffer): Buffer };
  Decoder: new () => { decode(b: Buffer): Promise<Buffer>; decodeSync(b: Buffer): Buffer };
}

let zstd: Zstd | undefined;
function loadZstd(): Zstd {
  if (!zstd) {
    try {
      // a CommonJS N-API module; createRequire keeps it out of the start-up path of other commands
      zstd = createRequire(import.meta.url)("@toondepauw/node-zstd") as Zstd;
    } catch (e) {
      throw new Error(`the zstd binding (@toondepauw/node-zstd) did not load on ${process.platform}-${process.arch}: ${(e as Error).message}`);
    }
  }
  return zstd;
}

// The binding's Encoder/Decoder hold no compression state (a context per call), so one instance per level serves every call.
const encoders = new Map<number, InstanceType<Zstd["Encoder"]>>();
function encoder(level: number): InstanceType<Zstd["Encoder"]> {
  let e = encoders.get(level);
  if (!e) {
    e = new (loadZstd().Encoder)(level);
    encoders.set(level, e);
  }
  return e;
}
let decoderInstance: InstanceType<Zstd["Decoder"]> | undefined;

function startsWith(b: Buffer, sig: number[], at = 0): boolean {
  if (b.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[at + i] !== sig[i]) return false;
  return true;
}

/** Formats that are compressed already, by their leading bytes. */
export function looksCompressed(b: Buffer): string | undefined {
  if (startsWith(b, [0xff, 0xd8, 0xff])) return "jpeg";
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47])) return "png";
  if (startsWith(b, [0x47, 0x49, 0x46, 0x38])) return "gif";
  if (startsWith(b, [0x52, 0x49, 0x46, 0x46]) && startsWith(b, [0x57, 0x45, 0x42, 0x50], 8)) return "webp";
  if (startsWith(b, [0x50, 0x4b, 0x03, 0x04])) return "zip";
  if (startsWith(b, [0x1f, 0x8b])) return "gzip";
  if (startsWith(b, [0x42, 0x5a, 0x68])) return "bzip2";
  if (startsWith(b, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return "xz";
  if (startsWith(b, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return "7z";
  if (startsWith(b, [0x28, 0xb5, 0x2f, 0xfd])) return "zstd";
  if (startsWith(b, [0x66, 0x74, 0x79, 0x70], 4)) return "mp4";
  if (startsWith(b, [0x49, 0x44, 0x33]) || startsWith(b, [0xff, 0xfb])) return "mp3";
  if (startsWith(b, [0x77, 0x4f, 0x46, 0x32])) return "woff2";
  if (startsWith(b, [0x50, 0x47, 0x44, 0x4d, 0x50])) return undefined; // pg_dump custom: compressed or not, the sample tells
  return undefined;
}

export interface CompressionSetting {
  kind: "zstd" | "none";
  level?: number;
}

/** Decides whether compressing `plain` pays (see the file comment). */
export function compressionPays(plain: Buffer): boolean {
  if (plain.length < MIN_SIZE) return false;
  if (looksCompressed(plain)) return false;
  const sample =
    plain.length <= SAMPLE
      ? plain
      : Buffer.concat([0, 1, 2, 3].map((i) => {
          const at = Math.floor(((plain.length - SLICE) * i) / 3);
          return plain.subarray(at, at + SLICE);
        }));
  const c = encoder(1).encodeSync(sample);
  return c.length < sample.length * PAYS_BELOW;
}

/** Encodes plaintext for storage (before encryption). Returns the bytes and whether they are a zstd frame. */
export async function encodePlain(plain: Buffer, setting: CompressionSetting): Promise<{ data: Buffer; compressed: boolean }> {
  const mustFrame = startsWith(plain, [0x28, 0xb5, 0x2f, 0xfd]);
  const want = setting.kind === "zstd" && compressionPays(plain);
  if (!want && !mustFrame) return { data: plain, compressed: false };
  // On this thread, not in libuv's pool: the binding's output buffers, allocated in a pool
  // thread, landed in glibc's per-thread arenas, which kept the freed ones mapped. Measured on
  // the benchmark: peak RSS of a full backup 186 -> 178 MB, of a restore 193 -> 175 MB, at the
  // same speed (on two cores hashing and encryption use this thread's time anyway).
  const data = encoder(setting.level ?? 3).encodeSync(plain);
  return { data, compressed: true };
}

/**
 * Reverses {@link encodePlain}. `maxSize` bounds the output (a corrupt frame cannot blow memory up);
 * with `exact`, the plaintext is known to be exactly `maxSize` bytes (an object's chunk, whose size
 * and sha256 are in the manifest).
 *
 * Chunks of a known size are decoded by zstd compiled to WebAssembly (`zstddec`) into a buffer
 * that V8 owns. The N-API binding's output buffers are freed by finalizers that run only later,
 * from the event loop: spooling an 885 MB `-Z0` dump held 35-40 MB of dead output buffers at a
 * time and left glibc's heap grown (a restore's peak RSS 166-188 MiB, reached at the spool). Dumps
 * are compressed by pg_dump since (service.ts DUMP_COMPRESS_LEVEL), so zstd frames are now older
 * snapshots' dumps and compressible filestore files. Decoding speed is the same (0.55 ms per MiB,
 * measured on 1 MiB dump chunks). zstddec reports zstd's errors as
 * if they were sizes, so success is a result of exactly the expected size; the caller then checks
 * the chunk's sha256, which a wrong result of the right size cannot pass. The frames this project
 * writes do not declare their content size, so frames of an unknown size (documents) go through
 * the binding.
 */
export async function decodePlain(stored: Buffer, maxSize: number, opts: { exact?: boolean } = {}): Promise<Buffer> {
  if (!startsWith(stored, [0x28, 0xb5, 0x2f, 0xfd])) return stored;
  const declared = frameContentSize(stored);
  if (declared !== undefined && declared > maxSize) throw new Error(`zstd frame declares ${declared} bytes, more than the ${maxSize} expected`);
  if (opts.exact === true && maxSize > 0) {
    const wasm = await wasmDecoder();
    const out = wasm.decode(stored, maxSize);
    if (out.length !== maxSize) throw new Error(`zstd frame did not decode to the expected ${maxSize} bytes`);
    return Buffer.from(out.buffer, out.byteOffset, out.length);
  }
  decoderInstance ??= new (loadZstd().Decoder)();
  // synchronous for the same reason as encodePlain
  const out = decoderInstance.decodeSync(stored);
  if (out.length > maxSize) throw new Error(`zstd frame decoded to ${out.length} bytes, more than the ${maxSize} expected`);
  return out;
}

let wasmReady: Promise<ZSTDDecoder> | undefined;
function wasmDecoder(): Promise<ZSTDDecoder> {
  wasmReady ??= (async () => {
    const { ZSTDDecoder } = await import("zstddec");
    const d = new ZSTDDecoder();
    await d.init();
    return d;
  })();
  return wasmReady;
}

/** Frame_Content_Size from a zstd frame header, when present (RFC 8878 3.1.1.1). */
export function frameContentSize(b: Buffer): number | undefined {
  if (b.length < 6) return undefined;
  const fhd = b[4] as number;
  const fcsFlag = fhd >> 6;
  const single = (fhd >> 5) & 1;
  const didFlag = fhd & 3;
  const fcsSize = fcsFlag === 0 ? (single ? 1 : 0) : [0, 2, 4, 8][fcsFlag] as number;
  if (fcsSize === 0) return undefined;
  const at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][didFlag]!;
  if (b.length < at + fcsSize) return undefined;
  if (fcsSize === 1) return b[at];
  if (fcsSize === 2) return b.readUInt16LE(at) + 256;
  if (fcsSize === 4) return b.readUInt32LE(at);
  return Number(b.readBigUInt64LE(at));
}
