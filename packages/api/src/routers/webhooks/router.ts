import { createTRPCRouter } from "../../trpc";
import { create } from "./create";
import { deleteEndpoint } from "./delete";
import { list } from "./list";
import { rotateSecret } from "./rotate-secret";
import { sendTest } from "./send-test";

export const webhooksRouter = createTRPCRouter({
  list,
  create,
  delete: deleteEndpoint,
  rotateSecret,
  sendTest,
});
