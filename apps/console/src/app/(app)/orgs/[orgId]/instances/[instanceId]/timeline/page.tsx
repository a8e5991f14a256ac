import { requireMe } from "~/server/session";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { InstanceTimelineView } from "./instance-timeline-view";

export default async function InstanceTimelinePage({
  params,
}: {
  params: Promise<{ orgId: string; instanceId: string }>;
}) {
  const { orgId, instanceId } = await params;
  const me = await requireMe();
  const role = me.orgs.find((o) => o.id === orgId)?.role;
  prefetch(trpc.instances.get.queryOptions({ orgId, instanceId }));
  // The events themselves are fetched in the browser: their times are shown in the viewer's time zone.
  return (
    <HydrateClient>
      <InstanceTimelineView
        orgId={orgId}
        instanceId={instanceId}
        canReadAudit={role === "admin" || me.staffRole !== "none"}
      />
    </HydrateClient>
  );
}
