// Licenses for customer-managed deployments: EdDSA (Ed25519) JWTs signed with a key from CP_LICENSE_SIGNING_KEYS.
// A deployment checks its license offline with the public keys the console publishes (JWKS), so the provider need
// not be reachable; telemetry ingest checks the same signature before it looks at the database.
//
// Key ring: "kid:base64(PKCS#8 DER)" pairs, comma-separated. The first key signs; every key's public half is
// published and verifies, so a rotation (new key first, old key kept) leaves licenses already issued valid.
import { createHash, createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { env } from "@cp/config";
import {
  createLocalJWKSet,
  decodeProtectedHeader,
  errors,
  importPKCS8,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from "jose";
import { z } from "zod";

export { LICENSE_FEATURES, type LicenseFeature } from "@cp/core";

export const LICENSE_ISSUER = "control-plane";
export const LICENSE_ALG = "EdDSA";

export interface LicenseClaims {
  orgId: string;
  deploymentId: string;
  licenseId: string;
  seats: number;
  features: string[];
  issuedAt: Date;
  expiresAt: Date;
}

export type LicenseFailureReason = "malformed" | "bad_signature" | "expired" | "unknown_key";
export type LicenseVerification =
  | { ok: true; claims: LicenseClaims; keyId: string }
  | { ok: false; reason: LicenseFailureReason; message: string };

/** A public key as published: an OKP JWK with its kid. */
export type LicensePublicJwk = JWK & {
  kid: string;
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  alg: "EdDSA";
  use: "sig";
};
export interface LicenseJwks {
  keys: LicensePublicJwk[];
}

/** One signing key: its id, the private key (never leaves this module) and the public JWK. */
export interface LicenseSigningKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: LicensePublicJwk;
}

/** A bad CP_LICENSE_SIGNING_KEYS value; the message names the entry, never key material. */
export class LicenseKeyError extends Error {
  override name = "LicenseKeyError";
}

const KID = /^[A-Za-z0-9_-]{1,32}$/;

/** Parses "kid:base64der,…" into a ring (first signs). Throws LicenseKeyError naming the entry that is wrong. */
export function parseLicenseSigningKeys(value: string): LicenseSigningKey[] {
  const ring: LicenseSigningKey[] = [];
  const parts = value
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  parts.forEach((part, index) => {
    const where = `CP_LICENSE_SIGNING_KEYS entry ${index + 1}`;
    const sep = part.indexOf(":");
    const kid = sep > 0 ? part.slice(0, sep) : "";
    if (!KID.test(kid)) {
      throw new LicenseKeyError(
        `${where}: expected "key-id:base64(PKCS#8 DER)" with a key id of letters, digits, "_" or "-" (at most 32).`,
      );
    }
    if (ring.some((k) => k.kid === kid))
      throw new LicenseKeyError(`${where}: key id "${kid}" appears twice.`);
    let privateKey: KeyObject;
    try {
      privateKey = createPrivateKey({
        key: Buffer.from(part.slice(sep + 1), "base64"),
        format: "der",
        type: "pkcs8",
      });
    } catch {
      throw new LicenseKeyError(`${where} ("${kid}"): not a base64 PKCS#8 DER private key.`);
    }
    if (privateKey.asymmetricKeyType !== "ed25519") {
      throw new LicenseKeyError(
        `${where} ("${kid}"): the key is ${privateKey.asymmetricKeyType ?? "unknown"}, licenses need Ed25519 ` +
          `(openssl genpkey -algorithm ed25519 -outform DER | base64).`,
      );
    }
    const jwk = createPublicKey(privateKey).export({ format: "jwk" });
    if (typeof jwk.x !== "string")
      throw new LicenseKeyError(`${where} ("${kid}"): cannot derive the public key.`);
    ring.push({
      kid,
      privateKey,
      publicJwk: { kty: "OKP", crv: "Ed25519", x: jwk.x, kid, alg: LICENSE_ALG, use: "sig" },
    });
  });
  if (!ring.length)
    throw new LicenseKeyError("CP_LICENSE_SIGNING_KEYS is empty: set at least one Ed25519 key.");
  return ring;
}

let cached: { value: string; ring: LicenseSigningKey[] } | null = null;

/** The configured ring, parsed once per distinct value of CP_LICENSE_SIGNING_KEYS. */
export function licenseKeyRing(): LicenseSigningKey[] {
  const value = env().CP_LICENSE_SIGNING_KEYS;
  if (cached?.value !== value) cached = { value, ring: parseLicenseSigningKeys(value) };
  return cached.ring;
}

// jose signs with a WebCrypto key; importing is async, so each key is imported once.
const imported = new WeakMap<LicenseSigningKey, Promise<CryptoKey>>();

function signingKeyOf(key: LicenseSigningKey): Promise<CryptoKey> {
  let promise = imported.get(key);
  if (!promise) {
    const pem = key.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    promise = importPKCS8(pem, LICENSE_ALG);
    imported.set(key, promise);
  }
  return promise;
}

export interface LicenseKeyOptions {
  /** A ring other than the configured one (tests, rotation drills). */
  ring?: LicenseSigningKey[];
}

const seconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** Signs the claims with the first key of the ring. The token is a secret of the customer's: never log it. */
export async function signLicense(
  claims: LicenseClaims,
  opts: LicenseKeyOptions = {},
): Promise<{ token: string; keyId: string }> {
  const [key] = opts.ring ?? licenseKeyRing();
  if (!key) throw new LicenseKeyError("CP_LICENSE_SIGNING_KEYS is empty: set at least one Ed25519 key.");
  if (claims.expiresAt.getTime() <= claims.issuedAt.getTime()) {
    throw new RangeError("expiresAt must be after issuedAt");
  }
  const token = await new SignJWT({ org: claims.orgId, seats: claims.seats, features: claims.features })
    .setProtectedHeader({ alg: LICENSE_ALG, kid: key.kid, typ: "JWT" })
    .setIssuer(LICENSE_ISSUER)
    .setSubject(claims.deploymentId)
    .setJti(claims.licenseId)
    .setIssuedAt(seconds(claims.issuedAt))
    .setExpirationTime(seconds(claims.expiresAt))
    .sign(await signingKeyOf(key));
  return { token, keyId: key.kid };
}

/** The public keys of every configured signing key, as a JWKS (what the console publishes). */
export function licenseJwks(opts: LicenseKeyOptions = {}): LicenseJwks {
  return { keys: (opts.ring ?? licenseKeyRing()).map((k) => ({ ...k.publicJwk })) };
}

/** PEM (SPKI) of a published key, for tools that want PEM rather than JWK (openssl, most JWT libraries). */
export function licensePublicKeyPem(kid: string, opts: LicenseKeyOptions = {}): string | null {
  const key = (opts.ring ?? licenseKeyRing()).find((k) => k.kid === kid);
  return key ? createPublicKey(key.privateKey).export({ format: "pem", type: "spki" }).toString() : null;
}

/** How a license is found without keeping it in the clear: hex SHA-256 of the token. */
export function licenseTokenSha256(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

const ZPayload = z.object({
  iss: z.literal(LICENSE_ISSUER),
  sub: z.string().min(1),
  jti: z.string().min(1),
  org: z.string().min(1),
  seats: z.number().int().positive(),
  features: z.array(z.string()),
  iat: z.number().int(),
  exp: z.number().int(),
});

// Licenses are long; a real token is well under 2 KB, so anything far bigger is not one (and not worth parsing).
const MAX_TOKEN_LENGTH = 8192;

export interface VerifyLicenseOptions extends LicenseKeyOptions {
  /** The time to check expiry against (default: now). */
  now?: Date;
  /** Verify against these public keys only (offline, the way a deployment does), instead of the ring. */
  jwks?: JSONWebKeySet;
}

/**
 * Checks signature, key and expiry, then the claims' shape. The reasons: `malformed` (not a license token),
 * `unknown_key` (its kid is not among the keys), `bad_signature` (altered, signed by someone else, or not EdDSA),
 * `expired`. Messages never echo the token.
 */
export async function verifyLicense(
  token: string,
  opts: VerifyLicenseOptions = {},
): Promise<LicenseVerification> {
  const fail = (reason: LicenseFailureReason, message: string): LicenseVerification => ({
    ok: false,
    reason,
    message,
  });
  if (token.length > MAX_TOKEN_LENGTH || token.split(".").length !== 3) {
    return fail("malformed", "The license is not a signed token (expected three dot-separated parts).");
  }
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return fail("malformed", "The license's header cannot be read.");
  }
  // Checked before any key is touched: an unsigned ("none") or differently signed token is never accepted.
  if (header.alg !== LICENSE_ALG) {
    return fail(
      "bad_signature",
      `The license is signed with "${String(header.alg).slice(0, 16)}"; licenses are signed with ${LICENSE_ALG}.`,
    );
  }
  if (typeof header.kid !== "string" || !header.kid)
    return fail("malformed", "The license names no signing key.");
  const jwks: JSONWebKeySet = opts.jwks ?? licenseJwks(opts);
  if (!jwks.keys.some((k) => k.kid === header.kid)) {
    return fail(
      "unknown_key",
      `The license was signed with key "${header.kid.slice(0, 32)}", which is not a published license key.`,
    );
  }
  let payload: unknown;
  try {
    const result = await jwtVerify(token, createLocalJWKSet(jwks), {
      algorithms: [LICENSE_ALG],
      issuer: LICENSE_ISSUER,
      currentDate: opts.now ?? new Date(),
      requiredClaims: ["sub", "jti", "iat", "exp"],
    });
    payload = result.payload;
  } catch (err) {
    if (err instanceof errors.JWTExpired)
      return fail("expired", "The license has expired; ask for a renewal.");
    if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JOSEAlgNotAllowed) {
      return fail(
        "bad_signature",
        "The license's signature does not match: it was altered or not issued by us.",
      );
    }
    if (err instanceof errors.JWKSNoMatchingKey) {
      return fail("unknown_key", "The license's signing key is not a published license key.");
    }
    return fail("malformed", "The license is not a valid license token.");
  }
  const parsed = ZPayload.safeParse(payload);
  if (!parsed.success) return fail("malformed", "The license's claims are incomplete or of the wrong type.");
  const p = parsed.data;
  return {
    ok: true,
    keyId: header.kid,
    claims: {
      orgId: p.org,
      deploymentId: p.sub,
      licenseId: p.jti,
      seats: p.seats,
      features: p.features,
      issuedAt: new Date(p.iat * 1000),
      expiresAt: new Date(p.exp * 1000),
    },
  };
}
