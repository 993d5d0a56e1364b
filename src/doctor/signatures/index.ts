/**
 * The signature catalog of `doodba-ops doctor` (issue 6): known Odoo, PostgreSQL and proxy failure
 * patterns, one file each in this folder, collected in catalog.ts. `docs/doctor-signatures.md` is
 * generated from it ({@link renderSignaturesMarkdown}).
 */
import type { Signature } from "../types.js";
import { ALL_SIGNATURES } from "./catalog.js";

export { renderSignaturesMarkdown, renderSignaturesTable, CATEGORY_ORDER } from "./docs.js";

/** Every built-in signature, sorted by id. */
export const SIGNATURES: readonly Signature[] = ALL_SIGNATURES;

const BY_ID = new Map(ALL_SIGNATURES.map((s) => [s.id, s]));

export function signatureById(id: string): Signature | undefined {
  return BY_ID.get(id);
}
