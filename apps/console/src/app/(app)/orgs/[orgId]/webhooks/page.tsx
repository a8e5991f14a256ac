import { WebhooksView } from "~/components/webhooks-view";
import { orRedirect, requireMe } from "~/server/session";
import { HydrateClient, prefetch, serverCaller, trpc } from "~/trpc/server";

export default async function OrgWebhooksPage({ params }: { params: Promise<{ orgId: string }> }) {
  const { orgId } = await params;
  const me = await requireMe();
  const caller = await serverCaller();
  const org = await orRedirect(() => caller.orgs.get({ orgId }));
  const role = me.orgs.find((o) => o.id === orgId)?.role ?? null;
  // The org's admins, SREs and staff admins (the API's org "admin" need).
  const canAdmin = role === "admin" || me.staffRole === "sre" || me.staffRole === "admin";
  if (!canAdmin) {
    return (
      <>
        <h1>{org.name}: webhooks</h1>
        <p>Only an admin of this organization (or provider SREs) can see and manage its webhooks.</p>
      </>
    );
  }
  prefetch(trpc.webhooks.list.queryOptions({ orgId }));
  return (
    <HydrateClient>
      <WebhooksView orgId={orgId} title={`${org.name}: webhooks`} />
    </HydrateClient>
  );
}
