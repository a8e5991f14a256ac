// @cp/engine/pulumi: the AWS/GCP driver. Imported only by the worker, so the console never loads the cloud SDKs.
export { PulumiEngine, type PulumiEngineOptions } from "./engine";
export { MIN_CLI_VERSION } from "./cli";
