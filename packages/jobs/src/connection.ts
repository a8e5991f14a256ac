// Separate Redis connections for producers (the console, use cases) and workers (STYLE.md #10).
import { env } from "@cp/config";
import { Redis, type RedisOptions } from "ioredis";

export type RedisRole = "producer" | "worker" | "general";

export function createRedis(role: RedisRole, url: string = env().REDIS_URL): Redis {
  const options: RedisOptions =
    role === "worker"
      ? // Blocking worker commands must wait out a Redis restart instead of failing.
        { maxRetriesPerRequest: null, enableReadyCheck: true }
      : // Web requests fail fast rather than hang while Redis is away.
        { maxRetriesPerRequest: 2, connectTimeout: 5000 };
  return new Redis(url, { ...options, lazyConnect: false, connectionName: `cp-${role}` });
}

const shared: Partial<Record<RedisRole, Redis>> = {};

/** A process-wide connection per role. */
export function redis(role: RedisRole = "general"): Redis {
  shared[role] ??= createRedis(role);
  return shared[role];
}

export async function closeSharedRedis(): Promise<void> {
  await Promise.all(
    Object.entries(shared).map(async ([role, conn]) => {
      delete shared[role as RedisRole];
      await conn.quit().catch(() => conn.disconnect());
    }),
  );
}
