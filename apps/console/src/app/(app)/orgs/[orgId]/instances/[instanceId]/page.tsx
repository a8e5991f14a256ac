import { requireMe } from "~/server/session";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { InstanceView } from "./instance-view";

export default async function InstancePage({
  params,
}: {
  params: Promise<{ orgId: string; instanceId: string }>;
}) {
  const { orgId, instanceId } = await params;
  const me = await requireMe();
  const role = me.orgs.find((o) => o.id === orgId)?.role;
  const canAdmin = role === "admin" || me.staffRole === "sre" || me.staffRole === "admin";
  prefetch(trpc.instances.get.queryOptions({ orgId, instanceId }));
  prefetch(trpc.instances.operations.queryOptions({ orgId, instanceId }));
  // Backups are fetched in the browser: their ages and the schedule in local time are the browser's to render.
  return (
    <HydrateClient>
      <InstanceView
        orgId={orgId}
        instanceId={instanceId}
        canAdmin={canAdmin}
        canHandleAlerts={me.staffRole === "sre" || me.staffRole === "admin"}
      />
    </HydrateClient>
  );
}
