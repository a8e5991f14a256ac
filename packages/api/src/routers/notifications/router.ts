import { createTRPCRouter } from "../../trpc";
import { list } from "./list";
import { markAllRead } from "./mark-all-read";

export const notificationsRouter = createTRPCRouter({ list, markAllRead });
