import { redirect } from "next/navigation";
import { requireMe } from "~/server/session";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { OrderWizard } from "./order-wizard";

export const metadata = { title: "Order a dedicated instance" };

export default async function NewInstancePage({ params }: { params: Promise<{ orgId: string }> }) {
  const { orgId } = await params;
  const me = await requireMe();
  const role = me.orgs.find((o) => o.id === orgId)?.role;
  const canOrder = role === "admin" || me.staffRole === "sre" || me.staffRole === "admin";
  if (!canOrder) redirect(`/orgs/${orgId}`);
  prefetch(trpc.instances.clouds.queryOptions());
  prefetch(trpc.orgs.get.queryOptions({ orgId }));
  return (
    <HydrateClient>
      <OrderWizard orgId={orgId} isStaff={me.staffRole === "sre" || me.staffRole === "admin"} />
    </HydrateClient>
  );
}
