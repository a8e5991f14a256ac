// License signing and verification: round trip, expiry, tampering of every part, unknown keys, offline checks with
// only the published JWKS, and key rotation.
import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  licenseJwks,
  licensePublicKeyPem,
  licenseTokenSha256,
  LicenseKeyError,
  parseLicenseSigningKeys,
  signLicense,
  verifyLicense,
  type LicenseClaims,
} from "./licenses";

function ed25519Entry(kid: string): string {
  const { privateKey } = generateKeyPairSync("ed25519");
  return `${kid}:${privateKey.export({ format: "der", type: "pkcs8" }).toString("base64")}`;
}

const entryA = ed25519Entry("a1");
const entryB = ed25519Entry("b2");
const ringA = parseLicenseSigningKeys(entryA);
const ringB = parseLicenseSigningKeys(entryB);
/** After a rotation: B signs, A still verifies. */
const rotated = parseLicenseSigningKeys(`${entryB},${entryA}`);

const issuedAt = new Date("2030-01-01T00:00:00Z");
const expiresAt = new Date("2031-01-01T00:00:00Z");
const during = new Date("2030-06-01T00:00:00Z");

const claims: LicenseClaims = {
  orgId: "org_1",
  deploymentId: "dep_1",
  licenseId: "lic_1",
  seats: 250,
  features: ["sso", "audit-logs"],
  issuedAt,
  expiresAt,
};

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
const partsOf = (token: string) => token.split(".") as [string, string, string];
const decode = (part: string) =>
  JSON.parse(Buffer.from(part, "base64url").toString()) as Record<string, unknown>;

/** Changes one base64url character in the middle of a part (a middle character always changes the bytes). */
function flipMiddle(part: string): string {
  const i = Math.floor(part.length / 2);
  const c = part[i] === "A" ? "B" : "A";
  return part.slice(0, i) + c + part.slice(i + 1);
}

describe("license signing", () => {
  it("round-trips the claims and names the signing key", async () => {
    const { token, keyId } = await signLicense(claims, { ring: ringA });
    expect(keyId).toBe("a1");
    const [h, p] = partsOf(token);
    const [header, payload] = [decode(h), decode(p)];
    expect(header).toMatchObject({ alg: "EdDSA", kid: "a1" });
    expect(payload).toMatchObject({
      iss: "control-plane",
      sub: "dep_1",
      jti: "lic_1",
      org: "org_1",
      seats: 250,
      features: ["sso", "audit-logs"],
      iat: issuedAt.getTime() / 1000,
      exp: expiresAt.getTime() / 1000,
    });
    const result = await verifyLicense(token, { ring: ringA, now: during });
    expect(result).toEqual({ ok: true, keyId: "a1", claims });
  });

  it("refuses to sign a license that ends before it starts", async () => {
    await expect(signLicense({ ...claims, expiresAt: issuedAt }, { ring: ringA })).rejects.toThrow(
      /expiresAt/,
    );
  });

  it("is expired from its expiry on, and valid until then", async () => {
    const { token } = await signLicense(claims, { ring: ringA });
    const justBefore = new Date(expiresAt.getTime() - 1000);
    expect((await verifyLicense(token, { ring: ringA, now: justBefore })).ok).toBe(true);
    const after = await verifyLicense(token, { ring: ringA, now: new Date(expiresAt.getTime() + 1000) });
    expect(after).toMatchObject({ ok: false, reason: "expired" });
  });

  it("hashes tokens to a stable hex digest", () => {
    expect(licenseTokenSha256("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });
});

describe("tampering", () => {
  it("rejects a payload with a byte changed", async () => {
    const { token } = await signLicense(claims, { ring: ringA });
    const [h, p, s] = partsOf(token);
    const result = await verifyLicense(`${h}.${flipMiddle(p)}.${s}`, { ring: ringA, now: during });
    expect(result).toMatchObject({ ok: false, reason: "bad_signature" });
  });

  it("rejects a payload rewritten to more seats (re-encoded, old signature)", async () => {
    const { token } = await signLicense(claims, { ring: ringA });
    const [h, p, s] = partsOf(token);
    const forged = b64({ ...decode(p), seats: 1_000_000 });
    const result = await verifyLicense(`${h}.${forged}.${s}`, { ring: ringA, now: during });
    expect(result).toMatchObject({ ok: false, reason: "bad_signature" });
  });

  it("rejects a changed signature, and another license's signature", async () => {
    const { token } = await signLicense(claims, { ring: ringA });
    const { token: other } = await signLicense({ ...claims, licenseId: "lic_2" }, { ring: ringA });
    const [h, p, s] = partsOf(token);
    for (const sig of [flipMiddle(s), partsOf(other)[2]]) {
      const result = await verifyLicense(`${h}.${p}.${sig}`, { ring: ringA, now: during });
      expect(result).toMatchObject({ ok: false, reason: "bad_signature" });
    }
  });

  it("rejects a header whose kid was swapped to another published key", async () => {
    const { token } = await signLicense(claims, { ring: rotated });
    expect(decode(partsOf(token)[0]).kid).toBe("b2");
    const [, p, s] = partsOf(token);
    const swapped = b64({ alg: "EdDSA", kid: "a1", typ: "JWT" });
    const result = await verifyLicense(`${swapped}.${p}.${s}`, { ring: rotated, now: during });
    expect(result).toMatchObject({ ok: false, reason: "bad_signature" });
  });

  it('rejects alg "none" (unsigned) and other algorithms', async () => {
    const { token } = await signLicense(claims, { ring: ringA });
    const [, p] = partsOf(token);
    for (const alg of ["none", "HS256"]) {
      const header = b64({ alg, kid: "a1", typ: "JWT" });
      const result = await verifyLicense(`${header}.${p}.`, { ring: ringA, now: during });
      expect(result).toMatchObject({ ok: false, reason: "bad_signature" });
    }
  });

  it("calls garbage malformed and never echoes the token", async () => {
    for (const garbage of ["", "abc", "a.b", "a.b.c", `${b64({ alg: "EdDSA" })}.x.y`]) {
      const result = await verifyLicense(garbage, { ring: ringA, now: during });
      expect(result, garbage).toMatchObject({ ok: false, reason: "malformed" });
    }
    const { token } = await signLicense(claims, { ring: ringA });
    const [h, p] = partsOf(token);
    const result = await verifyLicense(`${h}.${p}.${flipMiddle(partsOf(token)[2])}`, {
      ring: ringA,
      now: during,
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).not.toContain(p);
  });
});

describe("keys", () => {
  it("does not verify a license signed by a key it does not know", async () => {
    const { token } = await signLicense(claims, { ring: ringB });
    const result = await verifyLicense(token, { ring: ringA, now: during });
    expect(result).toMatchObject({ ok: false, reason: "unknown_key" });
  });

  it("does not verify a license signed by another key that reuses a known kid", async () => {
    const impostor = parseLicenseSigningKeys(ed25519Entry("a1"));
    const { token } = await signLicense(claims, { ring: impostor });
    const result = await verifyLicense(token, { ring: ringA, now: during });
    expect(result).toMatchObject({ ok: false, reason: "bad_signature" });
  });

  it("verifies offline with only the published JWKS (no private key)", async () => {
    const { token } = await signLicense(claims, { ring: ringA });
    // What a deployment has: the JSON the console serves, after a round trip through the network.
    const published = JSON.parse(JSON.stringify(licenseJwks({ ring: ringA }))) as ReturnType<
      typeof licenseJwks
    >;
    expect(published.keys).toHaveLength(1);
    expect(published.keys[0]).toEqual({
      kty: "OKP",
      crv: "Ed25519",
      x: expect.any(String) as string,
      kid: "a1",
      alg: "EdDSA",
      use: "sig",
    });
    expect(Object.keys(published.keys[0]!)).not.toContain("d");
    expect(await verifyLicense(token, { jwks: published, now: during })).toMatchObject({ ok: true, claims });
    const elsewhere = licenseJwks({ ring: ringB });
    expect(await verifyLicense(token, { jwks: elsewhere, now: during })).toMatchObject({
      reason: "unknown_key",
    });
  });

  it("keeps verifying licenses signed before a rotation, and signs new ones with the new key", async () => {
    const { token: old } = await signLicense(claims, { ring: ringA });
    const { token: fresh, keyId } = await signLicense(claims, { ring: rotated });
    expect(keyId).toBe("b2");
    expect(licenseJwks({ ring: rotated }).keys.map((k) => k.kid)).toEqual(["b2", "a1"]);
    expect(await verifyLicense(old, { ring: rotated, now: during })).toMatchObject({ ok: true, keyId: "a1" });
    expect(await verifyLicense(fresh, { ring: rotated, now: during })).toMatchObject({
      ok: true,
      keyId: "b2",
    });
    // Dropping the old key from the ring is what retires its licenses.
    expect(await verifyLicense(old, { ring: ringB, now: during })).toMatchObject({ reason: "unknown_key" });
  });

  it("publishes a PEM for each key", () => {
    expect(licensePublicKeyPem("a1", { ring: ringA })).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(licensePublicKeyPem("zz", { ring: ringA })).toBeNull();
  });

  it("explains a bad key ring without showing key material", () => {
    const secret = entryA.split(":")[1]!;
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const ec = privateKey.export({ format: "der", type: "pkcs8" }).toString("base64");
    const cases: [string, RegExp][] = [
      ["", /empty/],
      ["nokid", /entry 1: expected "key-id:/],
      [`a1:${secret},a1:${secret}`, /appears twice/],
      ["k:bm90IGEga2V5", /entry 1 \("k"\): not a base64 PKCS#8/],
      [`ec:${ec}`, /is ec, licenses need Ed25519/],
    ];
    for (const [value, message] of cases) {
      let thrown: unknown;
      try {
        parseLicenseSigningKeys(value);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, value).toBeInstanceOf(LicenseKeyError);
      expect((thrown as Error).message).toMatch(message);
      expect((thrown as Error).message).not.toContain(secret);
    }
  });

  it("parses the built-in demo key", () => {
    const ring = parseLicenseSigningKeys(
      "demo1:MC4CAQAwBQYDK2VwBCIEIMqcNo+F/8+W93M3ItF2DySyWycNaSHr5MDiTkCEo2MT",
    );
    expect(ring.map((k) => k.kid)).toEqual(["demo1"]);
  });
});
