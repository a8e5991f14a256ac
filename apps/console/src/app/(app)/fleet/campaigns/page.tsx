import { redirect } from "next/navigation";
import { requireMe } from "~/server/session";
import { CampaignsView } from "./campaigns-view";

export default async function CampaignsPage() {
  const me = await requireMe();
  if (me.staffRole === "none") redirect("/");
  // Nothing is prefetched: the list follows running campaigns live and its times are local, the browser's to render.
  return <CampaignsView canCreate={me.staffRole === "sre" || me.staffRole === "admin"} />;
}
