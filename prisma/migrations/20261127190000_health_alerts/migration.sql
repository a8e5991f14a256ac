-- CreateEnum
CREATE TYPE "AlertSeverity" AS ENUM ('info', 'warning', 'critical');

-- CreateEnum
CREATE TYPE "AlertState" AS ENUM ('pending', 'firing', 'acknowledged', 'resolved');

-- CreateEnum
CREATE TYPE "AlertComparison" AS ENUM ('gt', 'lt');

-- AlterEnum
ALTER TYPE "OutboxChannel" ADD VALUE 'webhook';

-- AlterTable
ALTER TABLE "Instance" ADD COLUMN     "alertRank" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "openAlerts" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN     "payload" JSONB,
ADD COLUMN     "webhookId" TEXT;

-- CreateTable
CREATE TABLE "MonitorState" (
    "instanceId" TEXT NOT NULL,
    "nextPollAt" TIMESTAMP(3) NOT NULL,
    "lastPolledAt" TIMESTAMP(3),
    "lastCounters" JSONB,
    "lastError" TEXT,
    "consecutiveFailures" INTEGER NOT NULL DEFAULT 0,
    "bucketCheckDueAt" TIMESTAMP(3),
    "bucketCheckedAt" TIMESTAMP(3),
    "bucketCheck" JSONB,

    CONSTRAINT "MonitorState_pkey" PRIMARY KEY ("instanceId")
);

-- CreateTable
CREATE TABLE "MetricSeries" (
    "id" SERIAL NOT NULL,
    "instanceId" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "baseline" DOUBLE PRECISION,
    "baselineAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MetricSeries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "metric_samples" (
    "series_id" INTEGER NOT NULL,
    "ts" TIMESTAMPTZ(3) NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "metric_samples_pkey" PRIMARY KEY ("series_id","ts")
);

-- CreateTable
CREATE TABLE "metric_rollups" (
    "series_id" INTEGER NOT NULL,
    "resolution" INTEGER NOT NULL,
    "bucket" TIMESTAMPTZ(3) NOT NULL,
    "min" DOUBLE PRECISION NOT NULL,
    "max" DOUBLE PRECISION NOT NULL,
    "sum" DOUBLE PRECISION NOT NULL,
    "count" INTEGER NOT NULL,

    CONSTRAINT "metric_rollups_pkey" PRIMARY KEY ("series_id","resolution","bucket")
);

-- CreateTable
CREATE TABLE "AlertRule" (
    "id" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "metric" TEXT NOT NULL,
    "comparison" "AlertComparison" NOT NULL,
    "threshold" DOUBLE PRECISION NOT NULL,
    "resolveThreshold" DOUBLE PRECISION NOT NULL,
    "baselineFactor" DOUBLE PRECISION,
    "forSeconds" INTEGER NOT NULL,
    "severity" "AlertSeverity" NOT NULL,
    "runbook" TEXT NOT NULL,
    "notifyCustomer" BOOLEAN NOT NULL DEFAULT true,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "updatedById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AlertRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AlertRuleOverride" (
    "ruleId" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "threshold" DOUBLE PRECISION,
    "resolveThreshold" DOUBLE PRECISION,
    "forSeconds" INTEGER,
    "enabled" BOOLEAN,
    "reason" TEXT,
    "updatedById" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AlertRuleOverride_pkey" PRIMARY KEY ("ruleId","instanceId")
);

-- CreateTable
CREATE TABLE "Alert" (
    "id" TEXT NOT NULL,
    "ruleId" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "state" "AlertState" NOT NULL,
    "severity" "AlertSeverity" NOT NULL,
    "openKey" TEXT,
    "value" DOUBLE PRECISION NOT NULL,
    "threshold" DOUBLE PRECISION NOT NULL,
    "pendingSince" TIMESTAMP(3) NOT NULL,
    "firedAt" TIMESTAMP(3),
    "acknowledgedAt" TIMESTAMP(3),
    "acknowledgedById" TEXT,
    "resolvedAt" TIMESTAMP(3),
    "notifiedAt" TIMESTAMP(3),
    "lastEvaluatedAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Alert_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AlertSilence" (
    "id" TEXT NOT NULL,
    "ruleId" TEXT NOT NULL,
    "instanceId" TEXT,
    "reason" TEXT NOT NULL,
    "startsAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "createdById" TEXT NOT NULL,
    "cancelledAt" TIMESTAMP(3),
    "cancelledById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AlertSilence_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "WebhookEndpoint" (
    "id" TEXT NOT NULL,
    "orgId" TEXT,
    "url" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "secretCiphertext" TEXT NOT NULL,
    "events" TEXT[],
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,
    "lastDeliveryAt" TIMESTAMP(3),
    "lastStatus" TEXT,

    CONSTRAINT "WebhookEndpoint_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "MonitorState_nextPollAt_idx" ON "MonitorState"("nextPollAt");

-- CreateIndex
CREATE INDEX "MonitorState_bucketCheckDueAt_idx" ON "MonitorState"("bucketCheckDueAt");

-- CreateIndex
CREATE UNIQUE INDEX "MetricSeries_instanceId_metric_key" ON "MetricSeries"("instanceId", "metric");

-- CreateIndex
CREATE INDEX "metric_samples_ts_idx" ON "metric_samples" USING BRIN ("ts");

-- CreateIndex
CREATE INDEX "metric_rollups_bucket_idx" ON "metric_rollups" USING BRIN ("bucket");

-- CreateIndex
CREATE UNIQUE INDEX "AlertRule_key_key" ON "AlertRule"("key");

-- CreateIndex
CREATE INDEX "AlertRuleOverride_instanceId_idx" ON "AlertRuleOverride"("instanceId");

-- CreateIndex
CREATE UNIQUE INDEX "Alert_openKey_key" ON "Alert"("openKey");

-- CreateIndex
CREATE INDEX "Alert_instanceId_firedAt_idx" ON "Alert"("instanceId", "firedAt" DESC);

-- CreateIndex
CREATE INDEX "Alert_state_severity_idx" ON "Alert"("state", "severity");

-- CreateIndex
CREATE INDEX "Alert_orgId_state_idx" ON "Alert"("orgId", "state");

-- CreateIndex
CREATE INDEX "AlertSilence_ruleId_expiresAt_idx" ON "AlertSilence"("ruleId", "expiresAt");

-- CreateIndex
CREATE INDEX "AlertSilence_instanceId_expiresAt_idx" ON "AlertSilence"("instanceId", "expiresAt");

-- CreateIndex
CREATE INDEX "WebhookEndpoint_orgId_idx" ON "WebhookEndpoint"("orgId");

-- CreateIndex
CREATE INDEX "Instance_alertRank_slug_idx" ON "Instance"("alertRank" DESC, "slug");

-- AddForeignKey
ALTER TABLE "MonitorState" ADD CONSTRAINT "MonitorState_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "MetricSeries" ADD CONSTRAINT "MetricSeries_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AlertRuleOverride" ADD CONSTRAINT "AlertRuleOverride_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "AlertRule"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "AlertRule"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Alert" ADD CONSTRAINT "Alert_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AlertSilence" ADD CONSTRAINT "AlertSilence_ruleId_fkey" FOREIGN KEY ("ruleId") REFERENCES "AlertRule"("id") ON DELETE CASCADE ON UPDATE CASCADE;

