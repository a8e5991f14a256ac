import { appRouter, createTrpcContext } from "@cp/api";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { getSessionUserId } from "~/server/auth";
import { clientIp } from "~/server/request";

export const dynamic = "force-dynamic";

const handler = (req: Request) =>
  fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: async () =>
      createTrpcContext({
        userId: await getSessionUserId(),
        ip: clientIp((k) => req.headers.get(k)),
        userAgent: req.headers.get("user-agent"),
        requestId: req.headers.get("x-request-id") ?? undefined,
      }),
  });

export { handler as GET, handler as POST };
