// The local cloud's API and state schemas.
import { z } from "zod";

const ZHttpUrl = z
  .string()
  .url("must be a URL")
  .refine((v) => /^https?:\/\//.test(v), "must be an http(s) URL");

export const ZSso = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("provider") }).strict(),
  z
    .object({
      mode: z.literal("oidc"),
      issuer: ZHttpUrl,
      clientId: z.string().min(1, "must not be empty").max(500),
      clientSecret: z.string().min(1, "must not be empty").max(2000),
      flow: z.enum(["pkce", "implicit"]),
    })
    .strict(),
]);

export const ZStorage = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("provider") }).strict(),
  z
    .object({
      mode: z.literal("byob"),
      bucket: z
        .string()
        .regex(
          /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
          "must be a bucket name (3-63 lower-case letters, digits, . or -)",
        ),
      endpoint: ZHttpUrl.optional(),
      region: z.string().min(1).max(64).optional(),
      accessKeyId: z.string().min(1).max(500).optional(),
      secretAccessKey: z.string().min(1).max(2000).optional(),
    })
    .strict()
    .refine((s) => Boolean(s.accessKeyId) === Boolean(s.secretAccessKey), {
      path: ["secretAccessKey"],
      message: "set both accessKeyId and secretAccessKey, or neither",
    }),
]);

/** Body of PUT /v1/instances/:slug: the instance's whole desired configuration. */
export const ZInstanceRequest = z
  .object({
    instanceId: z.string().min(1, "must not be empty").max(100),
    version: z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/, "must be a release such as 0.64.0"),
    mysqlVersion: z.enum(["5.7", "8.0"]),
    size: z.enum(["small", "recommended", "large", "xlarge"]),
    maxConnections: z
      .number()
      .int("must be an integer")
      .min(1, "must be at least 1")
      .max(1000, "must be at most 1000"),
    rateLimits: z
      .object({
        filestream: z.number().int("must be an integer").min(1, "must be at least 1").max(100_000),
        graphql: z.number().int("must be an integer").min(1, "must be at least 1").max(100_000),
      })
      .strict(),
    externalRedis: z.boolean(),
    sso: ZSso,
    storage: ZStorage,
    /** The token of the instance's admin endpoints; generated (and readable at /admin-token) when omitted. */
    adminToken: z.string().min(16, "must be at least 16 characters").max(200).optional(),
  })
  .strict();

export type InstanceRequest = z.infer<typeof ZInstanceRequest>;

/** One instance as the state file keeps it. Holds secrets: the file is written with mode 0600. */
export const ZStoredInstance = z.object({
  slug: z.string(),
  instanceId: z.string(),
  desired: ZInstanceRequest,
  generation: z.number().int().min(1),
  observedGeneration: z.number().int().min(0),
  suspended: z.boolean(),
  /** Set while a DELETE is under way (or failed half-way): nothing restarts it. */
  deleting: z.boolean().default(false),
  /** Set while a restore replaces its database: a daemon that restarts meanwhile does not start it on half the data. */
  restoring: z.boolean().default(false),
  publicPort: z.number().int().min(1).max(65535),
  dbPassword: z.string().min(16),
  adminToken: z.string().min(16),
  sessionSecret: z.string().min(16),
  /** The running tenant process, to clean it up if a killed daemon left it behind. */
  pid: z.number().int().nullable(),
  runningVersion: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export type StoredInstance = z.infer<typeof ZStoredInstance>;

export const STATE_FORMAT = 1;

export const ZState = z.object({
  format: z.literal(STATE_FORMAT),
  instances: z.record(z.string(), ZStoredInstance),
});

export type CloudState = z.infer<typeof ZState>;

export type InstanceStatus =
  | "provisioning"
  | "updating"
  | "running"
  | "restarting"
  | "suspended"
  /** Its database is being replaced from a backup; the service is stopped meanwhile. */
  | "restoring"
  | "failed"
  | "deleting";

/** What GET answers: no secret, ever. */
export interface InstanceView {
  slug: string;
  instanceId: string;
  status: InstanceStatus;
  /** The step a running reconcile is on: database, bucket, service, router, health (restore while restoring). */
  step: string | null;
  error: string | null;
  generation: number;
  observedGeneration: number;
  url: string;
  databaseEndpoint: string;
  databaseName: string;
  databaseUser: string;
  bucket: string;
  version: string;
  runningVersion: string | null;
  pid: number | null;
  restarts: number;
  lastExit: { code: number | null; signal: string | null; at: string } | null;
  size: InstanceRequest["size"];
  mysqlVersion: InstanceRequest["mysqlVersion"];
  maxConnections: number;
  rateLimits: InstanceRequest["rateLimits"];
  externalRedis: boolean;
  sso: { mode: "provider" } | { mode: "oidc"; issuer: string; clientId: string; flow: "pkce" | "implicit" };
  storage: { mode: "provider" | "byob"; bucket: string; endpoint: string | null };
  suspended: boolean;
  createdAt: string;
  updatedAt: string;
}

/** PUT /v1/instances/:slug/faults (tests only). */
export const ZFaults = z
  .object({
    errorRate: z
      .number("must be a number between 0 and 1")
      .min(0, "must be between 0 and 1")
      .max(1, "must be between 0 and 1"),
  })
  .strict();
