import { createTRPCRouter } from "../../trpc";
import { list } from "./list";

export const fleetRouter = createTRPCRouter({ list });
