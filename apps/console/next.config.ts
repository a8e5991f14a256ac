import type { NextConfig } from "next";
import { env } from "@cp/config";

// A bad environment fails the build and the start, not the first request (STYLE.md #2).
env();

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // @cp/infra-customer-managed: only its `/bundle` entry (install template renderer; sources embedded, no cloud SDK).
  transpilePackages: [
    "@cp/api",
    "@cp/core",
    "@cp/services",
    "@cp/db",
    "@cp/config",
    "@cp/jobs",
    "@cp/infra-customer-managed",
  ],
  // Server-only packages with native parts or dynamic requires stay outside the bundle.
  serverExternalPackages: [
    "@prisma/client",
    "@prisma/adapter-pg",
    "pg",
    "@node-rs/argon2",
    "bullmq",
    "ioredis",
    "pino",
    "nodemailer",
  ],
  typescript: { tsconfigPath: "./tsconfig.json" },
  async headers() {
    return [
      {
        source: "/:path*",
        headers: [
          { key: "X-Frame-Options", value: "DENY" },
          { key: "X-Content-Type-Options", value: "nosniff" },
          { key: "Referrer-Policy", value: "same-origin" },
        ],
      },
    ];
  },
};

export default config;
