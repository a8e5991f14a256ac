import { redirect } from "next/navigation";
import { AuditLogView } from "~/components/audit-log-view";
import { requireMe } from "~/server/session";

export default async function AllAuditPage() {
  const me = await requireMe();
  if (me.staffRole === "none") redirect("/");
  return <AuditLogView orgId={null} title="Audit log: all organizations" />;
}
