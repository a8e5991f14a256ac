import { redirect } from "next/navigation";
import { requireMe } from "~/server/session";

export default async function Home() {
  const me = await requireMe();
  if (me.staffRole !== "none") redirect("/fleet");
  const first = me.orgs[0];
  redirect(first ? `/orgs/${first.id}` : "/signin");
}
