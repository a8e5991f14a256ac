import { resetEnvCache } from "@cp/config";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  createKeyRingProvider,
  decryptSecret,
  encryptSecret,
  needsReencryption,
  SecretError,
  type DataKey,
} from "./secrets";

const k1: DataKey = { id: "k1", key: Buffer.alloc(32, 1) };
const k2: DataKey = { id: "k2", key: Buffer.alloc(32, 2) };
const PLAINTEXT = "client-secret-Zx81!";

function secretError(fn: () => unknown): SecretError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SecretError) return err;
    throw err;
  }
  throw new Error("expected a SecretError");
}

/** Flips one bit of the given part (1 = key id ... 4 = ciphertext) of a blob. */
function tamper(blob: string, part: 2 | 3 | 4): string {
  const parts = blob.split(".");
  const bytes = Buffer.from(parts[part]!, "base64url");
  bytes[0] = bytes[0]! ^ 1;
  parts[part] = bytes.toString("base64url");
  return parts.join(".");
}

describe("encryptSecret / decryptSecret", () => {
  it("round-trips and never contains the plaintext", () => {
    const blob = encryptSecret(PLAINTEXT, { keys: [k1] });
    expect(blob).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    expect(blob).not.toContain(PLAINTEXT);
    expect(decryptSecret(blob, { keys: [k1] })).toBe(PLAINTEXT);
  });

  it("round-trips unicode and empty strings", () => {
    for (const text of ["", "pässwörd ✓ 秘密"]) {
      expect(decryptSecret(encryptSecret(text, { keys: [k1] }), { keys: [k1] })).toBe(text);
    }
  });

  it("uses a fresh IV each time, so equal plaintexts give different blobs", () => {
    const a = encryptSecret(PLAINTEXT, { keys: [k1] });
    const b = encryptSecret(PLAINTEXT, { keys: [k1] });
    expect(a).not.toBe(b);
    expect(a.split(".")[2]).not.toBe(b.split(".")[2]);
    expect(Buffer.from(a.split(".")[2]!, "base64url")).toHaveLength(12);
  });

  it.each([
    ["iv", 2],
    ["tag", 3],
    ["ciphertext", 4],
  ] as const)("refuses a blob whose %s was altered", (_name, part) => {
    const blob = encryptSecret(PLAINTEXT, { keys: [k1] });
    const err = secretError(() => decryptSecret(tamper(blob, part), { keys: [k1] }));
    expect(err.code).toBe("AUTHENTICATION_FAILED");
    expect(err.message).toMatch(/altered, or it belongs to another record/);
    expect(err.message).not.toContain(PLAINTEXT);
  });

  it("binds associated data: the right record decrypts, another record or none does not", () => {
    const blob = encryptSecret(PLAINTEXT, { keys: [k1], associatedData: "sso:org_1" });
    expect(decryptSecret(blob, { keys: [k1], associatedData: "sso:org_1" })).toBe(PLAINTEXT);
    expect(secretError(() => decryptSecret(blob, { keys: [k1], associatedData: "sso:org_2" })).code).toBe(
      "AUTHENTICATION_FAILED",
    );
    expect(secretError(() => decryptSecret(blob, { keys: [k1] })).code).toBe("AUTHENTICATION_FAILED");
  });

  it("refuses malformed blobs with a message that says what is wrong", () => {
    expect(secretError(() => decryptSecret("not-a-blob", { keys: [k1] })).message).toMatch(
      /1 parts instead of 5/,
    );
    expect(secretError(() => decryptSecret("v2.k1.a.b.c", { keys: [k1] })).message).toMatch(/version "v2"/);
    const short = encryptSecret(PLAINTEXT, { keys: [k1] }).split(".");
    short[2] = "AAAA";
    expect(secretError(() => decryptSecret(short.join("."), { keys: [k1] })).message).toMatch(
      /IV is 3 bytes/,
    );
  });
});

describe("key rotation", () => {
  it("old keys still decrypt; needsReencryption tells which blobs to rewrite", () => {
    const old = encryptSecret(PLAINTEXT, { keys: [k1] });
    const rotated = [k2, k1];
    expect(decryptSecret(old, { keys: rotated })).toBe(PLAINTEXT);
    expect(needsReencryption(old, { keys: rotated })).toBe(true);

    const fresh = encryptSecret(decryptSecret(old, { keys: rotated }), { keys: rotated });
    expect(fresh.startsWith("v1.k2.")).toBe(true);
    expect(needsReencryption(fresh, { keys: rotated })).toBe(false);
  });

  it("names the unknown key id and the fix", () => {
    const old = encryptSecret(PLAINTEXT, { keys: [k1] });
    const err = secretError(() => decryptSecret(old, { keys: [k2] }));
    expect(err.code).toBe("UNKNOWN_KEY");
    expect(err.message).toBe(
      'Cannot decrypt the stored secret: it was encrypted with key "k1", which is not in the key ring ' +
        "(CP_ENCRYPTION_KEYS). Add that key back after the active one to read it, then re-encrypt the secret.",
    );
  });

  it("accepts any KeyProvider (the seam for a KMS-backed provider)", () => {
    const calls: string[] = [];
    const provider = {
      getActiveKey: () => (calls.push("active"), k2),
      getKey: (id: string) => (calls.push(`get:${id}`), id === "k2" ? k2 : undefined),
    };
    const blob = encryptSecret(PLAINTEXT, { keys: provider });
    expect(decryptSecret(blob, { keys: provider })).toBe(PLAINTEXT);
    expect(calls).toEqual(["active", "get:k2"]);
  });

  it("refuses keys that are not 32 bytes and empty rings", () => {
    expect(() => createKeyRingProvider([{ id: "short", key: Buffer.alloc(16) }])).toThrow(/must be 32 bytes/);
    expect(() => createKeyRingProvider([])).toThrow(/key ring is empty/);
  });
});

describe("default key ring from @cp/config", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    resetEnvCache();
  });

  it("encrypts with the first key of CP_ENCRYPTION_KEYS and decrypts with any", () => {
    vi.stubEnv("CP_MODE", "test");
    vi.stubEnv("CP_ENCRYPTION_KEYS", `k1:${k1.key.toString("base64")}`);
    resetEnvCache();
    const blob = encryptSecret(PLAINTEXT);
    expect(blob.startsWith("v1.k1.")).toBe(true);

    vi.stubEnv("CP_ENCRYPTION_KEYS", `k2:${k2.key.toString("base64")},k1:${k1.key.toString("base64")}`);
    resetEnvCache();
    expect(decryptSecret(blob)).toBe(PLAINTEXT);
    expect(needsReencryption(blob)).toBe(true);
  });
});
