import { describe, expect, it } from "vitest";
import { ZInstanceRequest } from "./schemas";

const VALID = {
  instanceId: "i-1",
  version: "0.64.0",
  mysqlVersion: "8.0",
  size: "small",
  maxConnections: 20,
  rateLimits: { filestream: 20, graphql: 200 },
  externalRedis: false,
  sso: { mode: "provider" },
  storage: { mode: "provider" },
};

const firstIssuePath = (body: unknown) => {
  const r = ZInstanceRequest.safeParse(body);
  return r.success ? null : r.error.issues[0]?.path.join(".");
};

describe("PUT /v1/instances/:slug body", () => {
  it("accepts a provider-hosted instance and an OIDC + BYOB one", () => {
    expect(ZInstanceRequest.safeParse(VALID).success).toBe(true);
    const byob = {
      ...VALID,
      sso: { mode: "oidc", issuer: "https://id.example.com", clientId: "c", clientSecret: "s", flow: "pkce" },
      storage: {
        mode: "byob",
        bucket: "customer-bucket",
        endpoint: "http://127.0.0.1:59000",
        accessKeyId: "k",
        secretAccessKey: "s",
      },
    };
    expect(ZInstanceRequest.safeParse(byob).success).toBe(true);
  });

  it("names the field that is wrong", () => {
    expect(firstIssuePath({ ...VALID, rateLimits: { filestream: 20, graphql: 0 } })).toBe(
      "rateLimits.graphql",
    );
    expect(firstIssuePath({ ...VALID, maxConnections: 1.5 })).toBe("maxConnections");
    expect(firstIssuePath({ ...VALID, size: "huge" })).toBe("size");
    expect(
      firstIssuePath({
        ...VALID,
        sso: { mode: "oidc", issuer: "nope", clientId: "c", clientSecret: "s", flow: "pkce" },
      }),
    ).toBe("sso.issuer");
    expect(firstIssuePath({ ...VALID, storage: { mode: "byob", bucket: "Bad_Bucket" } })).toBe(
      "storage.bucket",
    );
    expect(
      firstIssuePath({ ...VALID, storage: { mode: "byob", bucket: "ok-bucket", accessKeyId: "k" } }),
    ).toBe("storage.secretAccessKey");
    expect(firstIssuePath({ ...VALID, unexpected: true })).toBe("");
  });
});
