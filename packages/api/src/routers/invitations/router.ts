import { createTRPCRouter } from "../../trpc";
import { accept } from "./accept";
import { acceptWithNewAccount } from "./accept-with-new-account";
import { create } from "./create";
import { list } from "./list";
import { preview } from "./preview";
import { revoke } from "./revoke";

export const invitationsRouter = createTRPCRouter({
  list,
  create,
  revoke,
  preview,
  accept,
  acceptWithNewAccount,
});
