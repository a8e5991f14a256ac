import { createTRPCRouter } from "../../trpc";

export const telemetryRouter = createTRPCRouter({});
