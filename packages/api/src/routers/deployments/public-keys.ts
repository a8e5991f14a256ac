import { licensePublicKeys } from "@cp/services";
import { z } from "zod";
import { publicProcedure } from "../../trpc";

const ZJwk = z.object({
  kty: z.literal("OKP"),
  crv: z.literal("Ed25519"),
  x: z.string(),
  kid: z.string(),
  alg: z.literal("EdDSA"),
  use: z.literal("sig"),
});

/** The license verification keys (public, as at /api/licenses/jwks): JWK and PEM, the signing one marked. */
export const publicKeys = publicProcedure
  .output(
    z.object({
      jwks: z.object({ keys: z.array(ZJwk) }),
      keys: z.array(z.object({ kid: z.string(), signing: z.boolean(), jwk: ZJwk, pem: z.string() })),
    }),
  )
  .query(() => licensePublicKeys());
