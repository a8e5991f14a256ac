import { redirect } from "next/navigation";
import { requireMe } from "~/server/session";
import { StaffUsersView } from "./staff-users-view";

export default async function StaffUsersPage() {
  const me = await requireMe();
  if (me.staffRole === "none") redirect("/");
  return <StaffUsersView canEdit={me.staffRole === "admin"} />;
}
