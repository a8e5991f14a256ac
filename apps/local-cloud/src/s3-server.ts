// The local cloud's S3-compatible object storage: s3rver on a fixed port, data under CP_LOCAL_S3_DATA_DIR.
// Run with `node --openssl-legacy-provider` (OFFLINE.md: without it the second page of ListObjectsV2 fails).
import { mkdirSync } from "node:fs";
import path from "node:path";
import { localCloudEnv } from "@cp/config/local-cloud";
import S3rver from "s3rver";
import { completeMultipartLikeS3 } from "./s3rver-multipart";

const { s3Server } = localCloudEnv();
const directory = path.resolve(s3Server.dataDir);
mkdirSync(directory, { recursive: true });

const server = new S3rver({ address: s3Server.host, port: s3Server.port, directory, silent: true });
completeMultipartLikeS3(server.store);
const { address, port } = await server.run();
console.log(JSON.stringify({ msg: "s3rver listening", address, port, directory }));

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(JSON.stringify({ msg: "s3rver stopping", signal }));
  await server.close();
  process.exit(0);
}
process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGINT", () => void stop("SIGINT"));
