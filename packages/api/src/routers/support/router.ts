import { createTRPCRouter } from "../../trpc";
import { assignments } from "./assignments";
import { get } from "./get";
import { list } from "./list";
import { open } from "./open";
import { plans } from "./plans";
import { queue } from "./queue";
import { reply } from "./reply";
import { setAssignment } from "./set-assignment";
import { setPlan } from "./set-plan";
import { setStatus } from "./set-status";
import { staffMembers } from "./staff-members";

export const supportRouter = createTRPCRouter({
  open,
  list,
  get,
  reply,
  setStatus,
  queue,
  assignments,
  setAssignment,
  setPlan,
  plans,
  staffMembers,
});
