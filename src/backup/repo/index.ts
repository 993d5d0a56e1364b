/**
 * The backup repository API (issue 5). Typical backup:
 *
 *   const repo = await openRepo(openStore(url), { identity });
 *   await repo.withLock({ purpose: "backup" }, async () => {
 *     const prev = await repo.latestSnapshot((s) => s.filestore?.db === db);
 *     const dump = await repo.putObject(pgDumpStdout);                 // chunked, deduplicated
 *     const fs = await backupFilestore(repo, dir, prev?.filestore?.files, progress);
 *     await repo.writeSnapshot({ ...manifest, id: repo.newSnapshotId() }); // last, atomic
 *   });
 */
export { initRepo, openRepo, Repo, objectKey, validateManifest, summarize, manifestObjects, isSafeRelativePath, CONFIG_KEY, DEFAULT_CHUNK_SIZE } from "./repo.js";
export type { RepoOptions, InitOptions, RepoCounters, SnapshotSummary, VerifyReport, ObjectProblem, PruneOptions, PruneResult } from "./repo.js";
export { backupFilestore, restoreFilestore, scanFilestore } from "./filestore.js";
export type { FilestoreBackup, FilestoreStats, FilestoreScan } from "./filestore.js";
export { planRetention, isoWeek } from "./retention.js";
export type { RetentionPolicy, RetentionPlan, RetentionInput } from "./retention.js";
export { LOCK_KEY, RepoLock } from "./lock.js";
export type { LockInfo, LockOptions } from "./lock.js";
export { MissingObjectError, CorruptObjectError } from "./errors.js";
export { generateKey, recipientOf, parseIdentities, AgeEncryptor, AgeDecryptor, AgeNoMatchError, AgeCorruptError } from "./age.js";
export { compressionPays, looksCompressed } from "./codec.js";
