// Input schemas shared by the API and the console's forms; messages name the fix.
import { z } from "zod";
import { ORG_ROLES, STAFF_ROLES } from "./roles";
import { CLOUDS, PLANS } from "./deployment";
import { INSTANCE_STATUSES } from "./instances";

export const ZId = z.string().min(1, "is required").max(64, "is too long");
export const ZEmail = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: "must be an e-mail address like name@example.com" }));
export const ZOrgName = z
  .string()
  .trim()
  .min(2, "must be at least 2 characters")
  .max(80, "must be at most 80 characters");
export const ZSlug = z
  .string()
  .trim()
  .min(3, "must be at least 3 characters")
  .max(40, "must be at most 40 characters")
  .regex(
    /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/,
    "may contain only lower-case letters, digits and inner hyphens",
  );
export const ZPassword = z
  .string()
  .min(12, "must be at least 12 characters")
  .max(200, "must be at most 200 characters");
export const ZOrgRole = z.enum(ORG_ROLES);
export const ZStaffRole = z.enum(STAFF_ROLES);
export const ZPlan = z.enum(PLANS);
export const ZCloud = z.enum(CLOUDS);
export const ZInstanceStatus = z.enum(INSTANCE_STATUSES);

/** Keyset pagination: `cursor` is the opaque value returned as `nextCursor`. */
export const ZPage = z.object({
  limit: z.number().int().min(1, "must be at least 1").max(100, "must be at most 100").default(25),
  cursor: z.string().max(200).nullish(),
});
