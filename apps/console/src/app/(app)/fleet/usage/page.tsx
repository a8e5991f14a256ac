import { redirect } from "next/navigation";
import { FleetUsageView } from "~/components/usage";
import { requireMe } from "~/server/session";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";

export default async function FleetUsagePage() {
  const me = await requireMe();
  if (me.staffRole === "none") redirect("/");
  prefetch(trpc.telemetry.fleetSeries.queryOptions({ days: 90 }));
  prefetch(trpc.telemetry.versionLag.queryOptions());
  prefetch(trpc.telemetry.stale.queryOptions());
  return (
    <HydrateClient>
      <FleetUsageView />
    </HydrateClient>
  );
}
