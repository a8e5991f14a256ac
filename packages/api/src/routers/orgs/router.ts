import { createTRPCRouter } from "../../trpc";
import { create } from "./create";
import { get } from "./get";
import { list } from "./list";
import { setQuota } from "./set-quota";

export const orgsRouter = createTRPCRouter({ list, get, create, setQuota });
