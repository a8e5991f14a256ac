import { createTRPCRouter } from "../../trpc";
import { abort } from "./abort";
import { create } from "./create";
import { get } from "./get";
import { list } from "./list";
import { pause } from "./pause";
import { preview } from "./preview";
import { resume } from "./resume";
import { rollbackInstance } from "./rollback-instance";
import { start } from "./start";
import { upgradeInstance } from "./upgrade-instance";

export const campaignsRouter = createTRPCRouter({
  preview,
  create,
  list,
  get,
  start,
  pause,
  resume,
  abort,
  rollbackInstance,
  upgradeInstance,
});
