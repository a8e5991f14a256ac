import { createTRPCRouter } from "../../trpc";

export const supportChannelsRouter = createTRPCRouter({});
