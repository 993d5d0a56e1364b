/**
 * age encryption of repository objects: the native X25519 path (node:crypto) against the
 * age-encryption package (typage), both directions, at the STREAM chunk boundaries.
 */
import { randomBytes } from "node:crypto";
import { Decrypter, Encrypter, generateHybridIdentity, identityToRecipient } from "age-encryption";
import { describe, expect, it } from "vitest";
import { AgeCorruptError, AgeDecryptor, AgeEncryptor, AgeNoMatchError, bech32Decode, bech32Encode, generateKey, parseIdentities, recipientOf } from "../../../src/backup/repo/age.js";

const SIZES = [0, 1, 65535, 65536, 65537, 131072, 200_000];

describe("age: native X25519 path", () => {
  it("GIVEN keys from typage WHEN the native path computes the recipient THEN it matches typage's", async () => {
    const { identity, recipient } = await generateKey();
    expect(identity).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]{58}$/);
    expect(recipient).toMatch(/^age1[0-9a-z]{58}$/);
    expect(await recipientOf(identity)).toBe(recipient);
  });

  it("GIVEN bech32 data WHEN encoded and decoded THEN it round-trips and a changed character fails the checksum", () => {
    const data = randomBytes(32);
    const s = bech32Encode("age", data);
    expect(bech32Decode(s).data.equals(data)).toBe(true);
    const bad = s.slice(0, 10) + (s[10] === "q" ? "p" : "q") + s.slice(11);
    expect(() => bech32Decode(bad)).toThrow(/checksum/);
  });

  it.each(SIZES)("GIVEN %i bytes WHEN encrypted natively THEN typage decrypts them, and native decrypts typage's file", async (size) => {
    const { identity, recipient } = await generateKey();
    const plain = randomBytes(size);
    const enc = new AgeEncryptor([recipient]);
    const file = await enc.encrypt(plain);
    const d = new Decrypter();
    d.addIdentity(identity);
    expect(Buffer.from(await d.decrypt(file)).equals(plain)).toBe(true);

    const e = new Encrypter();
    e.addRecipient(recipient);
    const theirs = Buffer.from(await e.encrypt(plain));
    expect((await new AgeDecryptor([identity]).decrypt(theirs)).equals(plain)).toBe(true);
  });

  it.each([...SIZES, 3 * 65536 + 5, 1 << 20])("GIVEN a %i-byte file decrypted in place (into the buffer that holds it) THEN the plaintext is exact; a flipped byte still fails", async (size) => {
    const { identity, recipient } = await generateKey();
    const plain = randomBytes(size);
    const file = await new AgeEncryptor([recipient]).encrypt(plain);
    const d = new AgeDecryptor([identity]);
    // the restore path reads the stored object into a larger pooled buffer and decrypts over it
    const pool = Buffer.alloc(file.length + 4096, 0xaa);
    file.copy(pool, 0);
    const out = await d.decryptInto(pool.subarray(0, file.length), pool);
    expect(out.buffer).toBe(pool.buffer);
    expect(out.equals(plain)).toBe(true);
    // too small a target: a new buffer, same plaintext
    if (size > 0) expect((await d.decryptInto(file, Buffer.alloc(size - 1))).equals(plain)).toBe(true);
    if (size > 0) {
      file.copy(pool, 0);
      pool[file.length - 20] = (pool[file.length - 20] as number) ^ 1;
      await expect(d.decryptInto(pool.subarray(0, file.length), pool)).rejects.toBeInstanceOf(AgeCorruptError);
    }
  });

  it("GIVEN two recipients WHEN a file is encrypted THEN either identity decrypts it", async () => {
    const a = await generateKey();
    const b = await generateKey();
    const file = await new AgeEncryptor([a.recipient, b.recipient]).encrypt(Buffer.from("hello"));
    expect((await new AgeDecryptor([b.identity]).decrypt(file)).toString()).toBe("hello");
    expect((await new AgeDecryptor([a.identity]).decrypt(file)).toString()).toBe("hello");
  });

  it("GIVEN the wrong identity WHEN decrypting THEN AgeNoMatchError", async () => {
    const a = await generateKey();
    const b = await generateKey();
    const file = await new AgeEncryptor([a.recipient]).encrypt(Buffer.from("secret"));
    await expect(new AgeDecryptor([b.identity]).decrypt(file)).rejects.toBeInstanceOf(AgeNoMatchError);
  });

  it("GIVEN a flipped payload byte or header byte WHEN decrypting THEN AgeCorruptError", async () => {
    const a = await generateKey();
    const file = await new AgeEncryptor([a.recipient]).encrypt(randomBytes(100_000));
    const payload = Buffer.from(file);
    payload.writeUInt8(payload.readUInt8(payload.length - 100) ^ 1, payload.length - 100);
    await expect(new AgeDecryptor([a.identity]).decrypt(payload)).rejects.toBeInstanceOf(AgeCorruptError);
    const truncated = file.subarray(0, file.length - 65536);
    await expect(new AgeDecryptor([a.identity]).decrypt(truncated)).rejects.toBeInstanceOf(AgeCorruptError);
    const header = Buffer.from(file);
    const at = header.indexOf("---") - 5; // inside the stanza body
    header[at] = header[at] === 0x41 ? 0x42 : 0x41;
    await expect(new AgeDecryptor([a.identity]).decrypt(header)).rejects.toThrow();
  });

  it("GIVEN a post-quantum recipient WHEN encrypting THEN typage's path is used and the PQ identity decrypts", async () => {
    const id = await generateHybridIdentity();
    const r = await identityToRecipient(id);
    const file = await new AgeEncryptor([r]).encrypt(Buffer.from("quantum"));
    expect((await new AgeDecryptor([id]).decrypt(file)).toString()).toBe("quantum");
    expect(await recipientOf(id)).toBe(r);
  });

  it("GIVEN an age-keygen key file WHEN parsed THEN comments are skipped and junk is refused with its line", () => {
    const text = "# created: 2026-11-27T00:00:00Z\n# public key: age1xyz\nAGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ\n";
    expect(parseIdentities(text)).toHaveLength(1);
    expect(() => parseIdentities("# only comments\n")).toThrow(/no age identity/);
    expect(() => parseIdentities("hello\n")).toThrow(/line 1/);
  });
});
