// Secrets at rest (SSO client secrets, BYOB credentials, Slack tokens): AES-256-GCM with a key named in the blob, so
// keys can rotate (the first key of the ring encrypts, every key decrypts) and a KMS can take over key custody.
//
// Blob: v1.<keyId>.<iv b64url>.<tag b64url>.<ciphertext b64url>
//
// Envelope-ready: keys come from a KeyProvider. The local one serves CP_ENCRYPTION_KEYS. A KMS provider would hold
// data keys wrapped by the KMS, unwrap them once (e.g. at start-up, or on first use of an id) and serve them from
// memory, so the provider interface stays synchronous and encrypt/decrypt never wait on the network.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { env, parseKeyRing } from "@cp/config";

const VERSION = "v1";
const ALGORITHM = "aes-256-gcm";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** A 256-bit data key and the id stored in every blob it encrypts. */
export interface DataKey {
  id: string;
  key: Buffer;
}

/** Where keys come from: the local key ring today, a KMS-backed provider later. */
export interface KeyProvider {
  /** The key new secrets are encrypted with. */
  getActiveKey(): DataKey;
  /** A key by id, for decryption; undefined when this provider does not know it. */
  getKey(id: string): DataKey | undefined;
}

export type SecretErrorCode = "MALFORMED" | "UNKNOWN_KEY" | "AUTHENTICATION_FAILED" | "NO_KEYS";

/** Raised for any secret that cannot be encrypted or decrypted; its message never contains secret material. */
export class SecretError extends Error {
  override name = "SecretError";
  constructor(
    readonly code: SecretErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface SecretOptions {
  /** A provider or a ring (first key active). Default: CP_ENCRYPTION_KEYS from @cp/config. */
  keys?: KeyProvider | readonly DataKey[];
  /**
   * Binds the ciphertext to its context (e.g. the owning record's id): decryption with other associated data fails,
   * so a blob copied into another record is useless there.
   */
  associatedData?: string;
}

/** A KeyProvider over an in-memory ring: the first key encrypts, every key decrypts. */
export function createKeyRingProvider(ring: readonly DataKey[]): KeyProvider {
  const [active] = ring;
  if (!active)
    throw new SecretError("NO_KEYS", "The key ring is empty: set CP_ENCRYPTION_KEYS to at least one key.");
  for (const k of ring) {
    if (k.key.length !== KEY_BYTES) {
      throw new SecretError(
        "NO_KEYS",
        `Key "${k.id}" must be ${KEY_BYTES} bytes for AES-256 (got ${k.key.length}).`,
      );
    }
  }
  const byId = new Map(ring.map((k) => [k.id, k]));
  return { getActiveKey: () => active, getKey: (id) => byId.get(id) };
}

/** The ring configured in CP_ENCRYPTION_KEYS. */
export function envKeyProvider(): KeyProvider {
  const ring = parseKeyRing(env().CP_ENCRYPTION_KEYS);
  if (!ring)
    throw new SecretError("NO_KEYS", 'CP_ENCRYPTION_KEYS must be "id:base64key" pairs separated by commas.');
  return createKeyRingProvider(ring);
}

function providerOf(keys: SecretOptions["keys"]): KeyProvider {
  if (!keys) return envKeyProvider();
  return isProvider(keys) ? keys : createKeyRingProvider(keys);
}

function isProvider(keys: KeyProvider | readonly DataKey[]): keys is KeyProvider {
  return !Array.isArray(keys);
}

const b64url = (buf: Buffer) => buf.toString("base64url");

/** Encrypts with the active key and a fresh random IV. */
export function encryptSecret(plaintext: string, opts: SecretOptions = {}): string {
  const { id, key } = providerOf(opts.keys).getActiveKey();
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  if (opts.associatedData !== undefined) cipher.setAAD(Buffer.from(opts.associatedData, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [VERSION, id, b64url(iv), b64url(cipher.getAuthTag()), b64url(ciphertext)].join(".");
}

interface ParsedBlob {
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

function parseBlob(blob: string): ParsedBlob {
  const parts = blob.split(".");
  const malformed = (why: string) =>
    new SecretError(
      "MALFORMED",
      `Cannot read the stored secret: ${why} (expected v1.<keyId>.<iv>.<tag>.<ciphertext>).`,
    );
  if (parts.length !== 5) throw malformed(`it has ${parts.length} parts instead of 5`);
  const [version, keyId, iv, tag, ciphertext] = parts as [string, string, string, string, string];
  if (version !== VERSION) throw malformed(`unknown format version "${version.slice(0, 8)}"`);
  if (!keyId || !/^[A-Za-z0-9_-]{1,64}$/.test(keyId)) throw malformed("the key id is missing or invalid");
  if (![iv, tag, ciphertext].every((p) => B64URL.test(p))) throw malformed("a part is not base64url");
  const parsed = {
    keyId,
    iv: Buffer.from(iv, "base64url"),
    tag: Buffer.from(tag, "base64url"),
    ciphertext: Buffer.from(ciphertext, "base64url"),
  };
  if (parsed.iv.length !== IV_BYTES) throw malformed(`the IV is ${parsed.iv.length} bytes, not ${IV_BYTES}`);
  if (parsed.tag.length !== TAG_BYTES)
    throw malformed(`the tag is ${parsed.tag.length} bytes, not ${TAG_BYTES}`);
  return parsed;
}

/** Decrypts a blob with the key it names; throws SecretError on an unknown key, tampering or wrong associated data. */
export function decryptSecret(blob: string, opts: SecretOptions = {}): string {
  const { keyId, iv, tag, ciphertext } = parseBlob(blob);
  const dataKey = providerOf(opts.keys).getKey(keyId);
  if (!dataKey) {
    throw new SecretError(
      "UNKNOWN_KEY",
      `Cannot decrypt the stored secret: it was encrypted with key "${keyId}", which is not in the key ring ` +
        `(CP_ENCRYPTION_KEYS). Add that key back after the active one to read it, then re-encrypt the secret.`,
    );
  }
  const decipher = createDecipheriv(ALGORITHM, dataKey.key, iv, { authTagLength: TAG_BYTES });
  decipher.setAuthTag(tag);
  if (opts.associatedData !== undefined) decipher.setAAD(Buffer.from(opts.associatedData, "utf8"));
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  } catch {
    throw new SecretError(
      "AUTHENTICATION_FAILED",
      `Cannot decrypt the stored secret (key "${keyId}"): it was altered, or it belongs to another record ` +
        `(associated data differs). Enter the secret again.`,
    );
  }
}

/** True when the blob was encrypted with a key other than the active one (rotate by decrypt + encrypt). */
export function needsReencryption(blob: string, opts: Pick<SecretOptions, "keys"> = {}): boolean {
  return parseBlob(blob).keyId !== providerOf(opts.keys).getActiveKey().id;
}
