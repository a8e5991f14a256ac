import { ZOrderInput } from "@cp/core";
import { checkIssuer } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZCheckItem } from "./check-bucket";

export const checkIssuerProcedure = orgProcedure("admin")
  .input(z.object({ sso: ZOrderInput.shape.sso }))
  .output(z.object({ items: z.array(ZCheckItem), discovery: z.unknown() }))
  .query(({ input }) => checkIssuer(input.sso));
