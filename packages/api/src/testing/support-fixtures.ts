// A support request row for the API's integration tests (the open flow itself is tested in @cp/services).
import { db } from "@cp/db";

/** An open P3 request in `orgId`, opened by `openedById`, with its first message; returns its id. */
export async function createSupportRequest(orgId: string, openedById: string): Promise<string> {
  const now = Date.now();
  const r = await db().supportRequest.create({
    data: {
      orgId,
      openedById,
      subject: "Fixture request",
      severity: "P3",
      plan: "standard",
      firstResponseDueAt: new Date(now + 8 * 3600_000),
      resolutionDueAt: new Date(now + 5 * 86_400_000),
      messages: { create: { authorId: openedById, fromStaff: false, body: "Fixture body." } },
    },
    select: { id: true },
  });
  return r.id;
}
