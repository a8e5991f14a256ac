import { redirect } from "next/navigation";
import { WebhooksView } from "~/components/webhooks-view";
import { requireMe } from "~/server/session";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";

export default async function FleetWebhooksPage() {
  const me = await requireMe();
  if (me.staffRole === "none") redirect("/");
  if (me.staffRole !== "sre" && me.staffRole !== "admin") {
    return (
      <>
        <h1>Fleet-wide webhooks</h1>
        <p>Only SREs and staff admins can see and manage fleet-wide webhooks.</p>
      </>
    );
  }
  prefetch(trpc.webhooks.list.queryOptions({ orgId: null }));
  return (
    <HydrateClient>
      <WebhooksView orgId={null} title="Fleet-wide webhooks" />
    </HydrateClient>
  );
}
