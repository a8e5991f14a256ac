import { listOrgInstances } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZInstanceRow } from "../shared";

export const list = orgProcedure("read")
  .output(z.array(ZInstanceRow))
  .query(({ input }) => listOrgInstances(input.orgId));
