export { appRouter, createCaller, type AppRouter } from "./root";
export { createTrpcContext, describeZodError, type TrpcContext, type ContextInput } from "./trpc";
export type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
