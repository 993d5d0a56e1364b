/** The compression decision and the stored encoding of objects. */
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

  it("GIVEN frame headers with a content size (RFC 8878) THEN it is read before decoding", () => {
    expect(frameContentSize(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x20, 0x05, 0, 0]))).toBe(5);
    expect(frameContentSize(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x60, 0x00, 0x01, 0, 0]))).toBe(512);
    expect(frameContentSize(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0x00, 0x00, 0x10, 0x00, 0]))).toBe(1 << 20);
    expect(frameContentSize(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50, 0, 0]))).toBeUndefined();
  });
});
