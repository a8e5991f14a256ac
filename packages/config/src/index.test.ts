import { describe, expect, it } from "vitest";
import { ConfigError, DEMO_DEFAULTS, loadConfig } from "./index";

/** A complete production environment with nothing taken from the demo defaults. */
const PROD = {
  CP_MODE: "production",
  DATABASE_URL: "postgresql://cp:s3cret@db.internal:5432/cp",
  REDIS_URL: "redis://cache.internal:6379",
  NEXTAUTH_URL: "https://console.example.com",
  NEXTAUTH_SECRET: "a-real-secret-that-is-long-enough-0123456789",
  SMTP_URL: "smtps://mailer:pw@smtp.example.com:465",
  CP_ENCRYPTION_KEYS: `k2026:${Buffer.alloc(32, 7).toString("base64")}`,
  CP_LICENSE_SIGNING_KEYS: "k2026:MC4CAQAwBQYDK2VwBCIEIC+bUGlkZ+9G0piCYz1ee1uuheyvAdgBsqRZHkMrcWOB",
};

function configError(source: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(source);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error("expected loadConfig to refuse this environment");
}

describe("loadConfig in production", () => {
  it("accepts a complete environment; local accounts are off unless asked for", () => {
    const env = loadConfig(PROD);
    expect(env).toMatchObject({
      CP_MODE: "production",
      DATABASE_URL: PROD.DATABASE_URL,
      CP_LOCAL_ACCOUNTS: false,
      oidcConfigured: false,
    });
    expect(env.CP_SIGNIN_MAX_PER_ACCOUNT).toBe(5);
    expect(loadConfig({ ...PROD, CP_LOCAL_ACCOUNTS: "true" }).CP_LOCAL_ACCOUNTS).toBe(true);
  });

  it("is the mode when CP_MODE is unset, and then fills in no demo defaults", () => {
    const err = configError({});
    for (const name of ["DATABASE_URL", "REDIS_URL", "NEXTAUTH_URL", "NEXTAUTH_SECRET", "SMTP_URL"])
      expect(err.message).toContain(`${name}:`);
    expect(err.message).toContain("CP_MODE=production: built-in demo defaults are not used");
  });

  it("refuses the demo NEXTAUTH_SECRET and every other demo value, naming the variable", () => {
    expect(configError({ ...PROD, NEXTAUTH_SECRET: DEMO_DEFAULTS.NEXTAUTH_SECRET }).message).toMatch(
      /^NEXTAUTH_SECRET: the built-in demo value cannot be used/,
    );
    for (const name of [
      "DATABASE_URL",
      "REDIS_URL",
      "NEXTAUTH_URL",
      "CP_ENCRYPTION_KEYS",
      "CP_LICENSE_SIGNING_KEYS",
    ] as const) {
      expect(configError({ ...PROD, [name]: DEMO_DEFAULTS[name] }).message).toMatch(new RegExp(`^${name}: `));
    }
    expect(configError({ ...PROD, SMTP_URL: "log:" }).message).toMatch(/^SMTP_URL: /);
  });

  it("requires license signing keys in production and names their format", () => {
    expect(configError({ ...PROD, CP_LICENSE_SIGNING_KEYS: undefined }).message).toContain(
      "CP_LICENSE_SIGNING_KEYS: is required: Ed25519 signing keys as key-id:base64(PKCS#8 DER)",
    );
    expect(configError({ ...PROD, CP_LICENSE_SIGNING_KEYS: "no-colon-here" }).message).toContain(
      "CP_LICENSE_SIGNING_KEYS: must be key-id:base64(PKCS#8 DER of an Ed25519 key)",
    );
  });

  it("names a variable that is malformed", () => {
    expect(configError({ ...PROD, NEXTAUTH_SECRET: "too-short" }).message).toContain(
      "NEXTAUTH_SECRET: must be at least 32 characters",
    );
    expect(configError({ ...PROD, DATABASE_URL: "not a url" }).message).toContain("DATABASE_URL:");
    expect(configError({ ...PROD, CP_ENCRYPTION_KEYS: "k1:c2hvcnQ=" }).message).toContain(
      "CP_ENCRYPTION_KEYS:",
    );
    expect(configError({ ...PROD, CP_SIGNIN_MAX_PER_ACCOUNT: "0" }).message).toContain(
      "CP_SIGNIN_MAX_PER_ACCOUNT:",
    );
    expect(configError({ ...PROD, CP_MODE: "prod" }).message).toMatch(/^CP_MODE: must be one of/);
  });
});

describe("loadConfig and OIDC", () => {
  const OIDC = {
    OIDC_ISSUER: "https://idp.example.com",
    OIDC_CLIENT_ID: "console",
    OIDC_CLIENT_SECRET: "shh",
  };

  it("needs all three OIDC variables or none", () => {
    expect(loadConfig({ ...PROD, ...OIDC }).oidcConfigured).toBe(true);
    for (const missing of Object.keys(OIDC)) {
      const err = configError({ ...PROD, ...OIDC, [missing]: undefined });
      expect(err.message).toContain("OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET: set all three");
    }
    expect(configError({ ...PROD, OIDC_CLIENT_ID: "console" }).message).toContain("set all three");
  });

  it("treats an empty variable as unset", () => {
    expect(
      loadConfig({ ...PROD, OIDC_ISSUER: "", OIDC_CLIENT_ID: "", OIDC_CLIENT_SECRET: "" }).oidcConfigured,
    ).toBe(false);
  });
});

describe("loadConfig in demo, development and test modes", () => {
  it("fills the built-in defaults and turns local accounts on", () => {
    for (const mode of ["demo", "development", "test"]) {
      const env = loadConfig({ CP_MODE: mode });
      expect(env).toMatchObject({
        ...DEMO_DEFAULTS,
        CP_MODE: mode,
        CP_LOCAL_ACCOUNTS: true,
        oidcConfigured: false,
      });
      expect(env.CP_SIGNIN_WINDOW_SECONDS).toBe(900);
    }
  });

  it("keeps a value that is set over the default, and coerces numbers and booleans", () => {
    const env = loadConfig({
      CP_MODE: "demo",
      DATABASE_URL: "postgresql://x:y@h:1/d",
      CP_SIGNIN_MAX_PER_IP: "7",
      CP_LOCAL_ACCOUNTS: "no",
    });
    expect(env).toMatchObject({
      DATABASE_URL: "postgresql://x:y@h:1/d",
      CP_SIGNIN_MAX_PER_IP: 7,
      CP_LOCAL_ACCOUNTS: false,
      REDIS_URL: DEMO_DEFAULTS.REDIS_URL,
    });
  });
});
