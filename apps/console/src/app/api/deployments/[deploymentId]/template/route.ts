import { randomUUID } from "node:crypto";
import { logger } from "@cp/config/logger";
import { AppError } from "@cp/core";
import { bundleFileName, renderTemplateBundle } from "@cp/infra-customer-managed/bundle";
import { loadActor, prepareTemplateDownload } from "@cp/services";
import { getSessionUserId } from "~/server/auth";
import { clientIp } from "~/server/request";

// GET /api/deployments/<id>/template?platform=aws|gcp|azure|bare_metal&size=minimum|recommended&mysql=8.0&redis=0|1
// The install bundle with the deployment's license filled in: for the org's admins, SREs and staff admins; another
// org's deployment is 404. The bundle carries the license, so it is never cached.
export const dynamic = "force-dynamic";

const STATUS: Partial<Record<AppError["code"], number>> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
};

const problem = (status: number, message: string) =>
  Response.json({ error: message }, { status, headers: { "cache-control": "no-store" } });

export async function GET(req: Request, { params }: { params: Promise<{ deploymentId: string }> }) {
  const requestId = req.headers.get("x-request-id") ?? randomUUID();
  const userId = await getSessionUserId();
  const actor = userId ? await loadActor(userId) : null;
  if (!actor) return problem(401, "Sign in to download install templates.");

  const { deploymentId } = await params;
  const query = new URL(req.url).searchParams;
  try {
    const download = await prepareTemplateDownload(
      { actor, ip: clientIp((k) => req.headers.get(k)), userAgent: req.headers.get("user-agent"), requestId },
      {
        deploymentId,
        platform: query.get("platform"),
        size: query.get("size"),
        mysqlVersion: query.get("mysql"),
        redis: query.get("redis"),
        redisMemoryGb: query.get("redisGb"),
      },
    );
    const bundle = await renderTemplateBundle({
      platform: download.platform,
      licenseToken: download.licenseToken,
      deploymentName: download.deployment.name,
      size: download.size,
      mysqlVersion: download.mysqlVersion,
      redis: download.redis,
    });
    const filename = bundleFileName(download.deployment.name, download.platform);
    return new Response(new Uint8Array(bundle), {
      headers: {
        "content-type": "application/gzip",
        "content-disposition": `attachment; filename="${filename}"`,
        "content-length": String(bundle.length),
        "cache-control": "no-store",
      },
    });
  } catch (err) {
    if (err instanceof AppError) return problem(STATUS[err.code] ?? 400, err.message);
    logger().error({ err, requestId, deploymentId }, "install template download failed");
    return problem(500, `Something went wrong on our side. Reference: ${requestId}`);
  }
}
