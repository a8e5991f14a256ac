-- AlterTable
ALTER TABLE "Instance" ADD COLUMN     "checks" JSONB,
ADD COLUMN     "config" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "createdById" TEXT,
ADD COLUMN     "destroyedAt" TIMESTAMP(3),
ADD COLUMN     "orderKey" TEXT,
ADD COLUMN     "outputs" JSONB,
ADD COLUMN     "retentionUntil" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Operation" ADD COLUMN     "notBefore" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
ADD COLUMN     "steps" JSONB NOT NULL DEFAULT '[]';

-- CreateTable
CREATE TABLE "InstanceSecret" (
    "id" TEXT NOT NULL,
    "instanceId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "ciphertext" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "InstanceSecret_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "InstanceSecret_instanceId_name_key" ON "InstanceSecret"("instanceId", "name");

-- CreateIndex
CREATE UNIQUE INDEX "Instance_orgId_orderKey_key" ON "Instance"("orgId", "orderKey");

-- CreateIndex
CREATE INDEX "Operation_status_notBefore_idx" ON "Operation"("status", "notBefore");

-- AddForeignKey
ALTER TABLE "InstanceSecret" ADD CONSTRAINT "InstanceSecret_instanceId_fkey" FOREIGN KEY ("instanceId") REFERENCES "Instance"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- At most one running operation per instance, whatever a worker does (DESIGN.md, Operations).
CREATE UNIQUE INDEX "Operation_one_running_per_instance" ON "Operation"("instanceId") WHERE "status" = 'running';
