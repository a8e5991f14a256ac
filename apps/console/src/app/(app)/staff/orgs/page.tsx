import { redirect } from "next/navigation";
import { requireMe } from "~/server/session";
import { StaffOrgsView } from "./staff-orgs-view";

export default async function StaffOrgsPage() {
  const me = await requireMe();
  if (me.staffRole === "none") redirect("/");
  return (
    <StaffOrgsView
      canCreate={me.staffRole === "admin"}
      canSetQuota={me.staffRole === "admin" || me.staffRole === "sre"}
      canSetBackupLimits={me.staffRole === "admin" || me.staffRole === "sre"}
    />
  );
}
