import { ZId } from "@cp/core";
import { openSupportRequest } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZSupportBody, ZSupportSeverity, ZSupportStatus, ZSupportSubject } from "./shared";

/** A customer of the org (or staff on their behalf) opens a request, optionally about one of its instances. */
export const open = orgProcedure("support")
  .input(
    z.object({
      instanceId: ZId.nullish(),
      severity: ZSupportSeverity,
      subject: ZSupportSubject,
      body: ZSupportBody,
    }),
  )
  .output(
    z.object({
      id: z.string(),
      number: z.number().int(),
      orgId: z.string(),
      status: ZSupportStatus,
      firstResponseDueAt: z.date(),
      resolutionDueAt: z.date(),
    }),
  )
  .mutation(({ ctx, input }) => openSupportRequest(ctx.service, input));
