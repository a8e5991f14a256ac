import { describe, expect, it } from "vitest";
import { ZBackupRequest, ZRestoreRequest, ZVerifyRequest } from "./backup-schemas";

const artifact = {
  driver: "local",
  location: "s3://cp-backups/acme/b1/",
  sizeBytes: 10,
  sha256: "a".repeat(64),
  durationMs: 5,
  tables: [{ name: "runs", rows: 1, checksum: "123" }],
  bucketManifest: null,
  details: { mysqlVersion: "10.11" },
};
const firstIssue = (r: {
  success: boolean;
  error?: { issues: { path: PropertyKey[]; message: string }[] };
}) => (r.error ? `${r.error.issues[0]!.path.join(".")}: ${r.error.issues[0]!.message}` : "ok");

describe("backup request bodies", () => {
  it("accept what the engine sends (extra artifact fields are ignored)", () => {
    expect(ZBackupRequest.parse({ backupId: "cmb1x2y3z" })).toEqual({ backupId: "cmb1x2y3z" });
    expect(ZVerifyRequest.parse({ requestId: "op_1", artifact }).artifact).not.toHaveProperty("details");
    expect(ZRestoreRequest.parse({ requestId: "op_1", artifact, sourceSlug: "acme" }).sourceSlug).toBe(
      "acme",
    );
  });

  it("name the field that is wrong", () => {
    expect(firstIssue(ZBackupRequest.safeParse({ backupId: "../x" }))).toMatch(/^backupId: must be 1-128/);
    expect(
      firstIssue(ZVerifyRequest.safeParse({ requestId: "r", artifact: { ...artifact, driver: "pulumi" } })),
    ).toMatch(/^artifact\.driver: must be "local"/);
    expect(
      firstIssue(ZVerifyRequest.safeParse({ requestId: "r", artifact: { ...artifact, sha256: "xyz" } })),
    ).toMatch(/^artifact\.sha256: must be a SHA-256/);
    expect(firstIssue(ZRestoreRequest.safeParse({ requestId: "r", artifact, sourceSlug: "Acme!" }))).toMatch(
      /^sourceSlug: must be an instance slug/,
    );
  });
});
