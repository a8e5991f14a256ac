-- CreateEnum
CREATE TYPE "DeploymentPlatform" AS ENUM ('aws', 'gcp', 'azure', 'bare_metal');

-- AlterEnum
ALTER TYPE "OperationKind" ADD VALUE 'migrate_out';

-- CreateTable
CREATE TABLE "CustomerDeployment" (
    "id" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "platform" "DeploymentPlatform" NOT NULL,
    "contactName" TEXT NOT NULL,
    "contactEmail" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "migratedFromInstanceId" TEXT,
    "lastReportAt" TIMESTAMP(3),
    "lastReportDay" TEXT,
    "createdById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CustomerDeployment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "License" (
    "id" TEXT NOT NULL,
    "deploymentId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "seats" INTEGER NOT NULL,
    "features" TEXT[],
    "issuedAt" TIMESTAMP(3) NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "keyId" TEXT NOT NULL,
    "tokenSha256" TEXT NOT NULL,
    "tokenCiphertext" TEXT NOT NULL,
    "renewsId" TEXT,
    "revokedAt" TIMESTAMP(3),
    "revokedReason" TEXT,
    "issuedById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "License_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TelemetryReport" (
    "id" TEXT NOT NULL,
    "deploymentId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "licenseId" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "counters" JSONB NOT NULL,
    "replacements" INTEGER NOT NULL DEFAULT 0,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TelemetryReport_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TelemetryReplacement" (
    "id" BIGSERIAL NOT NULL,
    "reportId" TEXT NOT NULL,
    "previous" JSONB NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL,
    "replacedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TelemetryReplacement_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "CustomerDeployment_migratedFromInstanceId_key" ON "CustomerDeployment"("migratedFromInstanceId");

-- CreateIndex
CREATE INDEX "CustomerDeployment_orgId_createdAt_id_idx" ON "CustomerDeployment"("orgId", "createdAt" DESC, "id");

-- CreateIndex
CREATE INDEX "CustomerDeployment_lastReportAt_idx" ON "CustomerDeployment"("lastReportAt");

-- CreateIndex
CREATE UNIQUE INDEX "CustomerDeployment_orgId_name_key" ON "CustomerDeployment"("orgId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "License_tokenSha256_key" ON "License"("tokenSha256");

-- CreateIndex
CREATE INDEX "License_deploymentId_issuedAt_idx" ON "License"("deploymentId", "issuedAt" DESC);

-- CreateIndex
CREATE INDEX "TelemetryReport_day_idx" ON "TelemetryReport"("day");

-- CreateIndex
CREATE UNIQUE INDEX "TelemetryReport_deploymentId_day_key" ON "TelemetryReport"("deploymentId", "day");

-- CreateIndex
CREATE INDEX "TelemetryReplacement_reportId_replacedAt_idx" ON "TelemetryReplacement"("reportId", "replacedAt");

-- AddForeignKey
ALTER TABLE "CustomerDeployment" ADD CONSTRAINT "CustomerDeployment_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "License" ADD CONSTRAINT "License_deploymentId_fkey" FOREIGN KEY ("deploymentId") REFERENCES "CustomerDeployment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TelemetryReport" ADD CONSTRAINT "TelemetryReport_deploymentId_fkey" FOREIGN KEY ("deploymentId") REFERENCES "CustomerDeployment"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TelemetryReplacement" ADD CONSTRAINT "TelemetryReplacement_reportId_fkey" FOREIGN KEY ("reportId") REFERENCES "TelemetryReport"("id") ON DELETE CASCADE ON UPDATE CASCADE;

