import { requireMe } from "~/server/session";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { DeploymentView } from "./deployment-view";

export default async function DeploymentPage({
  params,
}: {
  params: Promise<{ orgId: string; deploymentId: string }>;
}) {
  const { orgId, deploymentId } = await params;
  const me = await requireMe();
  const role = me.orgs.find((o) => o.id === orgId)?.role;
  const isSre = me.staffRole === "sre" || me.staffRole === "admin";
  prefetch(trpc.deployments.get.queryOptions({ orgId, deploymentId }));
  return (
    <HydrateClient>
      <DeploymentView
        orgId={orgId}
        deploymentId={deploymentId}
        canReveal={role === "admin" || isSre}
        canManage={isSre}
        canDownload={role === "admin" || me.staffRole !== "none"}
      />
    </HydrateClient>
  );
}
