// PulumiEngine's backups and restores: the engine delegates to the snapshot code (real cloud SDK clients against the
// local RDS / Cloud SQL stand-ins) and, after a restore, refreshes and re-applies the stack (stand-in Pulumi CLI).
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { auth } from "@googleapis/sqladmin";
import { databaseInstanceName } from "@cp/infra-tenant";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EngineError, type EngineHooks, type InstanceRef, type InstanceSpec } from "../types";
import { installFakePulumi, type FakePulumi } from "./fake-pulumi-cli";
import { PulumiEngine, type PulumiEngineOptions } from "./index";
import { snapshotName } from "./snapshots-aws";
import { startFakeCloudSql, type FakeCloudSql } from "./testing/fake-cloud-sql";
import { startFakeRds, type FakeRds } from "./testing/fake-rds";

let cli: FakePulumi;
let rds: FakeRds;
let cloudSql: FakeCloudSql;
beforeEach(async () => {
  cli = await installFakePulumi(await mkdtemp(path.join(os.tmpdir(), "cp-pulumi-backups-")));
  rds = await startFakeRds({ region: "us-east-1" });
  rds.addInstance("cp-acme-db");
  cloudSql = await startFakeCloudSql({ project: "cp-tenants-test" });
});
afterEach(async () => {
  await Promise.all([rds.close(), cloudSql.close()]);
  await rm(cli.root, { recursive: true, force: true });
});

function engine(cloud: "aws" | "gcp" = "aws", options: Partial<PulumiEngineOptions> = {}): PulumiEngine {
  const google = new auth.OAuth2();
  google.setCredentials({ access_token: cloudSql.token, expiry_date: Date.now() + 3_600_000 });
  return new PulumiEngine({
    cloud,
    command: cli.command,
    backendUrl: cli.backendUrl,
    secretsProvider: "passphrase",
    projectName: `cp-tenant-${cloud}`,
    workDir: path.join(cli.root, "worker"),
    baseDomain: "fake.example",
    hostedZoneId: "Z0FAKE",
    gcpProject: "cp-tenants-test",
    envVars: { PULUMI_CONFIG_PASSPHRASE: "test-only" },
    snapshots: {
      rds: { endpoint: rds.endpoint, credentials: { accessKeyId: "AKIAFAKE", secretAccessKey: "fake" } },
      cloudSql: { rootUrl: cloudSql.rootUrl, auth: google },
      poll: { intervalMs: 1, timeoutMs: 10_000 },
    },
    ...options,
  });
}

function spec(cloud: "aws" | "gcp" = "aws"): InstanceSpec {
  return {
    instanceId: cloud === "aws" ? "inst_1" : "inst_9",
    slug: cloud === "aws" ? "acme" : "globex",
    orgSlug: "acme-org",
    cloud,
    region: cloud === "aws" ? "us-east-1" : "europe-west4",
    size: "small",
    mysqlVersion: "8.0",
    version: "0.64.0",
    storage: { mode: "provider" },
    sso: { mode: "provider" },
    reliability: { externalRedis: false, rateLimits: { filestream: 20, graphql: 200 } },
    ipAllowlist: [],
    backup: { retentionDays: 7, startTimeUtc: "02:00" },
    tags: {},
  };
}

const refOf = (s: InstanceSpec): InstanceRef => ({
  instanceId: s.instanceId,
  slug: s.slug,
  cloud: s.cloud,
  region: s.region,
});

function recorder(signal: AbortSignal = new AbortController().signal) {
  const logs: string[] = [];
  const progress: { step: string; percent: number }[] = [];
  const hooks: EngineHooks = {
    log: (m) => logs.push(m),
    progress: (step, percent) => progress.push({ step, percent }),
    signal,
  };
  return { hooks, logs, progress };
}

async function rejection(promise: Promise<unknown>): Promise<EngineError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EngineError);
    return error as EngineError;
  }
  throw new Error("expected the promise to reject");
}

async function cliCommands(): Promise<string[]> {
  return (await cli.calls()).flatMap((c) => (c.args ? [c.args[0]!] : []));
}

describe("PulumiEngine backups", { timeout: 30_000 }, () => {
  it("backs up through the RDS API without needing the Pulumi CLI", async () => {
    const e = engine("aws", { command: path.join(cli.root, "missing", "bin", "pulumi") });
    expect((await e.available()).ok).toBe(false);
    const artifact = await e.backup(refOf(spec()), { backupId: "bk_01" }, recorder().hooks);
    expect(artifact.driver).toBe("pulumi-aws");
    expect(artifact.location).toMatch(/^arn:aws:rds:us-east-1:\d{12}:snapshot:cp-acme-db-bk-01-/);
    expect(await cli.calls()).toEqual([]);
  });

  it("restores: swaps the database in, then refreshes the stack and re-applies its stored spec", async () => {
    const e = engine();
    await e.apply(spec(), recorder().hooks);
    const ref = refOf(spec());
    const artifact = await e.backup(ref, { backupId: "bk_01" }, recorder().hooks);
    const before = (await cliCommands()).length;

    const r = recorder();
    await e.restore(ref, artifact, { requestId: "op_restore", source: ref }, r.hooks);
    expect(rds.instances.get("cp-acme-db")?.restoredFrom).toBe(artifact.details.snapshotId);
    expect((await cliCommands()).slice(before)).toEqual(
      expect.arrayContaining(["config", "refresh", "preview", "up"]),
    );
    const after = (await cliCommands()).slice(before);
    expect(after.indexOf("refresh")).toBeLessThan(after.indexOf("up"));
    const percents = r.progress.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(r.progress.at(-1)).toEqual({ step: "Done", percent: 100 });
  });

  it("touches no database when the instance has no stack to re-apply after a restore", async () => {
    const e = engine();
    const ref = refOf(spec());
    const artifact = await e.backup(ref, { backupId: "bk_01" }, recorder().hooks);
    rds.calls.length = 0;
    const error = await rejection(
      e.restore(ref, artifact, { requestId: "op_restore", source: ref }, recorder().hooks),
    );
    expect(error.code).toBe("NOT_FOUND");
    expect(rds.calls).toEqual([]);
  });

  it("verifies and deletes backups, and refuses a backup made by another driver", async () => {
    const e = engine();
    const ref = refOf(spec());
    const artifact = await e.backup(ref, { backupId: "bk_01" }, recorder().hooks);
    expect(await e.verifyBackup(ref, artifact, { requestId: "op_verify" }, recorder().hooks)).toMatchObject({
      ok: true,
      checked: { tables: 0, rows: 0 },
    });
    await e.deleteBackup(ref, artifact);
    await e.deleteBackup(ref, artifact);
    expect(rds.snapshots.get(String(artifact.details.snapshotId))?.Status).toBe("deleting");

    const local = { ...artifact, driver: "local", location: "s3://backups/acme/bk_01" };
    const error = await rejection(e.deleteBackup(ref, local));
    expect(error.code).toBe("FAILED");
    expect(error.message).toMatch(/made by the local driver/);
  });

  it("stops a running backup through cancel(ref)", async () => {
    rds.stuck.add(snapshotName("cp-acme-db", "bk_01"));
    const e = engine();
    const ref = refOf(spec());
    const hooks: EngineHooks = {
      ...recorder().hooks,
      progress: (_step, percent) => percent > 1 && void e.cancel(ref),
    };
    const error = await rejection(e.backup(ref, { backupId: "bk_01" }, hooks));
    expect(error.code).toBe("CANCELLED");
  });

  it("backs up and restores a GCP instance through the Cloud SQL Admin API", async () => {
    const e = engine("gcp");
    const s = spec("gcp");
    cloudSql.addInstance(databaseInstanceName(s));
    await e.apply(s, recorder().hooks);
    const ref = refOf(s);
    const artifact = await e.backup(ref, { backupId: "bk_01" }, recorder().hooks);
    expect(artifact).toMatchObject({ driver: "pulumi-gcp" });
    expect(artifact.location).toMatch(
      new RegExp(`^projects/cp-tenants-test/instances/${databaseInstanceName(s)}/backupRuns/\\d+$`),
    );
    await e.restore(ref, artifact, { requestId: "op_restore", source: ref }, recorder().hooks);
    expect(cloudSql.restores).toEqual([
      expect.objectContaining({
        instance: databaseInstanceName(s),
        backupRunId: artifact.details.backupRunId,
      }),
    ]);
    expect(await cliCommands()).toContain("refresh");
  });
});
