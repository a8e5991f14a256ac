import { createTRPCRouter } from "../../trpc";
import { get } from "./get";
import { issueLicense } from "./issue-license";
import { licenseToken } from "./license-token";
import { list } from "./list";
import { migrateFromDedicated } from "./migrate-from-dedicated";
import { migrationStatus } from "./migration-status";
import { publicKeys } from "./public-keys";
import { register } from "./register";
import { renewLicense } from "./renew-license";
import { revokeLicense } from "./revoke-license";

export const deploymentsRouter = createTRPCRouter({
  list,
  get,
  register,
  issueLicense,
  renewLicense,
  revokeLicense,
  licenseToken,
  publicKeys,
  migrateFromDedicated,
  migrationStatus,
});
