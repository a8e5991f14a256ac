import { requireMe } from "~/server/session";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { InstanceHealthView } from "./instance-health-view";

export default async function InstanceHealthPage({
  params,
}: {
  params: Promise<{ orgId: string; instanceId: string }>;
}) {
  const { orgId, instanceId } = await params;
  const me = await requireMe();
  prefetch(trpc.instances.get.queryOptions({ orgId, instanceId }));
  // Charts, ages and months are the browser's to render (its clock and time zone): fetched there.
  return (
    <HydrateClient>
      <InstanceHealthView
        orgId={orgId}
        instanceId={instanceId}
        canHandleAlerts={me.staffRole === "sre" || me.staffRole === "admin"}
      />
    </HydrateClient>
  );
}
