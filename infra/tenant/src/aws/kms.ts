import * as aws from "@pulumi/aws";
import type { AwsContext } from "./context";

/** One customer-managed key per instance: database storage, bucket objects, secrets and Kubernetes secrets. */
export function createKey(ctx: AwsContext): aws.kms.Key {
  const key = new aws.kms.Key(
    "key",
    {
      description: `Control plane: instance ${ctx.input.slug} (${ctx.input.instanceId})`,
      enableKeyRotation: true,
      // Deleting a key makes its snapshots unreadable: keep the longest window AWS allows.
      deletionWindowInDays: 30,
      tags: ctx.tags,
    },
    ctx.opts,
  );
  new aws.kms.Alias("key-alias", { name: `alias/${ctx.name()}`, targetKeyId: key.keyId }, ctx.opts);
  return key;
}
