import {
  DEFAULT_APP_VERSION,
  type InstanceConfig,
  type MysqlVersion,
  type OrderableCloud,
  type SizeId,
} from "@cp/core";
import { decryptSecret } from "@cp/connectors";
import { db } from "@cp/db";
import type { InstanceRef, InstanceSpec } from "@cp/engine";

/** Builds the engine's spec from the stored configuration and the decrypted secrets, just before use. */
export async function loadInstanceSpec(instanceId: string): Promise<InstanceSpec> {
  const i = await db().instance.findUniqueOrThrow({
    where: { id: instanceId },
    include: { org: { select: { slug: true, id: true } }, secrets: true },
  });
  const config = i.config as unknown as InstanceConfig;
  const secret = (name: string) => {
    const row = i.secrets.find((s) => s.name === name);
    return row ? decryptSecret(row.ciphertext, { associatedData: `${i.id}:${name}` }) : "";
  };
  let storage: InstanceSpec["storage"] = { mode: "provider" };
  if (config.storage.mode === "byob") {
    const s = config.storage;
    const access: Extract<InstanceSpec["storage"], { mode: "byob" }>["access"] =
      s.access.kind === "keys"
        ? {
            kind: "keys",
            accessKeyId: s.access.accessKeyId,
            secretAccessKey: secret("storage.secretAccessKey"),
          }
        : s.access;
    storage = {
      mode: "byob",
      provider: i.cloud === "gcp" ? "gcs" : "s3",
      bucket: s.bucket,
      region: s.region,
      kmsKeyId: s.kmsKeyId,
      endpoint: s.endpoint,
      access,
    };
  }
  const sso: InstanceSpec["sso"] =
    config.sso.mode === "oidc"
      ? { ...config.sso, clientSecret: secret("sso.clientSecret") }
      : { mode: "provider" };
  return {
    instanceId: i.id,
    slug: i.slug,
    orgSlug: i.org.slug,
    cloud: i.cloud as OrderableCloud,
    region: i.region,
    size: i.size as SizeId,
    mysqlVersion: i.mysqlVersion as MysqlVersion,
    version: i.version ?? DEFAULT_APP_VERSION,
    storage,
    sso,
    reliability: config.reliability,
    ipAllowlist: config.ipAllowlist ?? [],
    backup: { retentionDays: i.backupRetentionDays, startTimeUtc: i.backupStartTime },
    tags: { "cp-instance": i.id, "cp-org": i.org.id, "cp-slug": i.slug },
  };
}

export function instanceRef(i: { id: string; slug: string; cloud: string; region: string }): InstanceRef {
  return { instanceId: i.id, slug: i.slug, cloud: i.cloud as OrderableCloud, region: i.region };
}
