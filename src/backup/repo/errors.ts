/** Errors of the backup repository that callers tell apart (the CLI words them for the user). */

/** A referenced object is not in the store. */
export class MissingObjectError extends Error {
  constructor(
    readonly key: string,
    readonly hash: string,
  ) {
    super(`object ${key} is missing`);
    this.name = "MissingObjectError";
  }
}

/** An object's bytes do not decrypt, decompress or hash to what its name says. */
export class CorruptObjectError extends Error {
  constructor(
    readonly key: string,
    readonly hash: string,
    readonly reason: string,
  ) {
    super(`object ${key} is corrupt: ${reason}`);
    this.name = "CorruptObjectError";
  }
}
