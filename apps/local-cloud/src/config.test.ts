import { ConfigError } from "@cp/config";
import { loadLocalCloudConfig, LOCAL_CLOUD_DEFAULTS } from "@cp/config/local-cloud";
import { describe, expect, it } from "vitest";

describe("local cloud configuration", () => {
  it("has local defaults matching scripts/services.sh", () => {
    const c = loadLocalCloudConfig({});
    expect(c.port).toBe(4300);
    expect(c.publicPorts).toEqual({ first: 4401, last: 4599 });
    expect(c.mysql).toEqual({
      host: "127.0.0.1",
      port: 53306,
      user: "cloud",
      password: LOCAL_CLOUD_DEFAULTS.mysqlPassword,
    });
    expect(c.s3).toEqual({
      endpoint: "http://127.0.0.1:59000",
      accessKeyId: "S3RVER",
      secretAccessKey: "S3RVER",
    });
    expect(c.backoff).toEqual({ initialMs: 200, maxMs: 10_000 });
    expect(c.backupBucket).toBe("cp-backups");
    expect(c.token).toBeUndefined();
  });

  it("derives the S3 endpoint from the s3rver port unless set", () => {
    expect(loadLocalCloudConfig({ CP_LOCAL_S3_PORT: "59001" }).s3.endpoint).toBe("http://127.0.0.1:59001");
    expect(loadLocalCloudConfig({ CP_LOCAL_CLOUD_S3_ENDPOINT: "http://s3.local:9000" }).s3.endpoint).toBe(
      "http://s3.local:9000",
    );
  });

  it("takes the backup bucket from CP_LOCAL_CLOUD_BACKUP_BUCKET and refuses a name S3 would not take", () => {
    expect(loadLocalCloudConfig({ CP_LOCAL_CLOUD_BACKUP_BUCKET: "dev-backups" }).backupBucket).toBe(
      "dev-backups",
    );
    expect(() => loadLocalCloudConfig({ CP_LOCAL_CLOUD_BACKUP_BUCKET: "Backups_1" })).toThrow(
      /CP_LOCAL_CLOUD_BACKUP_BUCKET: must be a bucket name/,
    );
    expect(() => loadLocalCloudConfig({ CP_LOCAL_CLOUD_BACKUP_BUCKET: "t-backups" })).toThrow(
      /CP_LOCAL_CLOUD_BACKUP_BUCKET: must not start with "t-"/,
    );
  });

  it("names the variable that is wrong", () => {
    expect(() => loadLocalCloudConfig({ CP_LOCAL_CLOUD_PUBLIC_PORTS: "4599-4401" })).toThrow(
      /CP_LOCAL_CLOUD_PUBLIC_PORTS/,
    );
    expect(() => loadLocalCloudConfig({ CP_LOCAL_CLOUD_TOKEN: "short" })).toThrow(/CP_LOCAL_CLOUD_TOKEN/);
    expect(() =>
      loadLocalCloudConfig({
        CP_LOCAL_CLOUD_BACKOFF_INITIAL_MS: "500",
        CP_LOCAL_CLOUD_BACKOFF_MAX_MS: "100",
      }),
    ).toThrow(/CP_LOCAL_CLOUD_BACKOFF_MAX_MS/);
  });

  it("sends 4 synthetic requests per second by default, and allows faults only in tests unless told", () => {
    expect(loadLocalCloudConfig({}).trafficRps).toBe(4);
    expect(loadLocalCloudConfig({ LOCAL_CLOUD_TRAFFIC_RPS: "0" }).trafficRps).toBe(0);
    expect(() => loadLocalCloudConfig({ LOCAL_CLOUD_TRAFFIC_RPS: "-1" })).toThrow(/LOCAL_CLOUD_TRAFFIC_RPS/);
    expect(loadLocalCloudConfig({}).allowFaults).toBe(false);
    expect(loadLocalCloudConfig({ CP_MODE: "test" }).allowFaults).toBe(true);
    expect(loadLocalCloudConfig({ CP_MODE: "test", LOCAL_CLOUD_ALLOW_FAULTS: "0" }).allowFaults).toBe(false);
    expect(loadLocalCloudConfig({ LOCAL_CLOUD_ALLOW_FAULTS: "1" }).allowFaults).toBe(true);
    expect(() => loadLocalCloudConfig({ LOCAL_CLOUD_ALLOW_FAULTS: "maybe" })).toThrow(
      /LOCAL_CLOUD_ALLOW_FAULTS/,
    );
  });

  it("refuses the demo MariaDB password in production", () => {
    expect(() => loadLocalCloudConfig({ CP_MODE: "production" })).toThrow(ConfigError);
    expect(
      loadLocalCloudConfig({ CP_MODE: "production", CP_LOCAL_CLOUD_MYSQL_PASSWORD: "a-real-one" }).mode,
    ).toBe("production");
  });
});
