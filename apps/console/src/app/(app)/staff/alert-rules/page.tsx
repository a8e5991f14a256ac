import { redirect } from "next/navigation";
import { requireMe } from "~/server/session";
import { HydrateClient, prefetch, trpc } from "~/trpc/server";
import { AlertRulesView } from "./alert-rules-view";

export default async function AlertRulesPage() {
  const me = await requireMe();
  if (me.staffRole === "none") redirect("/");
  prefetch(trpc.alerts.rules.queryOptions({}));
  return (
    <HydrateClient>
      <AlertRulesView canEdit={me.staffRole === "sre" || me.staffRole === "admin"} />
    </HydrateClient>
  );
}
