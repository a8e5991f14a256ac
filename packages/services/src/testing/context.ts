// Acting contexts for integration tests: a user with a staff role and org memberships, calling from a fixed address.
import { randomUUID } from "node:crypto";
import { logger } from "@cp/config/logger";
import type { StaffRole } from "@cp/core";
import type { ServiceContext } from "../context";

export function ctxFor(
  user: { id: string; email: string },
  staffRole: StaffRole,
  memberships: { orgId: string; role: "admin" | "member" }[] = [],
): ServiceContext {
  return {
    actor: { userId: user.id, email: user.email, staffRole, memberships },
    ip: "203.0.113.9",
    userAgent: "test",
    requestId: randomUUID(),
    log: logger(),
  };
}
