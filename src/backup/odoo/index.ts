/**
 * The Odoo and PostgreSQL side of `doodba-ops backup` (issue 5): dumps with consistent row
 * counts, restores following Odoo's steps (copy, neutralize), the filestore on disk, Odoo zip
 * import/export, and the restore test of `backup verify`.
 */
export { type PgConn, maskUrl, maskSecrets, checkDbName, ODOO_DBNAME_PATTERN } from "./conn.js";
export { PgToolError } from "./pg.js";
export { dumpDatabase, majorFromModuleVersion, type DumpOptions, type DumpInfo, type StreamDump, type DirectoryDump, type OdooDbInfo } from "./dump.js";
export { restoreDatabase, dropDatabase, checkDatabaseTarget, createOdooDatabase, startSpool, type Spool, type RestoreSource, type RestoreOptions, type RestoreResult } from "./restore.js";
export { applyCopy, copyParameters, type CopyOptions, type CopyResult } from "./copy.js";
export { neutralizeDatabase, type NeutralizeOptions, type NeutralizeReport, type NeutralizeAction } from "./neutralize.js";
export { NEUTRALIZE_CATALOG } from "./neutralize-catalog.js";
export {
  filestoreDir,
  listFilestore,
  openFilestoreWriter,
  copyFilestore,
  checkFilestoreTarget,
  isContentAddressed,
  type FilestoreWriter,
  type FilestoreWriterOptions,
  type FilestoreRestoreResult,
  type LocalFile,
} from "./filestore.js";
export {
  exportOdooZip,
  writeOdooZip,
  openOdooZip,
  importOdooBackup,
  backupFileKind,
  plainSqlFromDump,
  filestoreSources,
  buildManifest,
  manifestJson,
  releaseFromMajor,
  type OdooManifest,
  type OdooRelease,
  type OdooZip,
  type ZipFileSource,
  type ImportOptions,
  type ImportResult,
} from "./zip.js";
export { restoreTest, countRows, compareRowCounts, PlainDumpRowCounter, type RestoreTestResult, type RowCountComparison } from "./verify.js";
export { filesOf, type FileIO, type BackupPlatform } from "./files.js";
export { ZipWriter, type ZipEntryOptions } from "./zipwriter.js";
