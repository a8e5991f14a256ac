import { redirect } from "next/navigation";
import { requireMe } from "~/server/session";
import { CampaignForm } from "./campaign-form";

export default async function NewCampaignPage() {
  const me = await requireMe();
  if (me.staffRole !== "sre" && me.staffRole !== "admin") redirect("/fleet/campaigns");
  return <CampaignForm />;
}
