-- CreateEnum
CREATE TYPE "ReleaseChannel" AS ENUM ('stable', 'beta');

-- CreateEnum
CREATE TYPE "CampaignStatus" AS ENUM ('draft', 'running', 'paused', 'completed', 'aborted');

-- CreateEnum
CREATE TYPE "CampaignTargetStatus" AS ENUM ('pending', 'scheduled', 'upgrading', 'succeeded', 'failed', 'skipped', 'rolled_back');

-- AlterEnum
ALTER TYPE "BackupKind" ADD VALUE 'pre_upgrade';

-- AlterEnum
ALTER TYPE "OperationKind" ADD VALUE 'rollback';

-- AlterTable
ALTER TABLE "Instance" ADD COLUMN     "maintenanceAnchor" TEXT NOT NULL DEFAULT '2026-01-06',
ADD COLUMN     "maintenanceBlackouts" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "maintenanceDeferred" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "maintenanceDurationMin" INTEGER NOT NULL DEFAULT 240,
ADD COLUMN     "maintenanceStart" TEXT NOT NULL DEFAULT '02:00',
ADD COLUMN     "maintenanceTimezone" TEXT NOT NULL DEFAULT 'UTC',
ADD COLUMN     "maintenanceWeekday" INTEGER NOT NULL DEFAULT 2,
ADD COLUMN     "previousVersion" TEXT;

-- CreateTable
CREATE TABLE "Release" (
    "version" TEXT NOT NULL,
    "releasedAt" TIMESTAMP(3) NOT NULL,
    "notes" TEXT NOT NULL DEFAULT '',
    "channel" "ReleaseChannel" NOT NULL DEFAULT 'stable',
    "requiresVersion" TEXT,
    "endOfSupportAt" TIMESTAMP(3),
    "noRollback" BOOLEAN NOT NULL DEFAULT false,
    "withdrawnAt" TIMESTAMP(3),
    "withdrawnReason" TEXT,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Release_pkey" PRIMARY KEY ("version")
);

-- CreateTable
CREATE TABLE "MaintenanceBlackout" (
    "date" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MaintenanceBlackout_pkey" PRIMARY KEY ("date")
);

-- CreateTable
CREATE TABLE "MaintenanceNotice" (
    "id" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "windowStart" TIMESTAMP(3) NOT NULL,
    "leadHours" INTEGER NOT NULL,
    "work" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "MaintenanceNotice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UpgradeCampaign" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "targetVersion" TEXT NOT NULL,
    "selector" JSONB NOT NULL,
    "strategy" JSONB NOT NULL,
    "gate" JSONB NOT NULL,
    "status" "CampaignStatus" NOT NULL DEFAULT 'draft',
    "urgent" BOOLEAN NOT NULL DEFAULT false,
    "urgentReason" TEXT,
    "currentWave" INTEGER NOT NULL DEFAULT -1,
    "waveStartedAt" TIMESTAMP(3),
    "pausedReason" TEXT,
    "createdById" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "UpgradeCampaign_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CampaignTarget" (
    "id" TEXT NOT NULL,
    "campaignId" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "wave" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "status" "CampaignTargetStatus" NOT NULL DEFAULT 'pending',
    "fromVersion" TEXT,
    "plannedAt" TIMESTAMP(3),
    "operationId" TEXT,
    "gateResult" JSONB,
    "error" TEXT,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CampaignTarget_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Release_releasedAt_idx" ON "Release"("releasedAt");

-- CreateIndex
CREATE INDEX "MaintenanceNotice_createdAt_idx" ON "MaintenanceNotice"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "MaintenanceNotice_instanceId_windowStart_leadHours_key" ON "MaintenanceNotice"("instanceId", "windowStart", "leadHours");

-- CreateIndex
CREATE INDEX "UpgradeCampaign_status_createdAt_idx" ON "UpgradeCampaign"("status", "createdAt");

-- CreateIndex
CREATE INDEX "UpgradeCampaign_createdAt_id_idx" ON "UpgradeCampaign"("createdAt" DESC, "id");

-- CreateIndex
CREATE INDEX "CampaignTarget_campaignId_wave_position_idx" ON "CampaignTarget"("campaignId", "wave", "position");

-- CreateIndex
CREATE INDEX "CampaignTarget_instanceId_idx" ON "CampaignTarget"("instanceId");

-- CreateIndex
CREATE INDEX "CampaignTarget_operationId_idx" ON "CampaignTarget"("operationId");

-- CreateIndex
CREATE UNIQUE INDEX "CampaignTarget_campaignId_instanceId_key" ON "CampaignTarget"("campaignId", "instanceId");

-- AddForeignKey
ALTER TABLE "MaintenanceNotice" ADD CONSTRAINT "MaintenanceNotice_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CampaignTarget" ADD CONSTRAINT "CampaignTarget_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "UpgradeCampaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CampaignTarget" ADD CONSTRAINT "CampaignTarget_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance"("id") ON DELETE CASCADE ON UPDATE CASCADE;

