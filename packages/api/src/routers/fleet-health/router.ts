import { createTRPCRouter } from "../../trpc";
import { list } from "./list";
import { summary } from "./summary";

export const fleetHealthRouter = createTRPCRouter({ summary, list });
