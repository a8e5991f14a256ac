import { redirect } from "next/navigation";
import { requireMe } from "~/server/session";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { FleetView } from "./fleet-view";

export default async function FleetPage() {
  const me = await requireMe();
  if (me.staffRole === "none") redirect("/");
  prefetch(trpc.fleet.list.queryOptions({ limit: 25, cursor: null }));
  return (
    <HydrateClient>
      <FleetView />
    </HydrateClient>
  );
}
