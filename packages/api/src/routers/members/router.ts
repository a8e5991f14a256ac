import { createTRPCRouter } from "../../trpc";
import { changeRole } from "./change-role";
import { list } from "./list";
import { remove } from "./remove";

export const membersRouter = createTRPCRouter({ list, changeRole, remove });
