// A real SMTP server in the test process (npm `smtp-server`): records every message it accepts.
import type { AddressInfo, Server } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  from: string;
  to: string[];
  headers: Record<string, string>;
  /** The body, with its transfer encoding undone. */
  text: string;
}

/** Just enough MIME for the single-part text mails the outbox sends. */
export function parseMail(raw: string): Pick<ReceivedMail, "headers" | "text"> {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, " ");
  const body = raw.slice(split + 4);
  const headers: Record<string, string> = {};
  for (const line of head.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const encoding = (headers["content-transfer-encoding"] ?? "7bit").toLowerCase();
  let text = body;
  if (encoding === "quoted-printable") {
    const joined = body.replace(/=\r\n/g, "");
    const bytes: number[] = [];
    for (let i = 0; i < joined.length; i++) {
      const hex = joined.slice(i + 1, i + 3);
      if (joined[i] === "=" && /^[0-9A-F]{2}$/i.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
      } else {
        bytes.push(joined.charCodeAt(i));
      }
    }
    text = Buffer.from(bytes).toString("utf8");
  } else if (encoding === "base64") {
    text = Buffer.from(body, "base64").toString("utf8");
  }
  return { headers, text: text.replace(/\r\n/g, "\n") };
}

export interface SmtpSink {
  url: string;
  mails: ReceivedMail[];
  /** Recipients refused with 550 while this returns true. */
  rejectRecipient: (address: string) => boolean;
  waitFor(predicate: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const server: SMTPServer = new SMTPServer({
    authOptional: true,
    secure: false,
    disabledCommands: ["STARTTLS"],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (!sink.rejectRecipient(address.address)) return callback();
      callback(Object.assign(new Error("mailbox unavailable"), { responseCode: 550 }));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : "";
        const to = session.envelope.rcptTo.map((r) => r.address);
        sink.mails.push({ from, to, ...parseMail(Buffer.concat(chunks).toString("utf8")) });
        callback();
      });
    },
  });
  const sink: SmtpSink = {
    url: "",
    mails: [],
    rejectRecipient: () => false,
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = sink.mails.find(predicate);
        if (found) return found;
        if (Date.now() > deadline)
          throw new Error(`no matching mail within ${timeoutMs} ms (got ${sink.mails.length})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const listening = await new Promise<Server>((resolve, reject) => {
    const s = server.listen(0, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
  sink.url = `smtp://127.0.0.1:${(listening.address() as AddressInfo).port}`;
  return sink;
}
