/** The streaming log scanner of `doodba-ops doctor logs` (issue 6). */
export { LogScanner, scanText, maskSecrets, type ScanOptions } from "./scanner.js";
export { scanSource, scanSources, maybeGunzip, MAX_LINE, type LogSource } from "./stream.js";
export { parseRecords, RecordAssembler, MAX_EXTRA } from "./records.js";
export { parseHeader, parseOdooLine, parsePostgresLine, parseNginxLine, parseAccess, unwrapLine, isExceptionLine, type Header, type AccessLine } from "./parse.js";
export { SignatureMatcher, type SignatureMatch } from "./matcher.js";
