import { redirect } from "next/navigation";
import { requireMe } from "~/server/session";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { FleetHealthView } from "./fleet-health-view";

const PAGE_SIZE = 25;

export default async function FleetHealthPage() {
  const me = await requireMe();
  if (me.staffRole === "none") redirect("/");
  prefetch(trpc.fleetHealth.summary.queryOptions({}));
  prefetch(trpc.fleetHealth.list.queryOptions({ sort: "worst", page: 1, pageSize: PAGE_SIZE }));
  return (
    <HydrateClient>
      <FleetHealthView pageSize={PAGE_SIZE} />
    </HydrateClient>
  );
}
