/**
 * The signature catalog: one file per signature. Order here is the order of the docs (by category, then id).
 */
import type { Signature } from "../types.js";
import { signature as addressInUse } from "./address-in-use.js";
import { signature as busLoopError } from "./bus-loop-error.js";
import { signature as concurrencyConflict } from "./concurrency-conflict.js";
import { signature as connectionPoolFull } from "./connection-pool-full.js";
import { signature as cronException } from "./cron-exception.js";
import { signature as cronJobFailed } from "./cron-job-failed.js";
import { signature as cronSkippedPendingModules } from "./cron-skipped-pending-modules.js";
import { signature as cronThreadDied } from "./cron-thread-died.js";
import { signature as databaseInitFailed } from "./database-init-failed.js";
import { signature as databaseNotFound } from "./database-not-found.js";
import { signature as databaseNotInitialized } from "./database-not-initialized.js";
import { signature as dbAuthFailed } from "./db-auth-failed.js";
import { signature as dbCreateDenied } from "./db-create-denied.js";
import { signature as dbUnreachable } from "./db-unreachable.js";
import { signature as dbfilterRejects } from "./dbfilter-rejects.js";
import { signature as deprecatedLongpollingPort } from "./deprecated-longpolling-port.js";
import { signature as diskFull } from "./disk-full.js";
import { signature as fetchmailFailed } from "./fetchmail-failed.js";
import { signature as fieldMissing } from "./field-missing.js";
import { signature as filestoreFileMissing } from "./filestore-file-missing.js";
import { signature as loginCooldown } from "./login-cooldown.js";
import { signature as loginFailed } from "./login-failed.js";
import { signature as mailDeliveryFailed } from "./mail-delivery-failed.js";
import { signature as moduleExternalDependency } from "./module-external-dependency.js";
import { signature as moduleImportError } from "./module-import-error.js";
import { signature as moduleNotLoadable } from "./module-not-loadable.js";
import { signature as moduleUnknownName } from "./module-unknown-name.js";
import { signature as permissionDenied } from "./permission-denied.js";
import { signature as pgConnectionSlotsExhausted } from "./pg-connection-slots-exhausted.js";
import { signature as pgOutOfMemory } from "./pg-out-of-memory.js";
import { signature as pgStatementCanceled } from "./pg-statement-canceled.js";
import { signature as proxyUpstreamTimeout } from "./proxy-upstream-timeout.js";
import { signature as proxyUpstreamUnreachable } from "./proxy-upstream-unreachable.js";
import { signature as requestException } from "./request-exception.js";
import { signature as runningAsRoot } from "./running-as-root.js";
import { signature as schemaOutOfDate } from "./schema-out-of-date.js";
import { signature as serverWideModuleFailed } from "./server-wide-module-failed.js";
import { signature as tooManyOpenFiles } from "./too-many-open-files.js";
import { signature as viewInvalid } from "./view-invalid.js";
import { signature as websocketBadHandshake } from "./websocket-bad-handshake.js";
import { signature as websocketNotRouted } from "./websocket-not-routed.js";
import { signature as wkhtmltopdfCrashed } from "./wkhtmltopdf-crashed.js";
import { signature as wkhtmltopdfMissing } from "./wkhtmltopdf-missing.js";
import { signature as wkhtmltopdfNetworkError } from "./wkhtmltopdf-network-error.js";
import { signature as workerCpuLimit } from "./worker-cpu-limit.js";
import { signature as workerCrashed } from "./worker-crashed.js";
import { signature as workerMaxRequest } from "./worker-max-request.js";
import { signature as workerMemoryHardLimit } from "./worker-memory-hard-limit.js";
import { signature as workerMemorySoftLimit } from "./worker-memory-soft-limit.js";
import { signature as workerTimeout } from "./worker-timeout.js";

/** Every built-in signature. */
export const ALL_SIGNATURES: readonly Signature[] = [
  addressInUse,
  busLoopError,
  concurrencyConflict,
  connectionPoolFull,
  cronException,
  cronJobFailed,
  cronSkippedPendingModules,
  cronThreadDied,
  databaseInitFailed,
  databaseNotFound,
  databaseNotInitialized,
  dbAuthFailed,
  dbCreateDenied,
  dbUnreachable,
  dbfilterRejects,
  deprecatedLongpollingPort,
  diskFull,
  fetchmailFailed,
  fieldMissing,
  filestoreFileMissing,
  loginCooldown,
  loginFailed,
  mailDeliveryFailed,
  moduleExternalDependency,
  moduleImportError,
  moduleNotLoadable,
  moduleUnknownName,
  permissionDenied,
  pgConnectionSlotsExhausted,
  pgOutOfMemory,
  pgStatementCanceled,
  proxyUpstreamTimeout,
  proxyUpstreamUnreachable,
  requestException,
  runningAsRoot,
  schemaOutOfDate,
  serverWideModuleFailed,
  tooManyOpenFiles,
  viewInvalid,
  websocketBadHandshake,
  websocketNotRouted,
  wkhtmltopdfCrashed,
  wkhtmltopdfMissing,
  wkhtmltopdfNetworkError,
  workerCpuLimit,
  workerCrashed,
  workerMaxRequest,
  workerMemoryHardLimit,
  workerMemorySoftLimit,
  workerTimeout,
];
