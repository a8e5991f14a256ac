import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { InstanceView } from "./instance-view";

export default async function InstancePage({
  params,
}: {
  params: Promise<{ orgId: string; instanceId: string }>;
}) {
  const { orgId, instanceId } = await params;
  prefetch(trpc.instances.get.queryOptions({ orgId, instanceId }));
  prefetch(trpc.instances.operations.queryOptions({ orgId, instanceId }));
  return (
    <HydrateClient>
      <InstanceView orgId={orgId} instanceId={instanceId} />
    </HydrateClient>
  );
}
