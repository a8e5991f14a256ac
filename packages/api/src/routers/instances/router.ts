import { createTRPCRouter } from "../../trpc";
import { list } from "./list";

export const instancesRouter = createTRPCRouter({ list });
