-- CreateEnum
CREATE TYPE "BackupKind" AS ENUM ('scheduled', 'manual', 'pre_restore');

-- CreateEnum
CREATE TYPE "BackupStatus" AS ENUM ('queued', 'running', 'completed', 'failed');

-- CreateEnum
CREATE TYPE "BackupVerification" AS ENUM ('pending', 'running', 'verified', 'failed', 'error');

-- AlterEnum
ALTER TYPE "InstanceStatus" ADD VALUE 'restoring';

-- AlterEnum
ALTER TYPE "OperationKind" ADD VALUE 'verify_backup';

-- AlterTable
ALTER TABLE "Instance" ADD COLUMN     "backupIntervalHours" INTEGER NOT NULL DEFAULT 24,
ADD COLUMN     "backupNextAt" TIMESTAMP(3),
ADD COLUMN     "backupRetentionDays" INTEGER NOT NULL DEFAULT 14,
ADD COLUMN     "backupStartTime" TEXT NOT NULL DEFAULT '03:00';

-- AlterTable
ALTER TABLE "Organization" ADD COLUMN     "backupMinIntervalHours" INTEGER NOT NULL DEFAULT 24,
ADD COLUMN     "backupRetentionMaxDays" INTEGER NOT NULL DEFAULT 35,
ADD COLUMN     "backupRetentionMinDays" INTEGER NOT NULL DEFAULT 7;

-- CreateTable
CREATE TABLE "Backup" (
    "id" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "kind" "BackupKind" NOT NULL,
    "status" "BackupStatus" NOT NULL DEFAULT 'queued',
    "verification" "BackupVerification" NOT NULL DEFAULT 'pending',
    "operationId" TEXT,
    "requestedById" TEXT,
    "scheduledFor" TIMESTAMP(3),
    "artifact" JSONB,
    "sizeBytes" BIGINT,
    "sha256" TEXT,
    "durationMs" INTEGER,
    "tableCount" INTEGER,
    "rowCount" BIGINT,
    "error" TEXT,
    "verifyReport" JSONB,
    "verifiedAt" TIMESTAMP(3),
    "startedAt" TIMESTAMP(3),
    "completedAt" TIMESTAMP(3),
    "expiresAt" TIMESTAMP(3),
    "pruneError" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Backup_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Backup_instanceId_createdAt_id_idx" ON "Backup"("instanceId", "createdAt" DESC, "id");

-- CreateIndex
CREATE INDEX "Backup_expiresAt_idx" ON "Backup"("expiresAt");

-- CreateIndex
CREATE UNIQUE INDEX "Backup_instanceId_scheduledFor_key" ON "Backup"("instanceId", "scheduledFor");

-- CreateIndex
CREATE INDEX "Instance_backupNextAt_idx" ON "Instance"("backupNextAt");

-- AddForeignKey
ALTER TABLE "Backup" ADD CONSTRAINT "Backup_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance"("id") ON DELETE CASCADE ON UPDATE CASCADE;

