/** The compression decision and the stored encoding of objects. */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { compressionPays, decodePlain, encodePlain, frameContentSize, looksCompressed, ZSTD_MAGIC } from "../../../src/backup/repo/codec.js";

const SQL = Buffer.from("INSERT INTO res_partner (id, name) VALUES (1, 'Alpha Trading Ltd');\n".repeat(3000));

describe("compression decision", () => {
  it("GIVEN SQL text THEN compression pays; GIVEN random bytes, a tiny object or a known compressed format THEN it does not", () => {
    expect(compressionPays(SQL)).toBe(true);
    expect(compressionPays(randomBytes(200_000))).toBe(false);
    expect(compressionPays(Buffer.from("short"))).toBe(false);
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), SQL]);
    expect(looksCompressed(png)).toBe("png");
    expect(compressionPays(png)).toBe(false);
    expect(looksCompressed(Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2]))).toBe("zip");
  });

  it("GIVEN a chunk that starts with random bytes but is mostly text THEN the spread sample still sees it compresses", () => {
    const mixed = Buffer.concat([randomBytes(100_000), SQL, SQL, SQL]);
    expect(compressionPays(mixed)).toBe(true);
  });
});

describe("stored encoding", () => {
  it("GIVEN text WHEN encoded THEN a zstd frame decoded back; GIVEN random THEN stored as is", async () => {
    const z = await encodePlain(SQL, { kind: "zstd", level: 3 });
    expect(z.compressed).toBe(true);
    expect(z.data.subarray(0, 4).equals(ZSTD_MAGIC)).toBe(true);
    expect((await decodePlain(z.data, SQL.length)).equals(SQL)).toBe(true);
    const r = randomBytes(5000);
    const raw = await encodePlain(r, { kind: "zstd", level: 3 });
    expect(raw).toEqual({ data: r, compressed: false });
    expect(await encodePlain(SQL, { kind: "none" })).toEqual({ data: SQL, compressed: false });
  });

  it("GIVEN a frame larger than expected THEN decoding refuses it", async () => {
    const z = await encodePlain(SQL, { kind: "zstd", level: 3 });
    await expect(decodePlain(z.data, 100)).rejects.toThrow(/more than the 100 expected/);
  });

  it("GIVEN a chunk of a known size WHEN its frame is damaged or truncated THEN decoding fails or yields that size (which the chunk's sha256 then checks)", async () => {
    const z = await encodePlain(SQL, { kind: "zstd", level: 3 });
    expect((await decodePlain(z.data, SQL.length, { exact: true })).equals(SQL)).toBe(true);
    for (const at of [6, 8, Math.floor(z.data.length / 2), z.data.length - 5]) {
      const bad = Buffer.from(z.data);
      bad[at] = (bad[at] as number) ^ 0xff;
      const r = await decodePlain(bad, SQL.length, { exact: true }).then(
        (b) => ({ ok: true as const, b }),
        (e: Error) => ({ ok: false as const, e }),
      );
      // the frames carry no checksum: a flip in literals can decode to other bytes of the right
      // size; anything else must be an error, never a short or long result
      if (r.ok) expect(r.b.length).toBe(SQL.length);
      else expect(r.e.message).toMatch(/expected 204000 bytes/);
    }
    await expect(decodePlain(z.data.subarray(0, z.data.length - 20), SQL.length, { exact: true })).rejects.toThrow(/expected 204000 bytes/);
    // the plaintext is larger than the chunk's recorded size
    await expect(decodePlain(z.data, SQL.length - 1, { exact: true })).rejects.toThrow(/expected 203999 bytes/);
    // ... or smaller
    await expect(decodePlain(z.data, SQL.length + 1, { exact: true })).rejects.toThrow(/expected 204001 bytes/);
  });

  it("GIVEN chunks of a known size decoded one after another THEN each result is a buffer of its own (not a view a later decode overwrites)", async () => {
    const a = Buffer.from(SQL.toString("latin1").replace(/INSERT/g, "insert"), "latin1");
    const za = await encodePlain(a, { kind: "zstd", level: 3 });
    const zb = await encodePlain(SQL, { kind: "zstd", level: 3 });
    const da = await decodePlain(za.data, a.length, { exact: true });
    const db = await decodePlain(zb.data, SQL.length, { exact: true });
    expect(da.equals(a)).toBe(true);
    expect(db.equals(SQL)).toBe(true);
  });

  it("GIVEN frames from other writers (`zstd -c < file`: no declared size) and a size limit only THEN they decode through the binding, bounded", async () => {
    const r = spawnSync("zstd", ["-q", "-c", "-3"], { input: SQL });
    expect(r.status).toBe(0);
    expect(frameContentSize(r.stdout)).toBeUndefined();
    expect((await decodePlain(r.stdout, SQL.length)).equals(SQL)).toBe(true);
    expect((await decodePlain(r.stdout, SQL.length, { exact: true })).equals(SQL)).toBe(true);
    await expect(decodePlain(r.stdout, 100)).rejects.toThrow(/more than the 100 expected/);
  });

  it("GIVEN frame headers with a content size (RFC 8878) THEN it is read before decoding", () => {
    expect(frameContentSize(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05, 0, 0]))).toBe(5);
    expect(frameContentSize(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x60, 0x00, 0x01, 0, 0]))).toBe(512);
    expect(frameContentSize(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0x00, 0x00, 0x10, 0x00, 0]))).toBe(1 << 20);
    expect(frameContentSize(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50, 0, 0]))).toBeUndefined();
  });
});
