// Schemas the release procedures share: a catalog row as the console shows it.
import { z } from "zod";

export const ZSupportState = z.enum(["supported", "ending", "ended"]);
export const ZReleaseChannel = z.enum(["stable", "beta"], { error: "must be stable or beta" });

export const ZReleaseView = z.object({
  version: z.string(),
  releasedAt: z.date(),
  notes: z.string(),
  channel: ZReleaseChannel,
  requiresVersion: z.string().nullable(),
  endOfSupportAt: z.date().nullable(),
  noRollback: z.boolean(),
  withdrawnAt: z.date().nullable(),
  withdrawnReason: z.string().nullable(),
  createdAt: z.date(),
  supportState: ZSupportState,
  orderable: z.boolean(),
  instanceCount: z.number().int(),
});

export const ZReleaseNotes = z.string().trim().max(20_000, "must be at most 20000 characters");
