// The Next route itself: Node runtime, never cached, and wired to the ingest (a report with a real license is
// stored; no license is 401). The ingest's rules are tested in @cp/services (telemetry/ingest.integration.test.ts).
import { randomUUID } from "node:crypto";
import { db } from "@cp/db";
import { issueLicenseTx } from "@cp/services";
import { describe, expect, it } from "vitest";
import * as route from "./route";

const counters = {
  userCount: 1,
  teamCount: 0,
  sweepCount: 0,
  runCount: 3,
  projectCount: 0,
  sweepRunCount: 0,
  artifactCount: 0,
  artifactStorageBytes: 0,
  artifactReferenceBytes: 0,
  artifactCollectionCount: 0,
  artifactTypeCount: 0,
  reportCount: 0,
  reportCommentCount: 0,
  computeHours: 0,
  storageBytes: 0,
  userStat: { activeDaily: 1, activeWeekly: 1, activeMonthly: 1 },
};

describe("POST /api/telemetry/v1/reports", () => {
  it("runs on Node, uncached, and stores a licensed report", async () => {
    expect(route.dynamic).toBe("force-dynamic");
    expect(route.runtime).toBe("nodejs");

    const suffix = randomUUID().slice(0, 8);
    const org = await db().organization.create({
      data: { name: `Route ${suffix}`, slug: `route-${suffix}`, plan: "customer_managed" },
    });
    const dep = await db().customerDeployment.create({
      data: {
        orgId: org.id,
        name: `route-${suffix}`,
        platform: "bare_metal",
        contactName: "Ops",
        contactEmail: "ops@example.com",
        version: "0.66.0",
      },
    });
    const { token } = await issueLicenseTx(db(), {
      deployment: { id: dep.id, orgId: org.id },
      seats: 5,
      features: [],
      expiresAt: new Date(Date.now() + 7 * 86_400_000),
      issuedById: null,
    });
    const day = new Date().toISOString().slice(0, 10);
    const body = JSON.stringify({ day, version: "0.66.1", counters });
    const url = "http://localhost/api/telemetry/v1/reports";

    const anonymous = await route.POST(new Request(url, { method: "POST", body }));
    expect(anonymous.status).toBe(401);

    const res = await route.POST(
      new Request(url, {
        method: "POST",
        body,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: true, replaced: false });
    const stored = await db().customerDeployment.findUniqueOrThrow({ where: { id: dep.id } });
    expect(stored).toMatchObject({ version: "0.66.1", lastReportDay: day });
  });
});
