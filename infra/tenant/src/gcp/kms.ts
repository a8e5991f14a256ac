import * as gcp from "@pulumi/gcp";
import type { GcpContext } from "./context";

/** A key ring and a rotating key for the instance: Cloud SQL and the bucket are encrypted with it (CMEK). */
export function createKey(ctx: GcpContext): gcp.kms.CryptoKey {
  const ring = new gcp.kms.KeyRing(
    "key-ring",
    // Key rings cannot be deleted in GCP: destroy forgets it, and a later instance gets a new name.
    { name: ctx.name(ctx.unique), location: ctx.input.region, project: ctx.project },
    ctx.opts,
  );
  return new gcp.kms.CryptoKey(
    "key",
    {
      name: "data",
      keyRing: ring.id,
      purpose: "ENCRYPT_DECRYPT",
      rotationPeriod: `${90 * 24 * 3600}s`,
      labels: ctx.labels,
    },
    ctx.opts,
  );
}
