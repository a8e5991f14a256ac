import { redirect } from "next/navigation";
import { requireMe } from "~/server/session";
import { ReleasesView } from "./releases-view";

export default async function ReleasesPage() {
  const me = await requireMe();
  if (me.staffRole === "none") redirect("/");
  // Nothing is prefetched: release and end-of-support dates are local times, the browser's to render.
  return <ReleasesView canEdit={me.staffRole === "admin"} />;
}
