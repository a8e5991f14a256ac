import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { requireMe } from "~/server/session";
import { SupportRequestsView } from "./support-requests-view";

export default async function SupportPage({ params }: { params: Promise<{ orgId: string }> }) {
  const { orgId } = await params;
  await requireMe();
  // The list's SLA clocks are "now"-relative and its times local: only the org and its team are prefetched.
  prefetch(trpc.orgs.get.queryOptions({ orgId }));
  prefetch(trpc.support.assignments.queryOptions({ orgId }));
  return (
    <HydrateClient>
      <SupportRequestsView orgId={orgId} />
    </HydrateClient>
  );
}
