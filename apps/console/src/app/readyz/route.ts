import { checkReadiness } from "@cp/services";

// Readiness: PostgreSQL and Redis answer.
export const dynamic = "force-dynamic";

export async function GET() {
  const report = await checkReadiness();
  return Response.json(report, { status: report.ok ? 200 : 503 });
}
