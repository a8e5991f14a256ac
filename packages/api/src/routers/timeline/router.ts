import { createTRPCRouter } from "../../trpc";
import { list } from "./list";

export const timelineRouter = createTRPCRouter({ list });
