// Instance rows for integration tests: a running local-cloud instance with nothing behind it.
import { db, type Prisma } from "@cp/db";

export function createTestInstance(
  orgId: string,
  slug: string,
  data: Partial<Omit<Prisma.InstanceUncheckedCreateInput, "orgId" | "slug">> = {},
) {
  return db().instance.create({
    data: {
      orgId,
      name: slug,
      slug,
      cloud: "local",
      region: "local",
      size: "small",
      mysqlVersion: "8.0",
      storageMode: "provider",
      status: "running",
      ...data,
    },
  });
}
