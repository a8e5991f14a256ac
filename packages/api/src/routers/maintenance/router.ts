import { createTRPCRouter } from "../../trpc";

export const maintenanceRouter = createTRPCRouter({});
