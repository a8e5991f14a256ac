import { createTRPCRouter } from "../../trpc";
import { instance } from "./instance";

export const healthRouter = createTRPCRouter({ instance });
