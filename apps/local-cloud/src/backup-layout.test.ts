import { describe, expect, it } from "vitest";
import {
  backupPlace,
  bucketTotals,
  compareTables,
  dumpObjectOf,
  locationOf,
  LocationError,
  parseLocation,
  scratchDatabaseName,
} from "./backup-layout";

describe("backup locations", () => {
  it("round-trips s3://<bucket>/<slug>/<backupId>/", () => {
    const place = backupPlace("cp-backups", "acme-prod", "b_123");
    expect(locationOf(place)).toBe("s3://cp-backups/acme-prod/b_123/");
    expect(parseLocation("s3://cp-backups/acme-prod/b_123/", "cp-backups")).toEqual(place);
    expect(parseLocation("s3://cp-backups/acme-prod/b_123", "cp-backups").prefix).toBe("acme-prod/b_123/");
  });

  it("refuses other buckets, bad slugs and ids, naming the field", () => {
    expect(() => parseLocation("s3://other/acme-prod/b1/", "cp-backups", "artifact.location")).toThrow(
      /^artifact\.location: the backup is in bucket "other"/,
    );
    expect(() => parseLocation("s3://cp-backups/Acme/b1/", "cp-backups")).toThrow(/not an instance slug/);
    expect(() => parseLocation("s3://cp-backups/acme-prod/../", "cp-backups")).toThrow(LocationError);
    expect(() => parseLocation("https://cp-backups/acme-prod/b1/", "cp-backups")).toThrow(
      /must look like s3:/,
    );
    expect(() => parseLocation("s3://cp-backups/acme-prod/b1/extra/", "cp-backups")).toThrow(LocationError);
  });
});

describe("compareTables", () => {
  const dumped = [
    { name: "runs", rows: 3, checksum: "111" },
    { name: "users", rows: 2, checksum: "222" },
    { name: "gone", rows: 1, checksum: "333" },
  ];

  it("finds nothing when every table matches", () => {
    expect(compareTables(dumped, [...dumped].reverse())).toEqual({ problems: [], tables: 3, rows: 6 });
  });

  it("names each table that differs in rows or checksum, is missing or is extra", () => {
    const restored = [
      { name: "runs", rows: 2, checksum: "111" },
      { name: "users", rows: 2, checksum: "999" },
      { name: "extra", rows: 5, checksum: "1" },
    ];
    expect(compareTables(dumped, restored).problems).toEqual([
      "table runs: 2 rows restored, 3 dumped",
      "table users: checksum 999 restored, 222 dumped",
      "table gone: missing after the restore (1 rows dumped)",
      "table extra: present after the restore (5 rows) but not in the backup",
    ]);
  });
});

describe("helpers", () => {
  it("sums a bucket listing", () => {
    expect(
      bucketTotals([
        { key: "a", size: 3, etag: '"x"', lastModified: null },
        { key: "b", size: 4, etag: '"y"', lastModified: null },
      ]),
    ).toEqual({ objects: 2, bytes: 7 });
  });

  it("names scratch databases so that no instance can own one", () => {
    expect(scratchDatabaseName("a1b2c3d4e5f6")).toBe("t__verify_a1b2c3d4e5f6");
    expect(() => scratchDatabaseName("x`; DROP")).toThrow();
  });
});

describe("the dump object of a backup", () => {
  const database = { sizeBytes: 10, sha256: "0".repeat(64) };
  it("is database.sql.zst (zstd) now, and when there is no manifest to say otherwise", () => {
    expect(dumpObjectOf({ database: { ...database, key: "database.sql.zst", compression: "zstd" } })).toEqual(
      {
        key: "database.sql.zst",
        compression: "zstd",
      },
    );
    expect(dumpObjectOf(null)).toEqual({ key: "database.sql.zst", compression: "zstd" });
  });
  it("is the uncompressed database.sql in backups made before compression", () => {
    expect(dumpObjectOf({ database: { ...database, key: "database.sql" } })).toEqual({
      key: "database.sql",
      compression: "none",
    });
  });
  it("refuses a manifest naming any other object", () => {
    expect(() => dumpObjectOf({ database: { ...database, key: "../other/database.sql" } })).toThrow(
      /manifest/,
    );
  });
});
