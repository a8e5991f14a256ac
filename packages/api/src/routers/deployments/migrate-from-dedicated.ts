import { ZId } from "@cp/core";
import { requestMigration, ZMigrationInput } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";

/**
 * Org admins, SREs and staff admins move a Dedicated instance to a customer-managed deployment: final verified
 * backup, export package, deployment + license, deprovision (audited as instance.migrate_out).
 */
export const migrateFromDedicated = orgProcedure("admin")
  .input(ZMigrationInput.extend({ instanceId: ZId }))
  .output(z.object({ operationId: z.string() }))
  .mutation(({ ctx, input }) => {
    const { orgId, instanceId, ...migration } = input;
    return requestMigration(ctx.service, orgId, instanceId, migration);
  });
