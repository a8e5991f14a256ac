-- CreateEnum
CREATE TYPE "SupportSeverity" AS ENUM ('P1', 'P2', 'P3', 'P4');

-- CreateEnum
CREATE TYPE "SupportRequestStatus" AS ENUM ('open', 'waiting_on_customer', 'resolved');

-- CreateEnum
CREATE TYPE "SupportAssignmentRole" AS ENUM ('primary', 'secondary');

-- AlterEnum
ALTER TYPE "OutboxChannel" ADD VALUE 'slack';

-- AlterTable
ALTER TABLE "Organization" ADD COLUMN     "supportPlan" TEXT NOT NULL DEFAULT 'standard';

-- CreateTable
CREATE TABLE "SupportAssignment" (
    "orgId" TEXT NOT NULL,
    "role" "SupportAssignmentRole" NOT NULL,
    "userId" TEXT NOT NULL,
    "assignedById" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SupportAssignment_pkey" PRIMARY KEY ("orgId","role")
);

-- CreateTable
CREATE TABLE "SupportChannel" (
    "id" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "externalId" TEXT,
    "name" TEXT NOT NULL,
    "topic" TEXT,
    "invitedUserIds" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "connectInvites" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "operationId" TEXT,
    "readyAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SupportChannel_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ChannelPost" (
    "id" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "orgId" TEXT NOT NULL,
    "channelId" TEXT,
    "kind" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "dedupeKey" TEXT NOT NULL,
    "externalTs" TEXT,
    "postedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ChannelPost_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SupportRequest" (
    "id" TEXT NOT NULL,
    "number" SERIAL NOT NULL,
    "orgId" TEXT NOT NULL,
    "instanceId" TEXT,
    "openedById" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "severity" "SupportSeverity" NOT NULL,
    "status" "SupportRequestStatus" NOT NULL DEFAULT 'open',
    "plan" TEXT NOT NULL,
    "assigneeId" TEXT,
    "firstResponseDueAt" TIMESTAMP(3) NOT NULL,
    "resolutionDueAt" TIMESTAMP(3) NOT NULL,
    "firstRespondedAt" TIMESTAMP(3),
    "resolvedAt" TIMESTAMP(3),
    "firstResponseBreachedAt" TIMESTAMP(3),
    "resolutionBreachedAt" TIMESTAMP(3),
    "nearBreachNotifiedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SupportRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SupportMessage" (
    "id" TEXT NOT NULL,
    "requestId" TEXT NOT NULL,
    "authorId" TEXT NOT NULL,
    "fromStaff" BOOLEAN NOT NULL,
    "body" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SupportMessage_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "SupportAssignment_userId_idx" ON "SupportAssignment"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "SupportChannel_instanceId_key" ON "SupportChannel"("instanceId");

-- CreateIndex
CREATE UNIQUE INDEX "ChannelPost_dedupeKey_key" ON "ChannelPost"("dedupeKey");

-- CreateIndex
CREATE INDEX "ChannelPost_instanceId_createdAt_id_idx" ON "ChannelPost"("instanceId", "createdAt" DESC, "id");

-- CreateIndex
CREATE UNIQUE INDEX "SupportRequest_number_key" ON "SupportRequest"("number");

-- CreateIndex
CREATE INDEX "SupportRequest_orgId_createdAt_id_idx" ON "SupportRequest"("orgId", "createdAt" DESC, "id");

-- CreateIndex
CREATE INDEX "SupportRequest_instanceId_createdAt_id_idx" ON "SupportRequest"("instanceId", "createdAt" DESC, "id");

-- CreateIndex
CREATE INDEX "SupportRequest_status_firstResponseDueAt_idx" ON "SupportRequest"("status", "firstResponseDueAt");

-- CreateIndex
CREATE INDEX "SupportRequest_status_resolutionDueAt_idx" ON "SupportRequest"("status", "resolutionDueAt");

-- CreateIndex
CREATE INDEX "SupportMessage_requestId_createdAt_id_idx" ON "SupportMessage"("requestId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Alert_instanceId_createdAt_id_idx" ON "Alert"("instanceId", "createdAt" DESC, "id");

-- CreateIndex
CREATE INDEX "AuditEvent_targetId_createdAt_id_idx" ON "AuditEvent"("targetId", "createdAt" DESC, "id");

-- CreateIndex
CREATE INDEX "Operation_instanceId_createdAt_id_idx" ON "Operation"("instanceId", "createdAt" DESC, "id");

-- AddForeignKey
ALTER TABLE "SupportAssignment" ADD CONSTRAINT "SupportAssignment_orgId_fkey" FOREIGN KEY ("orgId") REFERENCES "Organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SupportChannel" ADD CONSTRAINT "SupportChannel_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ChannelPost" ADD CONSTRAINT "ChannelPost_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "SupportChannel"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SupportMessage" ADD CONSTRAINT "SupportMessage_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "SupportRequest"("id") ON DELETE CASCADE ON UPDATE CASCADE;

