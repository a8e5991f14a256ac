import { AuditLogView } from "~/components/audit-log-view";
import { orRedirect } from "~/server/session";
import { serverCaller } from "~/trpc/server";

export default async function OrgAuditPage({ params }: { params: Promise<{ orgId: string }> }) {
  const { orgId } = await params;
  const caller = await serverCaller();
  const org = await orRedirect(() => caller.orgs.get({ orgId }));
  return <AuditLogView orgId={orgId} title={`${org.name}: audit log`} />;
}
