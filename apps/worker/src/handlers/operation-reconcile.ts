import { reconcileOperations } from "@cp/services";
import type { Handler } from "../registry";

export const handleOperationReconcile: Handler<"operationReconcile"> = async () => reconcileOperations();
