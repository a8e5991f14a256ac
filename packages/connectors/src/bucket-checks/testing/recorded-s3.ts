// An HTTP handler for the real S3Client that answers from recorded S3 responses (XML bodies as AWS documents them),
// so the SDK's own serializers and parsers run in unit tests without any network.
import { Readable } from "node:stream";

export type S3Operation =
  | "HeadBucket"
  | "GetBucketLocation"
  | "GetBucketVersioning"
  | "GetBucketCors"
  | "GetBucketEncryption"
  | "PutObject"
  | "GetObject"
  | "DeleteObject";

export interface RecordedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface SeenRequest {
  op: S3Operation | "Unknown";
  method: string;
  hostname: string;
  path: string;
  query: Record<string, unknown>;
  headers: Record<string, string>;
}

interface SmithyRequest {
  method: string;
  hostname: string;
  path: string;
  query?: Record<string, unknown>;
  headers: Record<string, string>;
}

const NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const XML = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** Recorded answers, following the S3 API reference. */
export const S3_ANSWERS = {
  ok: (headers: Record<string, string> = {}): RecordedResponse => ({ status: 200, headers }),
  noContent: (): RecordedResponse => ({ status: 204 }),
  error: (status: number, code: string, message = code): RecordedResponse => ({
    status,
    headers: { "content-type": "application/xml" },
    body:
      `${XML}<Error><Code>${code}</Code><Message>${message}</Message>` +
      `<RequestId>4442587FB7D0A2F9</RequestId><HostId>recorded</HostId></Error>`,
  }),
  xml: (body: string, headers: Record<string, string> = {}): RecordedResponse => ({
    status: 200,
    headers: { "content-type": "application/xml", ...headers },
    body: `${XML}${body}`,
  }),
  location: (constraint: string) =>
    S3_ANSWERS.xml(
      constraint
        ? `<LocationConstraint ${NS}>${constraint}</LocationConstraint>`
        : `<LocationConstraint ${NS}/>`,
    ),
  versioning: (status?: "Enabled" | "Suspended") =>
    S3_ANSWERS.xml(
      status
        ? `<VersioningConfiguration ${NS}><Status>${status}</Status></VersioningConfiguration>`
        : `<VersioningConfiguration ${NS}/>`,
    ),
  /** What s3rver sends for ?versioning: an object listing. */
  listing: (bucket: string) =>
    S3_ANSWERS.xml(
      `<ListBucketResult ${NS}><Name>${bucket}</Name><Prefix></Prefix><MaxKeys>1000</MaxKeys>` +
        `<IsTruncated>false</IsTruncated></ListBucketResult>`,
    ),
  encryption: (algorithm: string, kmsKeyId?: string) =>
    S3_ANSWERS.xml(
      `<ServerSideEncryptionConfiguration ${NS}><Rule><ApplyServerSideEncryptionByDefault>` +
        `<SSEAlgorithm>${algorithm}</SSEAlgorithm>` +
        (kmsKeyId ? `<KMSMasterKeyID>${kmsKeyId}</KMSMasterKeyID>` : "") +
        `</ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule>` +
        `</ServerSideEncryptionConfiguration>`,
    ),
  encryptionNotFound: () =>
    S3_ANSWERS.error(
      404,
      "ServerSideEncryptionConfigurationNotFoundError",
      "The server side encryption configuration was not found",
    ),
  cors: (rules: { origins: string[]; methods: string[]; expose?: string[] }[]) =>
    S3_ANSWERS.xml(
      `<CORSConfiguration ${NS}>` +
        rules
          .map(
            (r) =>
              "<CORSRule><AllowedHeader>*</AllowedHeader>" +
              r.methods.map((m) => `<AllowedMethod>${m}</AllowedMethod>`).join("") +
              r.origins.map((o) => `<AllowedOrigin>${o}</AllowedOrigin>`).join("") +
              (r.expose ?? []).map((h) => `<ExposeHeader>${h}</ExposeHeader>`).join("") +
              "<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>",
          )
          .join("") +
        "</CORSConfiguration>",
    ),
  object: (content: string): RecordedResponse => ({
    status: 200,
    headers: {
      "content-type": "text/plain",
      "content-length": String(Buffer.byteLength(content)),
      etag: '"e"',
    },
    body: content,
  }),
};

function operationOf(req: SmithyRequest, bucket: string): S3Operation | "Unknown" {
  const query = req.query ?? {};
  // Virtual-hosted style puts the bucket in the hostname; path style in the path.
  const path = req.path.startsWith(`/${bucket}`) ? req.path.slice(bucket.length + 1) : req.path;
  const hasKey = path.length > 1;
  if (hasKey) {
    if (req.method === "PUT") return "PutObject";
    if (req.method === "GET") return "GetObject";
    if (req.method === "DELETE") return "DeleteObject";
    return "Unknown";
  }
  if (req.method === "HEAD") return "HeadBucket";
  if (req.method !== "GET") return "Unknown";
  if ("location" in query) return "GetBucketLocation";
  if ("versioning" in query) return "GetBucketVersioning";
  if ("cors" in query) return "GetBucketCors";
  if ("encryption" in query) return "GetBucketEncryption";
  return "Unknown";
}

export type Answers = Partial<
  Record<S3Operation, RecordedResponse | ((req: SeenRequest) => RecordedResponse)>
>;

/** A bucket that passes every check; override single answers per test. GetObject echoes the last PutObject. */
export function passingAnswers(): Answers {
  return {
    HeadBucket: S3_ANSWERS.ok({ "x-amz-bucket-region": "eu-west-1" }),
    GetBucketLocation: S3_ANSWERS.location("eu-west-1"),
    GetBucketVersioning: S3_ANSWERS.versioning("Enabled"),
    GetBucketCors: S3_ANSWERS.cors([{ origins: ["*"], methods: ["GET", "HEAD", "PUT"], expose: ["ETag"] }]),
    GetBucketEncryption: S3_ANSWERS.encryption("AES256"),
    PutObject: () => S3_ANSWERS.ok({ etag: '"e"', "x-amz-version-id": "v1" }),
    DeleteObject: S3_ANSWERS.noContent(),
  };
}

/** The handler and what it was asked; unknown operations answer 400 so a test notices. */
export function recordedS3(bucket: string, answers: Answers) {
  const seen: SeenRequest[] = [];
  let lastPut = "";
  const handler = {
    async handle(req: SmithyRequest & { body?: unknown }) {
      const op = operationOf(req, bucket);
      const record: SeenRequest = {
        op,
        method: req.method,
        hostname: req.hostname,
        path: req.path,
        query: req.query ?? {},
        headers: req.headers,
      };
      seen.push(record);
      if (op === "PutObject") lastPut = bodyText(req.body);
      const answer = op === "Unknown" ? undefined : answers[op];
      const res =
        op === "GetObject" && answer === undefined
          ? S3_ANSWERS.object(lastPut)
          : typeof answer === "function"
            ? answer(record)
            : (answer ?? S3_ANSWERS.error(400, "UnrecordedRequest", `no recorded answer for ${op}`));
      // A stream, as node:http gives the SDK (GetObject's Body must be a Readable).
      const body = Readable.from([Buffer.from(res.body ?? "", "utf8")]);
      return { response: { statusCode: res.status, headers: { ...res.headers }, body } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  return { handler, seen, lastPut: () => lastPut };
}

function bodyText(body: unknown): string {
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return Buffer.from(body).toString("utf8");
  return "";
}
