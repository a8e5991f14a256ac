import "server-only";
import { appRouter, createCaller, createTrpcContext } from "@cp/api";
import { dehydrate, HydrationBoundary } from "@tanstack/react-query";
import { createTRPCOptionsProxy, type TRPCQueryOptions } from "@trpc/tanstack-react-query";
import { headers } from "next/headers";
import { cache } from "react";
import { getSessionUserId } from "~/server/auth";
import { clientIp } from "~/server/request";
import { createQueryClient } from "./query-client";

/** One context per server render: the session's user, with roles loaded from the database. */
const createContext = cache(async () => {
  const h = await headers();
  return createTrpcContext({
    userId: await getSessionUserId(),
    ip: clientIp((k) => h.get(k)),
    userAgent: h.get("user-agent"),
  });
});

const getQueryClient = cache(createQueryClient);

export const trpc = createTRPCOptionsProxy({
  router: appRouter,
  ctx: createContext,
  queryClient: getQueryClient,
});

/** Direct calls from server components (e.g. to decide a redirect). */
export const serverCaller = cache(async () => createCaller(await createContext()));

export function HydrateClient({ children }: { children: React.ReactNode }) {
  return <HydrationBoundary state={dehydrate(getQueryClient())}>{children}</HydrationBoundary>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function prefetch<T extends ReturnType<TRPCQueryOptions<any>>>(queryOptions: T) {
  void getQueryClient().prefetchQuery(queryOptions);
}
