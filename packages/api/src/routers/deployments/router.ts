import { createTRPCRouter } from "../../trpc";

export const deploymentsRouter = createTRPCRouter({});
