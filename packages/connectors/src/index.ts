// Drivers for the outside world that user input points at: secrets at rest, the private-address guard, OIDC
// discovery, BYOB bucket checks and Slack. Test helpers (src/bucket-checks/testing) are not exported; the fake Slack
// server is, as "@cp/connectors/testing".
export {
  createKeyRingProvider,
  decryptSecret,
  encryptSecret,
  envKeyProvider,
  needsReencryption,
  SecretError,
  type DataKey,
  type KeyProvider,
  type SecretErrorCode,
  type SecretOptions,
} from "./secrets";

export {
  assertPublicUrl,
  classifyAddress,
  defaultAllowList,
  UnsafeUrlError,
  type GuardOptions,
  type LookupFn,
  type PublicUrl,
  type UrlRefusalReason,
} from "./network-guard";

export {
  FetchFailure,
  guardedGet,
  guardedPost,
  type FetchFailureKind,
  type GuardedGetOptions,
  type GuardedResponse,
} from "./guarded-fetch";

export {
  checkOidcIssuer,
  evaluateDiscoveryDocument,
  normalizeIssuer,
  type OidcCheckOptions,
  type OidcIssuerReport,
} from "./oidc-discovery";

export {
  CHECK_LABELS,
  summarizeChecks,
  type BucketCheckId,
  type BucketCheckResult,
  type CheckStatus,
  type CheckSummary,
} from "./bucket-checks/types";

export {
  checkS3Bucket,
  S3_CHECK_IDS,
  S3_CORS_RULE,
  type S3AccessKeys,
  type S3BucketInput,
  type S3CheckOptions,
  type S3RoleAccess,
} from "./bucket-checks/s3";

export {
  checkGcsBucket,
  GCS_CHECK_IDS,
  GCS_CORS_RULE,
  type GcsAccessToken,
  type GcsBucketInput,
  type GcsCheckOptions,
  type GcsServiceAccountKey,
} from "./bucket-checks/gcs";

export {
  POST_EVENT_TYPE,
  SlackApiError,
  SlackClient,
  slackClientFromEnv,
  type SlackChannel,
  type SlackClientOptions,
  type SlackErrorCode,
} from "./slack/client";

export {
  LICENSE_ALG,
  LICENSE_FEATURES,
  LICENSE_ISSUER,
  LicenseKeyError,
  licenseJwks,
  licenseKeyRing,
  licensePublicKeyPem,
  licenseTokenSha256,
  parseLicenseSigningKeys,
  signLicense,
  verifyLicense,
  type LicenseClaims,
  type LicenseFailureReason,
  type LicenseFeature,
  type LicenseJwks,
  type LicenseKeyOptions,
  type LicensePublicJwk,
  type LicenseSigningKey,
  type LicenseVerification,
  type VerifyLicenseOptions,
} from "./licenses/licenses";
