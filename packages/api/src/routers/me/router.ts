import { createTRPCRouter } from "../../trpc";
import { get } from "./get";

export const meRouter = createTRPCRouter({ get });
