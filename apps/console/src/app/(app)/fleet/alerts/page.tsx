import { redirect } from "next/navigation";
import { requireMe } from "~/server/session";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { FleetAlertsView } from "./fleet-alerts-view";

export default async function FleetAlertsPage() {
  const me = await requireMe();
  if (me.staffRole === "none") redirect("/");
  // Only the org names are prefetched: the alerts are all ages and local times, the browser's to render.
  prefetch(trpc.orgs.list.queryOptions({}));
  return (
    <HydrateClient>
      <FleetAlertsView canHandle={me.staffRole === "sre" || me.staffRole === "admin"} />
    </HydrateClient>
  );
}
