import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { InstancesView } from "./instances-view";

export default async function OrgInstancesPage({ params }: { params: Promise<{ orgId: string }> }) {
  const { orgId } = await params;
  prefetch(trpc.orgs.get.queryOptions({ orgId }));
  prefetch(trpc.instances.list.queryOptions({ orgId }));
  return (
    <HydrateClient>
      <InstancesView orgId={orgId} />
    </HydrateClient>
  );
}
