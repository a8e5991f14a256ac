import { deleteWebhookEndpoint } from "@cp/services";
import { orgOrFleetProcedure } from "../../trpc";
import { ZOkOutput } from "../shared";
import { ZWebhookRef } from "./shared";

/** Deletes the endpoint; deliveries still queued for it are failed. */
export const deleteEndpoint = orgOrFleetProcedure("admin", "sre")
  .input(ZWebhookRef)
  .output(ZOkOutput)
  .mutation(({ ctx, input }) => deleteWebhookEndpoint(ctx.service, input));
