import { requireMe } from "~/server/session";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { DeploymentsView } from "./deployments-view";

export default async function DeploymentsPage({ params }: { params: Promise<{ orgId: string }> }) {
  const { orgId } = await params;
  await requireMe();
  prefetch(trpc.orgs.get.queryOptions({ orgId }));
  prefetch(trpc.deployments.list.queryOptions({ orgId }));
  return (
    <HydrateClient>
      <DeploymentsView orgId={orgId} />
    </HydrateClient>
  );
}
