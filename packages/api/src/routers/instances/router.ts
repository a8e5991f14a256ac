import { createTRPCRouter } from "../../trpc";
import { cancel } from "./cancel";
import { checkBucket } from "./check-bucket";
import { checkIssuerProcedure } from "./check-issuer";
import { clouds } from "./clouds";
import { deprovision } from "./deprovision";
import { get } from "./get";
import { list } from "./list";
import { operationLog } from "./operation-log";
import { operations } from "./operations";
import { order } from "./order";
import { retry } from "./retry";
import { undelete } from "./undelete";
import { update } from "./update";

export const instancesRouter = createTRPCRouter({
  list,
  get,
  operations,
  operationLog,
  clouds,
  order,
  checkBucket,
  checkIssuer: checkIssuerProcedure,
  update,
  deprovision,
  cancel,
  retry,
  undelete,
});
