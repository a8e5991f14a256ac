import { describe, expect, it } from "vitest";
import type { InstanceSpec } from "../types";
import { secretValues, specFromConfig, stackConfig } from "./stack-config";

const spec: InstanceSpec = {
  instanceId: "inst_1",
  slug: "acme",
  orgSlug: "acme-org",
  cloud: "gcp",
  region: "europe-west4",
  size: "recommended",
  mysqlVersion: "5.7",
  version: "0.64.0",
  storage: {
    mode: "byob",
    provider: "s3",
    bucket: "acme-ml",
    region: "us-east-1",
    access: { kind: "keys", accessKeyId: "AKIAEXAMPLE", secretAccessKey: "aws-s3cret" },
  },
  sso: {
    mode: "oidc",
    issuer: "https://id.acme.test",
    clientId: "cp",
    clientSecret: "oidc-s3cret",
    flow: "pkce",
  },
  reliability: { externalRedis: true, rateLimits: { filestream: 20, graphql: 200 } },
  ipAllowlist: ["203.0.113.0/24"],
  backup: { retentionDays: 30, startTimeUtc: "22:15" },
  tags: { team: "ml" },
};

describe("stack config", () => {
  it("stores the spec in plain config without its secrets, and the secrets as secret config", () => {
    const config = stackConfig(
      spec,
      { suspended: false, teardown: false },
      { cloud: "gcp", gcpProject: "tenants" },
    );
    expect(config["tenant:spec"]!.secret).toBeUndefined();
    for (const secret of secretValues(spec)) expect(config["tenant:spec"]!.value).not.toContain(secret);
    expect(config["tenant:ssoClientSecret"]).toEqual({ value: "oidc-s3cret", secret: true });
    expect(config["tenant:storageSecretAccessKey"]).toEqual({ value: "aws-s3cret", secret: true });
    expect(config["gcp:project"]).toEqual({ value: "tenants" });
    expect(config["gcp:region"]).toEqual({ value: "europe-west4" });
    expect(config["aws:region"]).toBeUndefined();
  });

  it("rebuilds the same spec, secrets included", () => {
    const config = stackConfig(
      spec,
      { suspended: true, teardown: false },
      { cloud: "gcp", gcpProject: "tenants" },
    );
    expect(specFromConfig(config)).toEqual(spec);
    expect(config["tenant:suspended"]).toEqual({ value: "true" });
    // The backup policy travels with the spec: suspend/resume/destroy re-run the program with the same windows.
    expect(JSON.parse(config["tenant:spec"]!.value)).toMatchObject({
      backup: { retentionDays: 30, startTimeUtc: "22:15" },
    });
  });

  it("gives a stack applied before specs had a backup policy the policy its programs had fixed", () => {
    const config = stackConfig(
      spec,
      { suspended: false, teardown: false },
      { cloud: "gcp", gcpProject: "p" },
    );
    const { backup: _dropped, ...before } = JSON.parse(config["tenant:spec"]!.value) as InstanceSpec;
    config["tenant:spec"] = { value: JSON.stringify(before) };
    expect(specFromConfig(config)?.backup).toEqual({ retentionDays: 14, startTimeUtc: "03:00" });
  });

  it("sets aws:region for AWS and reports no spec for a stack without one", () => {
    const config = stackConfig(
      { ...spec, cloud: "aws", region: "us-east-2" },
      { suspended: false, teardown: true },
      { cloud: "aws" },
    );
    expect(config["aws:region"]).toEqual({ value: "us-east-2" });
    expect(config["tenant:teardown"]).toEqual({ value: "true" });
    expect(specFromConfig({})).toBeNull();
  });
});
