import { redirect } from "next/navigation";
import { requireMe } from "~/server/session";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { StaffDeploymentsView } from "./staff-deployments-view";

export default async function StaffDeploymentsPage() {
  const me = await requireMe();
  if (me.staffRole === "none") redirect("/");
  prefetch(trpc.deployments.list.queryOptions({ orgId: null }));
  return (
    <HydrateClient>
      <StaffDeploymentsView canManage={me.staffRole === "sre" || me.staffRole === "admin"} />
    </HydrateClient>
  );
}
