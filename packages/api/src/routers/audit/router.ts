import { createTRPCRouter } from "../../trpc";
import { exportCsv } from "./export-csv";
import { list } from "./list";

export const auditRouter = createTRPCRouter({ list, exportCsv });
