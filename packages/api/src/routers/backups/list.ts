import { ZId, ZPage } from "@cp/core";
import { listBackups } from "@cp/services";
import { z } from "zod";
import { orgProcedure } from "../../trpc";
import { ZBackup } from "./shared";

/** An instance's backups, newest first, a keyset page at a time. */
export const list = orgProcedure("read")
  .input(ZPage.extend({ instanceId: ZId }))
  .output(z.object({ items: z.array(ZBackup), nextCursor: z.string().nullable() }))
  .query(({ input }) => listBackups(input));
