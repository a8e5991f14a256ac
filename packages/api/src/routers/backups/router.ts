import { createTRPCRouter } from "../../trpc";
import { clone } from "./clone";
import { create } from "./create";
import { list } from "./list";
import { policy } from "./policy";
import { restore } from "./restore";
import { setLimits } from "./set-limits";
import { updatePolicy } from "./update-policy";
import { verify } from "./verify";

export const backupsRouter = createTRPCRouter({
  list,
  policy,
  updatePolicy,
  create,
  verify,
  restore,
  clone,
  setLimits,
});
