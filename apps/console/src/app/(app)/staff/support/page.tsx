import { redirect } from "next/navigation";
import { requireMe } from "~/server/session";
import { SupportQueueView } from "./support-queue-view";

export default async function SupportQueuePage() {
  const me = await requireMe();
  if (me.staffRole === "none") redirect("/");
  // Nothing is prefetched: the queue's clocks are "now"-relative and its times local, the browser's to render.
  return <SupportQueueView />;
}
