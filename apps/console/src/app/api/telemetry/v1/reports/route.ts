import { handleTelemetryRequest } from "@cp/services";

// Telemetry ingest for customer-managed deployments: `Authorization: Bearer <license>`, a JSON report per day. No
// session: the license is the credential. Everything (limits, statuses, storage) is in @cp/services.
export const dynamic = "force-dynamic";
export const runtime = "nodejs";

export function POST(req: Request): Promise<Response> {
  return handleTelemetryRequest(req);
}
