// Test support: a tenant instance's /healthz as the cloud collectors' probe sees it behind the load balancer.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeHealthz {
  url: string;
  /** What /healthz answers next: status code and JSON body. */
  answer: { status: number; body: unknown };
  close(): Promise<void>;
}

export async function startFakeHealthz(): Promise<FakeHealthz> {
  const fake = { answer: { status: 200, body: { status: "ok", version: "1.4.0" } as unknown } };
  const server = createServer((req, res) => {
    if (req.url !== "/healthz") {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(fake.answer.status, { "content-type": "application/json" });
    res.end(JSON.stringify(fake.answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  });
}

/** A URL nothing listens on (a port that was free a moment ago). */
export async function unreachableUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
