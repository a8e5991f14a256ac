// The application's secrets (OIDC client secret, BYOB access keys) in Secret Manager, readable only by the
// application's service account.
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { appSecrets } from "../input";
import type { GcpContext } from "./context";

export function createAppSecrets(
  ctx: GcpContext,
  appServiceAccount: gcp.serviceaccount.Account,
): gcp.secretmanager.Secret {
  const secret = new gcp.secretmanager.Secret(
    "app-secret",
    { secretId: ctx.name("app"), project: ctx.project, replication: { auto: {} }, labels: ctx.labels },
    ctx.opts,
  );
  new gcp.secretmanager.SecretVersion(
    "app-secret-value",
    { secret: secret.id, secretData: appSecrets(ctx.input) },
    ctx.opts,
  );
  new gcp.secretmanager.SecretIamMember(
    "app-secret-access",
    {
      secretId: secret.id,
      role: "roles/secretmanager.secretAccessor",
      member: pulumi.interpolate`serviceAccount:${appServiceAccount.email}`,
    },
    ctx.opts,
  );
  return secret;
}
