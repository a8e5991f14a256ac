import { ZId } from "@cp/core";
import { getInstance } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZInstanceRow } from "../shared";

export const ZInstanceDetail = ZInstanceRow.omit({ orgId: true }).extend({
  orgId: z.string(),
  retentionUntil: z.date().nullable(),
  destroyedAt: z.date().nullable(),
  config: z.object({
    reliability: z
      .object({
        externalRedis: z.boolean(),
        rateLimits: z.object({ filestream: z.number(), graphql: z.number() }),
      })
      .nullable(),
    sso: z.object({ mode: z.enum(["provider", "oidc"]), issuer: z.string().nullable() }).nullable(),
    storage: z.object({ mode: z.enum(["provider", "byob"]), bucket: z.string().nullable() }).nullable(),
    ipAllowlist: z.array(z.string()),
  }),
  outputs: z
    .object({
      url: z.string(),
      databaseEndpoint: z.string(),
      databaseName: z.string(),
      bucket: z.string(),
      version: z.string(),
    })
    .nullable(),
  actions: z.array(z.enum(["cancel", "retry", "update", "deprovision", "undelete"])),
});

export const get = orgProcedure("read")
  .input(z.object({ instanceId: ZId }))
  .output(ZInstanceDetail)
  .query(({ ctx, input }) => getInstance(ctx.actor, input.orgId, input.instanceId));
