import type { Rule } from "../../types.js";
import { rule as dangerousCapabilities } from "./dangerous-capabilities.js";
import { rule as dbManagerExposed } from "./db-manager-exposed.js";
import { rule as dbfilterMatchesAll } from "./dbfilter-matches-all.js";
import { rule as defaultAdminPassword } from "./default-admin-password.js";
import { rule as defaultDbPassword } from "./default-db-password.js";
import { rule as dockerSocketMounted } from "./docker-socket-mounted.js";
import { rule as hstsWithoutMaxAge } from "./hsts-without-max-age.js";
import { rule as inlineSecretInCompose } from "./inline-secret-in-compose.js";
import { rule as listDbEnabled } from "./list-db-enabled.js";
import { rule as odooPortPublic } from "./odoo-port-public.js";
import { rule as postgresPortPublic } from "./postgres-port-public.js";
import { rule as postgresTrustAuth } from "./postgres-trust-auth.js";
import { rule as privilegedContainer } from "./privileged-container.js";
import { rule as prodDomainWithoutTls } from "./prod-domain-without-tls.js";
import { rule as proxyModeOffBehindProxy } from "./proxy-mode-off-behind-proxy.js";
import { rule as proxyModeWithoutProxy } from "./proxy-mode-without-proxy.js";
import { rule as secretsDirNotIgnored } from "./secrets-dir-not-ignored.js";
import { rule as sshKeysNotIgnored } from "./ssh-keys-not-ignored.js";

/** Rules of the security category. Add each rule file's export here, sorted by id. */
export const securityRules: Rule[] = [
  dangerousCapabilities,
  dbManagerExposed,
  dbfilterMatchesAll,
  defaultAdminPassword,
  defaultDbPassword,
  dockerSocketMounted,
  hstsWithoutMaxAge,
  inlineSecretInCompose,
  listDbEnabled,
  odooPortPublic,
  postgresPortPublic,
  postgresTrustAuth,
  privilegedContainer,
  prodDomainWithoutTls,
  proxyModeOffBehindProxy,
  proxyModeWithoutProxy,
  secretsDirNotIgnored,
  sshKeysNotIgnored,
];
