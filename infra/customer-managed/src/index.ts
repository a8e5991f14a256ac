// Install templates for customer-managed deployments: one Pulumi program per cloud, run by the customer in their own
// account. The console offers them as a download (bundle.ts) with the deployment's license; see README.md.
import * as pulumi from "@pulumi/pulumi";
import { awsProgram } from "./aws";
import { azureProgram } from "./azure";
import { readTemplateConfig, type TemplateOutputs } from "./config";
import { gcpProgram } from "./gcp";
import { TEMPLATE_PLATFORMS, type TemplatePlatform } from "./settings";

export type { AppSecretMaterial, TemplateConfig, TemplateOutputs, TemplateSecrets } from "./config";
export { readTemplateConfig } from "./config";
export * from "./settings";
export { awsProgram, azureProgram, gcpProgram };

/** The program for the stack's configured platform (`pulumi config set platform aws|gcp|azure`). */
export function templateProgram(): TemplateOutputs {
  const platform = new pulumi.Config().require("platform");
  if (!(TEMPLATE_PLATFORMS as readonly string[]).includes(platform)) {
    throw new Error(
      `platform must be "aws", "gcp" or "azure", not "${platform}": pulumi config set platform aws`,
    );
  }
  const config = readTemplateConfig(platform as TemplatePlatform);
  switch (config.settings.platform) {
    case "aws":
      return awsProgram(config);
    case "gcp":
      return gcpProgram(config);
    case "azure":
      return azureProgram(config);
  }
}
