import { orRedirect } from "~/server/session";
import { serverCaller } from "~/trpc/server";

/** Every page under an org checks access first: another org's id is a 404, never a page that fails to load. */
export default async function OrgLayout({
  children,
  params,
}: {
  children: React.ReactNode;
  params: Promise<{ orgId: string }>;
}) {
  const { orgId } = await params;
  const caller = await serverCaller();
  await orRedirect(() => caller.orgs.get({ orgId }));
  return children;
}
