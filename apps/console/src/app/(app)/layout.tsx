import { serverCaller } from "~/trpc/server";
import { orRedirect, requireMe } from "~/server/session";
import { Shell } from "~/components/shell";
import { NoAccess } from "~/components/no-access";

export const dynamic = "force-dynamic";

export default async function AppLayout({ children }: { children: React.ReactNode }) {
  const me = await requireMe();
  if (me.needsInvitation) return <NoAccess email={me.email} />;
  const caller = await serverCaller();
  const orgs = await orRedirect(() => caller.orgs.list({}));
  return (
    <Shell me={me} orgs={orgs}>
      {children}
    </Shell>
  );
}
