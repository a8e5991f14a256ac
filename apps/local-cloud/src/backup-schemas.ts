// Bodies of the backup API (POST .../backups, .../backups/verify, .../restore). The artifact is what a backup task
// returned (the engine's BackupArtifact); only the fields the daemon relies on are checked, others are ignored.
import { z } from "zod";
import { ID_PATTERN, ID_RULE } from "./backup-layout";
import { SLUG_PATTERN } from "./naming";

const ZId = z.string().regex(ID_PATTERN, ID_RULE);

export const ZTableDigest = z.object({
  name: z.string().min(1).max(64),
  rows: z.number().int().min(0),
  checksum: z.string().regex(/^(\d+|null)$/, "must be a decimal checksum"),
});

export const ZArtifact = z.object({
  driver: z.literal("local", { error: 'must be "local": the backup was made by another driver' }),
  location: z.string().startsWith("s3://", 'must be an s3:// location, e.g. "s3://cp-backups/acme/b1/"'),
  sizeBytes: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 in lower-case hex"),
  tables: z.array(ZTableDigest).max(10_000).nullable(),
});

export type Artifact = z.infer<typeof ZArtifact>;

export const ZBackupRequest = z.object({ backupId: ZId }).strict();

export const ZVerifyRequest = z.object({ requestId: ZId, artifact: ZArtifact }).strict();

export const ZRestoreRequest = z
  .object({
    requestId: ZId,
    artifact: ZArtifact,
    /** The instance the backup was taken from; when it differs from the target, its bucket objects are copied. */
    sourceSlug: z.string().regex(SLUG_PATTERN, "must be an instance slug such as acme-prod"),
  })
  .strict();
