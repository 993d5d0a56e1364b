import type { Rule } from "../../types.js";
import { rule as addonInTwoRepos } from "./addon-in-two-repos.js";
import { rule as addonsRepoWithoutSource } from "./addons-repo-without-source.js";
import { rule as cronOnEveryReplica } from "./cron-on-every-replica.js";
import { rule as dbDataNotOnVolume } from "./db-data-not-on-volume.js";
import { rule as dependsOnNotHealthy } from "./depends-on-not-healthy.js";
import { rule as filestoreNotOnVolume } from "./filestore-not-on-volume.js";
import { rule as imageUnpinned } from "./image-unpinned.js";
import { rule as noBackup } from "./no-backup.js";
import { rule as noHealthcheck } from "./no-healthcheck.js";
import { rule as noRestartPolicy } from "./no-restart-policy.js";
import { rule as odooVersionEndOfLife } from "./odoo-version-end-of-life.js";
import { rule as postgresEndOfLife } from "./postgres-end-of-life.js";
import { rule as postgresVersionUnsupported } from "./postgres-version-unsupported.js";
import { rule as repoMergesUnpinned } from "./repo-merges-unpinned.js";
import { rule as websocketRoutePathWrong } from "./websocket-route-path-wrong.js";
import { rule as websocketRouteWithoutWorkers } from "./websocket-route-without-workers.js";
import { rule as workersNotSet } from "./workers-not-set.js";

/** Rules of the reliability category. Add each rule file's export here, sorted by id. */
export const reliabilityRules: Rule[] = [
  addonInTwoRepos,
  addonsRepoWithoutSource,
  cronOnEveryReplica,
  dbDataNotOnVolume,
  dependsOnNotHealthy,
  filestoreNotOnVolume,
  imageUnpinned,
  noBackup,
  noHealthcheck,
  noRestartPolicy,
  odooVersionEndOfLife,
  postgresEndOfLife,
  postgresVersionUnsupported,
  repoMergesUnpinned,
  websocketRoutePathWrong,
  websocketRouteWithoutWorkers,
  workersNotSet,
];
