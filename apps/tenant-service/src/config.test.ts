import { describe, expect, it } from "vitest";
import { loadTenantConfig, publicConfig } from "./config";

const BASE = {
  INSTANCE_SLUG: "acme",
  VERSION: "1.0.0",
  DB_USER: "t_acme",
  DB_PASSWORD: "secret-password",
  DB_NAME: "t_acme",
  S3_BUCKET: "t-acme",
  RATE_LIMIT_FILESTREAM: "20",
  RATE_LIMIT_GRAPHQL: "200",
  ADMIN_TOKEN: "admin-token-0123456789",
};

describe("tenant config", () => {
  it("applies defaults and hides secrets from /config", () => {
    const c = loadTenantConfig(BASE);
    expect(c.PORT).toBe(0);
    expect(c.EXTERNAL_REDIS).toBe(false);
    const shown = JSON.stringify(publicConfig(c));
    expect(shown).not.toContain("secret-password");
    expect(shown).not.toContain("admin-token");
    expect(publicConfig(c).sso).toEqual({ mode: "provider" });
  });

  it("names the variable that is wrong", () => {
    expect(() => loadTenantConfig({ ...BASE, RATE_LIMIT_GRAPHQL: "0" })).toThrow(/RATE_LIMIT_GRAPHQL/);
    expect(() => loadTenantConfig({ ...BASE, OIDC_ISSUER: "http://127.0.0.1:1" })).toThrow(/OIDC_CLIENT_ID/);
    expect(() => loadTenantConfig({ ...BASE, S3_ACCESS_KEY_ID: "k" })).toThrow(/S3_SECRET_ACCESS_KEY/);
  });

  it("shows the OIDC settings without the client secret", () => {
    const c = loadTenantConfig({
      ...BASE,
      OIDC_ISSUER: "http://127.0.0.1:9999",
      OIDC_CLIENT_ID: "client",
      OIDC_CLIENT_SECRET: "client-secret-value",
    });
    expect(publicConfig(c).sso).toEqual({
      mode: "oidc",
      issuer: "http://127.0.0.1:9999",
      clientId: "client",
      flow: "pkce",
    });
    expect(JSON.stringify(publicConfig(c))).not.toContain("client-secret-value");
  });
});

describe("fault injection setting", () => {
  it("defaults to no faults and accepts a share between 0 and 1", () => {
    expect(loadTenantConfig(BASE).FAULT_ERROR_RATE).toBe(0);
    expect(loadTenantConfig({ ...BASE, FAULT_ERROR_RATE: "0.3" }).FAULT_ERROR_RATE).toBe(0.3);
    expect(() => loadTenantConfig({ ...BASE, FAULT_ERROR_RATE: "1.5" })).toThrow(
      /FAULT_ERROR_RATE: must be between 0 and 1/,
    );
  });
});
