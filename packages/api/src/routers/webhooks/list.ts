import { listWebhookEndpoints } from "@cp/services";
import { z } from "zod";
import { orgOrFleetProcedure } from "../../trpc";
import { ZWebhookEndpoint } from "./shared";

/** The org's endpoints, or the fleet-wide ones (orgId null), with their last delivery; never their secrets. */
export const list = orgOrFleetProcedure("admin", "sre")
  .output(z.array(ZWebhookEndpoint))
  .query(({ input }) => listWebhookEndpoints({ orgId: input.orgId }));
