import { describe, expect, it } from "vitest";
import type { EnvModel, OdooConfig, OdooOption, ServiceModel } from "../../../src/project/model.js";
import {
  MASTER_OVERHEAD_BYTES,
  connectionBudgets,
  connectionDemand,
  describeDemand,
  maxConnectionsFromArgv,
  maxConnectionsFromConf,
  memoryWorstCase,
  odooDbHost,
  odooProcesses,
  pgMaxConnections,
  poolCount,
  serviceForHost,
  suggestDbMaxconn,
} from "../../../src/check/lib/sizing.js";

function cfg(service: string, values: Record<string, string>): OdooConfig {
  const options: Record<string, OdooOption> = {};
  for (const [key, value] of Object.entries(values)) options[key] = { key, value, source: "conf.d" };
  return { service, options };
}

function svc(name: string, extra: Partial<ServiceModel> = {}): ServiceModel {
  return {
    name,
    environment: {},
    ports: [],
    expose: [],
    volumes: [],
    labels: {},
    networks: {},
    dependsOn: {},
    privileged: false,
    capAdd: [],
    raw: {},
    pos: { file: "prod.yaml", line: 1, col: 3 },
    ...extra,
  };
}

function env(services: ServiceModel[], odoo: OdooConfig[]): EnvModel {
  return {
    name: "prod",
    compose: {
      files: ["prod.yaml"],
      services: Object.fromEntries(services.map((s) => [s.name, s])),
      networks: {},
      volumes: {},
      secrets: {},
      raw: {},
      positions: {
        exact: () => undefined,
        at: (path) => ({ file: "prod.yaml", line: path.length, col: 1 }),
      },
    },
    variables: {},
    odoo,
    addons: [],
  };
}

describe("odooProcesses", () => {
  it("GIVEN no workers option WHEN read THEN it is the threaded server with Odoo's 2 cron threads", () => {
    expect(odooProcesses(cfg("odoo", {}))).toEqual({ workers: 0, cron: 2, prefork: false, http: true, gevent: false });
  });

  it("GIVEN workers=4 WHEN read THEN prefork with a gevent process", () => {
    const p = odooProcesses(cfg("odoo", { workers: "4", max_cron_threads: "1" }));
    expect(p).toMatchObject({ workers: 4, cron: 1, prefork: true, gevent: true });
  });

  it("GIVEN --no-http WHEN read THEN no gevent process", () => {
    const p = odooProcesses(cfg("cron", { workers: "2", http_enable: "False" }));
    expect(p).toMatchObject({ http: false, gevent: false });
  });

  it("GIVEN an unexpanded $WORKERS WHEN read THEN undefined (unknown, not 0)", () => {
    expect(odooProcesses(cfg("odoo", { workers: "$WORKERS" }))).toBeUndefined();
  });
});

describe("memoryWorstCase", () => {
  it("GIVEN 4 workers, 2 cron and hard 2560 MiB WHEN computed THEN 6 × hard + the master allowance", () => {
    const m = memoryWorstCase(cfg("odoo", { workers: "4", max_cron_threads: "2", limit_memory_hard: "2684354560" }));
    expect(m?.limited).toBe(6);
    expect(m?.total).toBe(6 * 2684354560 + MASTER_OVERHEAD_BYTES);
  });

  it("GIVEN the threaded server WHEN computed THEN undefined (limits are per worker)", () => {
    expect(memoryWorstCase(cfg("odoo", { workers: "0" }))).toBeUndefined();
  });

  it("GIVEN limit_memory_hard 0 (no limit) WHEN computed THEN undefined", () => {
    expect(memoryWorstCase(cfg("odoo", { workers: "2", limit_memory_hard: "0" }))).toBeUndefined();
  });

  it("GIVEN a cron-only instance WHEN computed THEN only cron workers count", () => {
    const m = memoryWorstCase(cfg("cron", { workers: "2", max_cron_threads: "3", http_enable: "False" }));
    expect(m?.limited).toBe(3);
  });
});

describe("connectionDemand", () => {
  it("GIVEN prefork with defaults WHEN computed THEN (1 + workers + cron) × 64", () => {
    const d = connectionDemand(cfg("odoo", { workers: "4" }));
    expect(d?.total).toBe((1 + 4 + 2) * 64);
    expect(describeDemand(d!)).toBe("(1 gevent + 4 workers + 2 cron) × db_maxconn 64 = 448");
  });

  it("GIVEN the threaded server WHEN computed THEN one pool of db_maxconn", () => {
    expect(connectionDemand(cfg("odoo", { db_maxconn: "32" }))?.total).toBe(32);
  });

  it("GIVEN db_maxconn_gevent WHEN computed THEN the gevent pool uses it", () => {
    const d = connectionDemand(cfg("odoo", { workers: "2", max_cron_threads: "1", db_maxconn: "8", db_maxconn_gevent: "20" }));
    expect(d?.total).toBe(3 * 8 + 20);
  });

  it("GIVEN 3 replicas WHEN computed THEN multiplied", () => {
    const d = connectionDemand(cfg("odoo", { workers: "2", max_cron_threads: "0", db_maxconn: "10" }), svc("odoo", { replicas: 3 }));
    expect(d?.total).toBe(3 * 30);
    expect(describeDemand(d!)).toContain("3 replicas");
  });
});

describe("maxConnectionsFromArgv", () => {
  it("GIVEN -c max_connections=200 WHEN parsed THEN 200 at the value's index", () => {
    expect(maxConnectionsFromArgv(["postgres", "-c", "max_connections=200"])).toEqual({ value: 200, index: 2 });
  });

  it("GIVEN the joined and long forms WHEN parsed THEN the last one wins", () => {
    expect(maxConnectionsFromArgv(["-cmax_connections=50", "--max-connections=300"])).toEqual({ value: 300, index: 1 });
  });

  it("GIVEN -N WHEN parsed THEN it is max_connections", () => {
    expect(maxConnectionsFromArgv(["postgres", "-N", "150"])?.value).toBe(150);
    expect(maxConnectionsFromArgv(["postgres", "-N250"])?.value).toBe(250);
  });

  it("GIVEN other settings only WHEN parsed THEN undefined; GIVEN a variable THEN null", () => {
    expect(maxConnectionsFromArgv(["postgres", "-c", "shared_buffers=1GB"])).toBeUndefined();
    expect(maxConnectionsFromArgv(["-c", "max_connections=${MAXCONN}"])).toBeNull();
  });
});

describe("maxConnectionsFromConf", () => {
  it("GIVEN CONF_EXTRA lines WHEN parsed THEN the last max_connections wins and comments are ignored", () => {
    expect(maxConnectionsFromConf("work_mem = 512MB\nmax_connections = 200 # web\n")).toBe(200);
    expect(maxConnectionsFromConf("# max_connections = 10\nwork_mem = 32MB")).toBeUndefined();
    expect(maxConnectionsFromConf("max_connections = '300'")).toBe(300);
  });
});

describe("pgMaxConnections", () => {
  it("GIVEN a postgres-autoconf service with CONF_EXTRA WHEN read THEN conf-extra", () => {
    const db = svc("db", { image: "ghcr.io/tecnativa/postgres-autoconf:15-alpine", environment: { CONF_EXTRA: "max_connections = 250\n" } });
    expect(pgMaxConnections(env([db], []), db)).toMatchObject({ value: 250, source: "conf-extra" });
  });

  it("GIVEN the command overrides CONF_EXTRA WHEN read THEN the command wins", () => {
    const db = svc("db", {
      image: "postgres:16",
      command: ["postgres", "-c", "max_connections=400"],
      environment: { CONF_EXTRA: "max_connections = 250" },
    });
    expect(pgMaxConnections(env([db], []), db)).toMatchObject({ value: 400, source: "command" });
  });

  it("GIVEN nothing set WHEN read THEN PostgreSQL's default 100 at the service", () => {
    const db = svc("db", { image: "postgres:16" });
    expect(pgMaxConnections(env([db], []), db)).toMatchObject({ value: 100, source: "default", pos: { line: 1 } });
  });

  it("GIVEN a custom config_file WHEN read THEN unknown", () => {
    const db = svc("db", { image: "postgres:16", command: ["postgres", "-c", "config_file=/etc/postgresql/postgresql.conf"] });
    expect(pgMaxConnections(env([db], []), db)).toBeUndefined();
  });
});

describe("hosts", () => {
  it("GIVEN db_host False WHEN read THEN a local socket, no host", () => {
    expect(odooDbHost(cfg("odoo", { db_host: "False" }))).toBeUndefined();
    expect(odooDbHost(cfg("odoo", { db_host: "db" }))).toBe("db");
  });

  it("GIVEN a network alias WHEN resolving THEN the aliased service", () => {
    const pg = svc("postgresql", { image: "postgres:16", networks: { default: { aliases: ["db"] } } });
    expect(serviceForHost(env([pg], []), "db")?.name).toBe("postgresql");
  });
});

describe("connectionBudgets", () => {
  it("GIVEN two Odoo services on one db WHEN budgeted THEN their demands add up against max_connections", () => {
    const db = svc("db", { image: "postgres:16" });
    const web = svc("odoo");
    const cron = svc("odoo-cron");
    const e = env(
      [db, web, cron],
      [
        cfg("odoo", { db_host: "db", workers: "4", max_cron_threads: "0" }),
        cfg("odoo-cron", { db_host: "db", workers: "1", max_cron_threads: "2", http_enable: "False" }),
      ],
    );
    const [b] = connectionBudgets(e);
    expect(b?.total).toBe(5 * 64 + 2 * 64);
    expect(b?.maxConnections.value).toBe(100);
    expect(b?.complete).toBe(true);
  });

  it("GIVEN a pgbouncer host WHEN budgeted THEN no budget (its limit is not PostgreSQL's)", () => {
    const bouncer = svc("db", { image: "edoburu/pgbouncer:1.21" });
    const e = env([bouncer, svc("odoo")], [cfg("odoo", { db_host: "db", workers: "8" })]);
    expect(connectionBudgets(e)).toEqual([]);
  });

  it("GIVEN a managed database outside compose WHEN budgeted THEN nothing", () => {
    const e = env([svc("odoo")], [cfg("odoo", { db_host: "pg.example.com", workers: "8" })]);
    expect(connectionBudgets(e)).toEqual([]);
  });
});

describe("suggestDbMaxconn", () => {
  it("GIVEN 100 connections and 7 processes WHEN suggesting THEN floor((100 - 10) / 7)", () => {
    expect(suggestDbMaxconn(100, 7)).toBe(12);
  });

  it("GIVEN too many processes WHEN suggesting THEN undefined", () => {
    expect(suggestDbMaxconn(20, 10)).toBeUndefined();
  });
});

describe("poolCount", () => {
  it("GIVEN prefork with gevent, threaded, and replicas WHEN counted THEN one pool per process per replica", () => {
    expect(poolCount(connectionDemand(cfg("odoo", { workers: "4", max_cron_threads: "2" }))!)).toBe(7);
    expect(poolCount(connectionDemand(cfg("odoo", {}))!)).toBe(1);
    expect(poolCount(connectionDemand(cfg("odoo", { workers: "2", max_cron_threads: "0" }), svc("odoo", { replicas: 2 }))!)).toBe(6);
  });
});
