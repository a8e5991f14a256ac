import { createTRPCRouter } from "../../trpc";
import { get } from "./get";
import { setup } from "./setup";

export const supportChannelsRouter = createTRPCRouter({ get, setup });
