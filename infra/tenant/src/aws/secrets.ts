// The application's secrets (OIDC client secret, BYOB access keys) in Secrets Manager, encrypted with the instance's
// key and readable only by the application role, together with the database credentials RDS keeps.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { appSecrets } from "../input";
import type { AwsContext } from "./context";

export function createAppSecrets(
  ctx: AwsContext,
  key: aws.kms.Key,
  appRole: aws.iam.Role,
  databaseSecretArn: pulumi.Input<string>,
): aws.secretsmanager.Secret {
  const secret = new aws.secretsmanager.Secret(
    "app-secret",
    {
      namePrefix: `${ctx.name("app")}-`,
      kmsKeyId: key.arn,
      recoveryWindowInDays: ctx.flags.teardown ? 0 : 7,
      tags: ctx.tags,
    },
    ctx.opts,
  );
  new aws.secretsmanager.SecretVersion(
    "app-secret-value",
    { secretId: secret.id, secretString: appSecrets(ctx.input) },
    ctx.opts,
  );
  new aws.iam.RolePolicy(
    "app-secrets",
    {
      role: appRole.id,
      policy: pulumi.all([secret.arn, databaseSecretArn, key.arn]).apply(([appArn, dbArn, keyArn]) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
              Resource: [appArn, dbArn].filter(Boolean),
            },
            { Effect: "Allow", Action: ["kms:Decrypt", "kms:DescribeKey"], Resource: [keyArn] },
          ],
        }),
      ),
    },
    ctx.opts,
  );
  return secret;
}
