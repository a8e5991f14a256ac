import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { requireMe } from "~/server/session";
import { SupportRequestView } from "./support-request-view";

export default async function SupportRequestPage({
  params,
}: {
  params: Promise<{ orgId: string; requestId: string }>;
}) {
  const { orgId, requestId } = await params;
  const me = await requireMe();
  prefetch(trpc.support.get.queryOptions({ orgId, requestId }));
  return (
    <HydrateClient>
      <SupportRequestView orgId={orgId} requestId={requestId} isStaff={me.staffRole !== "none"} />
    </HydrateClient>
  );
}
