import {
  DEFAULT_APP_VERSION,
  type InstanceConfig,
  type MysqlVersion,
  type OrderableCloud,
  type SizeId,
} from "@cp/core";
import { decryptSecret } from "@cp/connectors";
import { db, pgPool, type Instance } from "@cp/db";
import type { InstanceRef, InstanceSpec } from "@cp/engine";

/** The secrets a configuration refers to (none: they are not read). */
function secretsUsed(config: InstanceConfig): string[] {
  return [
    ...(config.storage.mode === "byob" && config.storage.access.kind === "keys"
      ? ["storage.secretAccessKey"]
      : []),
    ...(config.sso.mode === "oidc" ? ["sso.clientSecret"] : []),
  ];
}

/**
 * Builds the engine's spec from the stored configuration and the decrypted secrets, just before use. `loaded`: the
 * instance's row when the caller has just read it (then only its org and the secrets its configuration uses are).
 */
export async function loadInstanceSpec(instanceId: string, loaded?: Instance): Promise<InstanceSpec> {
  const stored = loaded ?? (await db().instance.findUniqueOrThrow({ where: { id: instanceId } }));
  const used = secretsUsed(stored.config as unknown as InstanceConfig);
  const [org, secrets] = await Promise.all([
    // Through the pg pool: every operation reads it, and Prisma's per-call cost is most of the read's time.
    pgPool()
      .query<{ id: string; slug: string }>(`SELECT id, slug FROM "Organization" WHERE id = $1`, [
        stored.orgId,
      ])
      .then(({ rows }) => {
        if (!rows[0]) throw new Error(`The organization of instance ${stored.id} does not exist.`);
        return rows[0];
      }),
    used.length
      ? db().instanceSecret.findMany({ where: { instanceId: stored.id, name: { in: used } } })
      : Promise.resolve([]),
  ]);
  const i = { ...stored, org, secrets };
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
