import { licensePublicKeys } from "@cp/services";

// The license verification keys as a JWKS, public and unauthenticated: customer-managed deployments (and anyone
// auditing a license) verify tokens offline with it. Only public halves are in it; the first key signs new licenses,
// the others verify licenses issued before a rotation.
export const dynamic = "force-dynamic";

export function GET() {
  return Response.json(licensePublicKeys().jwks, {
    headers: {
      "Cache-Control": "public, max-age=300",
      "Access-Control-Allow-Origin": "*",
    },
  });
}
