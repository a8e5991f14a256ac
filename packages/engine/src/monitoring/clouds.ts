// The AWS and GCP collectors, apart from the package root: they name resources with @cp/infra-tenant, which pulls in
// the Pulumi SDK, and the console (which imports the root) must not bundle that. Only the worker imports this.
export * from "./cloudwatch";
export * from "./cloud-monitoring";
