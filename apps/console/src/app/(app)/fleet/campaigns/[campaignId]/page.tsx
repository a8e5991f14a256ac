import { redirect } from "next/navigation";
import { requireMe } from "~/server/session";
import { CampaignView } from "./campaign-view";

export default async function CampaignPage({ params }: { params: Promise<{ campaignId: string }> }) {
  const { campaignId } = await params;
  const me = await requireMe();
  if (me.staffRole === "none") redirect("/");
  // Fetched in the browser: the page follows the campaign live and shows planned times in the viewer's zone.
  return (
    <CampaignView campaignId={campaignId} canOperate={me.staffRole === "sre" || me.staffRole === "admin"} />
  );
}
