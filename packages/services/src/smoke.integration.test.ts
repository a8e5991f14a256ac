import { describe, expect, it } from "vitest";
import { db } from "@cp/db";
import { checkReadiness } from "./health";

describe("integration harness", () => {
  it("reaches the throwaway database and Redis", async () => {
    const r = await checkReadiness();
    expect(r.checks.postgres?.ok).toBe(true);
    expect(r.checks.redis?.ok).toBe(true);
    const [{ current_database }] = await db().$queryRaw<
      [{ current_database: string }]
    >`SELECT current_database()`;
    expect(current_database).toMatch(/^cp_it_/);
  });
});
