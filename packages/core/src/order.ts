// What a customer orders, validated the same way in the browser and on the server.
import { z } from "zod";
import { DEFAULT_RATE_LIMITS, MYSQL_VERSIONS, ORDERABLE_CLOUDS, REGIONS, SIZE_IDS } from "./catalog";
import type { InstanceStatus } from "./instances";

const ZHttpsUrl = z
  .string()
  .trim()
  .url("must be a URL like https://idp.example.com")
  .refine((u) => /^https?:\/\//.test(u), "must start with https://");

export const ZSubdomain = z
  .string()
  .trim()
  .toLowerCase()
  .min(3, "must be at least 3 characters")
  .max(40, "must be at most 40 characters")
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, "may contain only lower-case letters, digits and inner hyphens")
  .refine(
    (s) => !["www", "api", "admin", "console", "mail", "status"].includes(s),
    "is reserved; choose another",
  );

export const ZRateLimits = z.object({
  filestream: z
    .number()
    .int()
    .min(1, "must be at least 1 request per second")
    .max(10_000, "must be at most 10000"),
  graphql: z
    .number()
    .int()
    .min(1, "must be at least 1 request per second")
    .max(10_000, "must be at most 10000"),
});

export const ZReliability = z.object({
  externalRedis: z.boolean().default(false),
  rateLimits: ZRateLimits.default({ ...DEFAULT_RATE_LIMITS }),
});

const ZBucketName = z
  .string()
  .trim()
  .min(3, "must be at least 3 characters")
  .max(63, "must be at most 63 characters")
  .regex(
    /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/,
    "must be a valid bucket name (lower-case letters, digits, dots, hyphens)",
  );

export const ZByobAccess = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("role"),
    roleArn: z
      .string()
      .trim()
      .regex(
        /^arn:aws:iam::\d{12}:role\/.+$/,
        "must be an IAM role ARN like arn:aws:iam::123456789012:role/name",
      ),
  }),
  z.object({
    kind: z.literal("keys"),
    accessKeyId: z.string().trim().min(1, "is required"),
    secretAccessKey: z.string().min(1, "is required"),
  }),
  z.object({
    kind: z.literal("serviceAccount"),
    email: z.string().trim().email("must be a service account e-mail"),
  }),
]);

export const ZStorage = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("provider") }),
  z.object({
    mode: z.literal("byob"),
    bucket: ZBucketName,
    region: z.string().trim().min(1, "is required"),
    kmsKeyId: z.string().trim().max(300).optional(),
    /** For S3-compatible services other than AWS (and the local cloud's server). */
    endpoint: z.string().trim().url("must be a URL").optional(),
    access: ZByobAccess,
  }),
]);

export const ZSso = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("provider") }),
  z.object({
    mode: z.literal("oidc"),
    issuer: ZHttpsUrl,
    clientId: z.string().trim().min(1, "is required").max(200),
    clientSecret: z.string().min(1, "is required").max(500),
    flow: z.enum(["pkce", "implicit"]),
  }),
]);

export const ZOrderInput = z
  .object({
    cloud: z.enum(ORDERABLE_CLOUDS, {
      message: "must be AWS, Google Cloud or the local cloud (Azure is coming soon)",
    }),
    region: z.string().trim().min(1, "is required"),
    size: z.enum(SIZE_IDS),
    mysqlVersion: z.enum(MYSQL_VERSIONS),
    storage: ZStorage,
    sso: ZSso,
    reliability: ZReliability,
    name: z.string().trim().min(3, "must be at least 3 characters").max(60, "must be at most 60 characters"),
    subdomain: ZSubdomain,
    ipAllowlist: z
      .array(
        z
          .string()
          .trim()
          .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, "must be CIDR blocks like 203.0.113.0/24"),
      )
      .max(50)
      .default([]),
  })
  .superRefine((o, ctx) => {
    if (!REGIONS[o.cloud].some((r) => r.code === o.region)) {
      ctx.addIssue({
        code: "custom",
        path: ["region"],
        message: `is not a region of ${o.cloud}; pick one from the list`,
      });
    }
    if (o.storage.mode === "byob" && o.cloud === "gcp" && o.storage.access.kind === "role") {
      ctx.addIssue({
        code: "custom",
        path: ["storage", "access"],
        message: "GCS buckets are reached with a service account or keys, not an IAM role",
      });
    }
  });

export type OrderInput = z.infer<typeof ZOrderInput>;

/** The configuration kept on the instance: the order minus secrets (those are stored encrypted on their own). */
export type InstanceConfig = Omit<OrderInput, "storage" | "sso" | "name" | "subdomain"> & {
  storage:
    | { mode: "provider" }
    | ({ mode: "byob" } & Omit<Extract<OrderInput["storage"], { mode: "byob" }>, "access" | "mode"> & {
          access:
            | { kind: "role"; roleArn: string }
            | { kind: "keys"; accessKeyId: string }
            | { kind: "serviceAccount"; email: string };
        });
  sso: { mode: "provider" } | { mode: "oidc"; issuer: string; clientId: string; flow: "pkce" | "implicit" };
};

/** Splits an order into the stored configuration and the secrets to encrypt. */
export function splitSecrets(order: OrderInput): { config: InstanceConfig; secrets: Record<string, string> } {
  const secrets: Record<string, string> = {};
  let storage: InstanceConfig["storage"] = { mode: "provider" };
  if (order.storage.mode === "byob") {
    const { access, ...rest } = order.storage;
    if (access.kind === "keys") {
      secrets["storage.secretAccessKey"] = access.secretAccessKey;
      storage = { ...rest, access: { kind: "keys", accessKeyId: access.accessKeyId } };
    } else {
      storage = { ...rest, access };
    }
  }
  let sso: InstanceConfig["sso"] = { mode: "provider" };
  if (order.sso.mode === "oidc") {
    const { clientSecret, ...rest } = order.sso;
    secrets["sso.clientSecret"] = clientSecret;
    sso = rest;
  }
  const { name: _n, subdomain: _s, ...rest } = order;
  return { config: { ...rest, storage, sso }, secrets };
}

/** What may be changed on a running instance. */
export const ZUpdateInput = z.object({
  size: z.enum(SIZE_IDS).optional(),
  reliability: ZReliability.partial().optional(),
});

export type InstanceAction = "cancel" | "retry" | "update" | "deprovision" | "undelete";

/** Actions the console offers in each lifecycle state (the server checks the same table). */
export function allowedActions(
  status: InstanceStatus,
  opts: { hasActiveOperation: boolean; isStaff: boolean },
): InstanceAction[] {
  const actions: InstanceAction[] = [];
  if (opts.hasActiveOperation) actions.push("cancel");
  switch (status) {
    case "running":
      actions.push("update", "deprovision");
      break;
    case "failed":
      actions.push("retry", "deprovision");
      break;
    case "deleted":
      if (opts.isStaff) actions.push("undelete");
      break;
    default:
      break;
  }
  return actions;
}
