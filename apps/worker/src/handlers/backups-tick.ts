import { pruneExpiredBackups, scheduleDueBackups } from "@cp/services";
import type { Handler } from "../registry";

/** Queues due scheduled backups, then removes expired ones; each half is idempotent and safe on any replica. */
export const handleBackupsTick: Handler<"backupsTick"> = async (_payload, { deps, log }) => {
  const queued = await scheduleDueBackups();
  const pruned = await pruneExpiredBackups(deps.engines);
  if (queued || pruned.removed || pruned.failed) log.info({ queued, ...pruned }, "backups tick");
  return { queued, ...pruned };
};
