import { createTRPCRouter } from "../../trpc";

export const releasesRouter = createTRPCRouter({});
