import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { requireMe } from "~/server/session";
import { MembersView } from "./members-view";

export default async function MembersPage({ params }: { params: Promise<{ orgId: string }> }) {
  const { orgId } = await params;
  const me = await requireMe();
  const role = me.orgs.find((o) => o.id === orgId)?.role ?? null;
  // Who may administer: the org's admins, SREs and staff admins. Support staff may read invitations but not change them.
  const canAdmin = role === "admin" || me.staffRole === "sre" || me.staffRole === "admin";
  const canSeeInvitations = canAdmin || me.staffRole === "support";
  prefetch(trpc.orgs.get.queryOptions({ orgId }));
  prefetch(trpc.members.list.queryOptions({ orgId }));
  if (canSeeInvitations) prefetch(trpc.invitations.list.queryOptions({ orgId }));
  return (
    <HydrateClient>
      <MembersView orgId={orgId} canAdmin={canAdmin} canSeeInvitations={canSeeInvitations} myUserId={me.id} />
    </HydrateClient>
  );
}
