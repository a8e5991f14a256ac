// A local stand-in for Slack's Web API, for tests (Slack cannot be reached here). It follows the contract of the
// methods the product uses: POST with a form-encoded or JSON body, a bearer token, HTTP 200 with {ok:true,...} or
// {ok:false,error}, and HTTP 429 with Retry-After when rate limited. It keeps its state for tests to inspect and
// injects faults: rate limits, lost responses (the call runs, the answer never arrives), held calls (the call runs,
// the answer waits until the test releases it, e.g. to kill the caller meanwhile), renames and archiving.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeChannel {
  id: string;
  name: string;
  topic: string;
  members: string[];
  archived: boolean;
  created: number;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  text: string;
  metadata: { event_type: string; event_payload: Record<string, unknown> } | null;
}

export interface FakeSharedInvite {
  channel: string;
  email: string;
  inviteId: string;
}

type Params = Record<string, unknown>;

/** A call held open by holdNext: its effect has happened, its answer is not sent until release(). */
export interface HeldCall {
  method: string;
  params: Params;
  /** Sends the answer (if the caller is still connected). */
  release(): void;
  /** Resolves when the caller's connection closes (e.g. its process was killed) or the answer was sent. */
  closed: Promise<void>;
}
type Answer = Record<string, unknown>;

class Refusal extends Error {
  constructor(readonly error: string) {
    super(error);
  }
}

const NAME_RE = /^[a-z0-9_-]{1,80}$/;

export class FakeSlack {
  readonly token: string;
  readonly botUserId = "UBOT00001";
  channels: FakeChannel[] = [];
  messages: FakeMessage[] = [];
  sharedInvites: FakeSharedInvite[] = [];
  /** Every call that reached a method (after auth), in order. */
  calls: { method: string; params: Params }[] = [];
  /** Methods of the calls answered 429 (not in `calls`: they did nothing). */
  rateLimitedCalls: string[] = [];
  private users = new Map<string, string>();
  private rateLimits = new Map<string, { times: number; retryAfterSeconds: number }>();
  private drops = new Map<string, number>();
  private holds = new Map<string, { match?: (params: Params) => boolean; hold: (call: HeldCall) => void }>();
  private seq = 0;
  private server: Server | null = null;
  private url = "";

  constructor(options: { token?: string } = {}) {
    this.token = options.token ?? "xoxb-fake-token";
  }

  /** The Web API base URL to configure (SLACK_API_URL), ending in "/". */
  get apiUrl(): string {
    if (!this.url) throw new Error("FakeSlack is not started");
    return this.url;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // --- state and faults for tests ---

  /** A workspace member with this e-mail; returns their user id. */
  addUser(email: string): string {
    const existing = this.users.get(email.toLowerCase());
    if (existing) return existing;
    const id = `U${String(++this.seq).padStart(8, "0")}`;
    this.users.set(email.toLowerCase(), id);
    return id;
  }

  /** The next `times` calls of `method` answer HTTP 429 with Retry-After. */
  rateLimitNext(method: string, times = 1, retryAfterSeconds = 1): void {
    this.rateLimits.set(method, { times, retryAfterSeconds });
  }

  /** The next call of `method` runs, then its connection is destroyed without an answer (a lost response). */
  dropResponseNext(method: string, times = 1): void {
    this.drops.set(method, times);
  }

  /**
   * The next call of `method` runs, then its request stays open without an answer (a caller that crashes now never
   * hears back). With `match`, only a call whose params it accepts is held (others are answered as usual). Resolves
   * with the held call when it arrives; release() answers it.
   */
  holdNext(method: string, match?: (params: Params) => boolean): Promise<HeldCall> {
    if (this.holds.has(method)) throw new Error(`a call of ${method} is already to be held`);
    return new Promise((resolve) => this.holds.set(method, { match, hold: resolve }));
  }

  /** Someone renamed the channel in Slack (its id stays). */
  rename(channelId: string, newName: string): void {
    this.mustFind(channelId).name = newName;
  }

  archive(channelId: string): void {
    this.mustFind(channelId).archived = true;
  }

  /** A channel that exists before the product asks for it (e.g. made by hand). */
  addChannel(name: string): FakeChannel {
    return this.createChannel(name);
  }

  channelByName(name: string): FakeChannel | undefined {
    return this.channels.find((c) => c.name === name);
  }

  messagesIn(channelId: string): FakeMessage[] {
    return this.messages.filter((m) => m.channel === channelId);
  }

  callsOf(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  private mustFind(id: string): FakeChannel {
    const c = this.channels.find((x) => x.id === id);
    if (!c) throw new Error(`no fake channel ${id}`);
    return c;
  }

  private createChannel(name: string): FakeChannel {
    const c: FakeChannel = {
      id: `C${String(++this.seq).padStart(8, "0")}`,
      name,
      topic: "",
      members: [this.botUserId],
      archived: false,
      created: Math.floor(Date.now() / 1000),
    };
    this.channels.push(c);
    return c;
  }

  // --- HTTP ---

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const method = (req.url ?? "").replace(/^\/api\//, "").split("?")[0] ?? "";
    const send = (status: number, payload: Answer, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
      res.end(JSON.stringify(payload));
    };
    if (req.method !== "POST") return send(405, { ok: false, error: "method_not_allowed" });
    let params: Params;
    try {
      params = parseParams(req.headers["content-type"] ?? "", body);
    } catch {
      return send(200, { ok: false, error: "invalid_form_data" });
    }
    const auth = req.headers.authorization;
    const token = auth?.startsWith("Bearer ")
      ? auth.slice(7)
      : typeof params.token === "string"
        ? params.token
        : null;
    if (!token) return send(200, { ok: false, error: "not_authed" });
    if (token !== this.token) return send(200, { ok: false, error: "invalid_auth" });

    const limit = this.rateLimits.get(method);
    if (limit && limit.times > 0) {
      limit.times -= 1;
      this.rateLimitedCalls.push(method);
      return send(
        429,
        { ok: false, error: "ratelimited" },
        { "retry-after": String(limit.retryAfterSeconds) },
      );
    }
    const handler = this.methods[method];
    if (!handler) return send(404, { ok: false, error: "unknown_method" });
    this.calls.push({ method, params });
    let answer: Answer;
    try {
      answer = { ok: true, ...handler(params) };
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      answer = { ok: false, error: err.error };
    }
    const held = this.holds.get(method);
    if (held && (!held.match || held.match(params))) {
      this.holds.delete(method);
      let release = () => {};
      const released = new Promise<void>((r) => (release = r));
      const closed = new Promise<void>((r) => {
        res.once("close", () => r());
        req.socket.once("close", () => r());
      });
      held.hold({ method, params, release, closed });
      await Promise.race([released, closed]);
      if (res.destroyed || res.writableEnded) return;
    }
    const drop = this.drops.get(method) ?? 0;
    if (drop > 0) {
      this.drops.set(method, drop - 1);
      req.socket.destroy();
      return;
    }
    send(200, answer);
  }

  private channelOf(params: Params): FakeChannel {
    const id = str(params.channel);
    const c = this.channels.find((x) => x.id === id);
    if (!c) throw new Refusal("channel_not_found");
    return c;
  }

  private view(c: FakeChannel): Answer {
    return {
      id: c.id,
      name: c.name,
      is_channel: true,
      is_archived: c.archived,
      created: c.created,
      num_members: c.members.length,
      topic: { value: c.topic, creator: this.botUserId, last_set: 0 },
    };
  }

  private readonly methods: Record<string, (p: Params) => Answer> = {
    "conversations.create": (p) => {
      const name = str(p.name);
      if (!name) throw new Refusal("invalid_name_required");
      if (name.length > 80) throw new Refusal("invalid_name_maxlength");
      if (!NAME_RE.test(name)) throw new Refusal("invalid_name_specials");
      if (this.channels.some((c) => c.name === name)) throw new Refusal("name_taken");
      return { channel: this.view(this.createChannel(name)) };
    },
    "conversations.list": (p) => {
      const excludeArchived = bool(p.exclude_archived);
      const all = this.channels.filter((c) => !excludeArchived || !c.archived);
      const limit = Math.max(1, Math.min(1000, Number(p.limit ?? 100) || 100));
      const start = p.cursor
        ? Number(Buffer.from(str(p.cursor), "base64").toString().replace("next:", ""))
        : 0;
      if (!Number.isFinite(start) || start < 0) throw new Refusal("invalid_cursor");
      const page = all.slice(start, start + limit);
      const next = start + limit < all.length ? Buffer.from(`next:${start + limit}`).toString("base64") : "";
      return { channels: page.map((c) => this.view(c)), response_metadata: { next_cursor: next } };
    },
    "conversations.info": (p) => ({ channel: this.view(this.channelOf(p)) }),
    "conversations.unarchive": (p) => {
      const c = this.channelOf(p);
      if (!c.archived) throw new Refusal("not_archived");
      c.archived = false;
      return {};
    },
    "conversations.setTopic": (p) => {
      const c = this.channelOf(p);
      if (c.archived) throw new Refusal("is_archived");
      const topic = str(p.topic);
      if (topic.length > 250) throw new Refusal("too_long");
      c.topic = topic;
      return { channel: this.view(c) };
    },
    "users.lookupByEmail": (p) => {
      const email = str(p.email).toLowerCase();
      const id = this.users.get(email);
      if (!id) throw new Refusal("users_not_found");
      return { user: { id, profile: { email } } };
    },
    "conversations.invite": (p) => {
      const c = this.channelOf(p);
      if (c.archived) throw new Refusal("is_archived");
      const ids = str(p.users)
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      if (ids.length === 0) throw new Refusal("no_user");
      const known = new Set(this.users.values());
      if (ids.some((id) => !known.has(id))) throw new Refusal("user_not_found");
      const fresh = ids.filter((id) => !c.members.includes(id));
      if (fresh.length === 0) throw new Refusal("already_in_channel");
      c.members.push(...fresh);
      return { channel: this.view(c) };
    },
    "conversations.inviteShared": (p) => {
      const c = this.channelOf(p);
      if (c.archived) throw new Refusal("is_archived");
      const emails = list(p.emails);
      if (emails.length === 0) throw new Refusal("no_email_or_user_id");
      if (emails.length > 1) throw new Refusal("too_many_emails");
      const inviteId = `I${String(++this.seq).padStart(8, "0")}`;
      this.sharedInvites.push({ channel: c.id, email: emails[0]!, inviteId });
      return { invite_id: inviteId, is_legacy_shared_channel: false };
    },
    "chat.postMessage": (p) => {
      const c = this.channelOf(p);
      if (c.archived) throw new Refusal("is_archived");
      const text = str(p.text);
      if (!text) throw new Refusal("no_text");
      const raw = typeof p.metadata === "string" ? safeJson(p.metadata) : p.metadata;
      const metadata =
        raw && typeof raw === "object" && "event_type" in raw ? (raw as FakeMessage["metadata"]) : null;
      const ts = `${Math.floor(Date.now() / 1000)}.${String(++this.seq).padStart(6, "0")}`;
      this.messages.push({ channel: c.id, ts, text, metadata });
      return { channel: c.id, ts, message: { type: "message", text, ts, bot_id: "BFAKE", metadata } };
    },
    "conversations.history": (p) => {
      const c = this.channelOf(p);
      const withMeta = bool(p.include_all_metadata);
      const oldest = p.oldest !== undefined ? Number(p.oldest) : 0;
      const all = this.messagesIn(c.id)
        .filter((m) => Number(m.ts) >= oldest)
        .reverse();
      const limit = Math.max(1, Math.min(999, Number(p.limit ?? 100) || 100));
      const start = p.cursor
        ? Number(Buffer.from(str(p.cursor), "base64").toString().replace("next:", ""))
        : 0;
      const page = all.slice(start, start + limit);
      const hasMore = start + limit < all.length;
      return {
        messages: page.map((m) => ({
          type: "message",
          ts: m.ts,
          text: m.text,
          ...(withMeta && m.metadata ? { metadata: m.metadata } : {}),
        })),
        has_more: hasMore,
        response_metadata: {
          next_cursor: hasMore ? Buffer.from(`next:${start + limit}`).toString("base64") : "",
        },
      };
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseParams(contentType: string, body: string): Params {
  if (!body) return {};
  if (contentType.includes("application/json")) return JSON.parse(body) as Params;
  return Object.fromEntries(new URLSearchParams(body));
}

const str = (v: unknown): string =>
  typeof v === "string" ? v : v === undefined || v === null ? "" : String(v);
const bool = (v: unknown): boolean => v === true || v === "true" || v === "1";

/** A list given as a JSON array (what the Web API client sends) or comma-separated. */
function list(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  const s = str(v).trim();
  if (!s) return [];
  if (s.startsWith("[")) {
    const parsed = safeJson(s);
    return Array.isArray(parsed) ? parsed.map(String) : [];
  }
  return s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return null;
  }
}

/** Starts a fake Slack on 127.0.0.1 with a random port. */
export async function startFakeSlack(options: { token?: string } = {}): Promise<FakeSlack> {
  return new FakeSlack(options).start();
}
