// A small typed wrapper over Slack's Web API client for the support channels. The product handles rate limits
// itself (an operation or an outbox message is retried after Retry-After), so the library never sleeps or retries:
// every failure surfaces at once as a SlackApiError with Slack's `error` code.
import { env } from "@cp/config";
import {
  WebClient,
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebAPIRequestError,
  LogLevel,
} from "@slack/web-api";

/** Slack's `error` code (name_taken, channel_not_found, ...), or one of ours for failures without one. */
export type SlackErrorCode = "rate_limited" | "request_failed" | "http_error" | (string & {});

/** Codes that will not go away by retrying: the token or the app's setup is wrong. */
const FATAL_CODES = new Set([
  "not_authed",
  "invalid_auth",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "missing_scope",
  "not_allowed_token_type",
  "invalid_arguments",
  "invalid_name",
  "invalid_name_specials",
  "invalid_name_maxlength",
  "invalid_name_required",
]);

export class SlackApiError extends Error {
  override name = "SlackApiError";
  constructor(
    /** The Web API method that failed, e.g. "conversations.create". */
    readonly method: string,
    readonly code: SlackErrorCode,
    message: string,
    /** Rate limits: seconds Slack asked us to wait (Retry-After). */
    readonly retryAfterSeconds: number | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  get rateLimited(): boolean {
    return this.code === "rate_limited";
  }

  /** Whether trying the same call again later may succeed. A lost response is retryable (the call may have run). */
  get retryable(): boolean {
    return !FATAL_CODES.has(this.code);
  }
}

export interface SlackChannel {
  id: string;
  name: string;
  topic: string;
  isArchived: boolean;
}

export interface SlackClientOptions {
  token: string;
  /** The Web API base URL, ending in "/" (https://slack.com/api/, or a fake server's in tests). */
  apiUrl: string;
  /** Per-request timeout; a hung call fails rather than holding an operation or an outbox message. */
  timeoutMs?: number;
}

/** The metadata event type that marks our posts, so a retry can find a message that already landed. */
export const POST_EVENT_TYPE = "cp_channel_post";

interface RawChannel {
  id?: string;
  name?: string;
  is_archived?: boolean;
  topic?: { value?: string };
}

function toChannel(c: RawChannel | undefined, method: string): SlackChannel {
  if (!c?.id || !c.name)
    throw new SlackApiError(method, "invalid_response", `${method} returned no channel.`);
  return { id: c.id, name: c.name, topic: c.topic?.value ?? "", isArchived: c.is_archived === true };
}

export class SlackClient {
  private readonly web: WebClient;

  constructor(options: SlackClientOptions) {
    this.web = new WebClient(options.token, {
      slackApiUrl: options.apiUrl,
      rejectRateLimitedCalls: true,
      retryConfig: { retries: 0 },
      timeout: options.timeoutMs ?? 30_000,
      allowAbsoluteUrls: false,
      logLevel: LogLevel.ERROR,
    });
  }

  private async call<T>(method: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw mapError(method, err);
    }
  }

  /** conversations.create; `name_taken` surfaces as a SlackApiError for the caller to look the channel up. */
  async createChannel(name: string): Promise<SlackChannel> {
    const res = await this.call("conversations.create", () =>
      this.web.conversations.create({ name, is_private: false }),
    );
    return toChannel(res.channel as RawChannel, "conversations.create");
  }

  /** The channel by id (it keeps its id across renames); null when Slack does not know it. */
  async channelInfo(id: string): Promise<SlackChannel | null> {
    try {
      const res = await this.call("conversations.info", () => this.web.conversations.info({ channel: id }));
      return toChannel(res.channel as RawChannel, "conversations.info");
    } catch (err) {
      if (err instanceof SlackApiError && err.code === "channel_not_found") return null;
      throw err;
    }
  }

  /** Finds a channel by exact name (archived ones too), paging through conversations.list with its cursor. */
  async findChannelByName(name: string, pageSize = 200): Promise<SlackChannel | null> {
    let cursor: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const res = await this.call("conversations.list", () =>
        this.web.conversations.list({
          limit: pageSize,
          exclude_archived: false,
          types: "public_channel,private_channel",
          ...(cursor ? { cursor } : {}),
        }),
      );
      const hit = (res.channels as RawChannel[] | undefined)?.find((c) => c.name === name);
      if (hit) return toChannel(hit, "conversations.list");
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor) return null;
    }
    return null;
  }

  async unarchive(id: string): Promise<void> {
    try {
      await this.call("conversations.unarchive", () => this.web.conversations.unarchive({ channel: id }));
    } catch (err) {
      if (err instanceof SlackApiError && err.code === "not_archived") return;
      throw err;
    }
  }

  async setTopic(id: string, topic: string): Promise<void> {
    await this.call("conversations.setTopic", () => this.web.conversations.setTopic({ channel: id, topic }));
  }

  /** A workspace user's id by e-mail; null when nobody in the workspace has it (`users_not_found`). */
  async lookupUserByEmail(email: string): Promise<string | null> {
    try {
      const res = await this.call("users.lookupByEmail", () => this.web.users.lookupByEmail({ email }));
      return res.user?.id ?? null;
    } catch (err) {
      if (err instanceof SlackApiError && err.code === "users_not_found") return null;
      throw err;
    }
  }

  /** Invites workspace users; someone already in the channel is fine. */
  async invite(channelId: string, userId: string): Promise<void> {
    try {
      await this.call("conversations.invite", () =>
        this.web.conversations.invite({ channel: channelId, users: userId }),
      );
    } catch (err) {
      if (
        err instanceof SlackApiError &&
        (err.code === "already_in_channel" || err.code === "cant_invite_self")
      )
        return;
      throw err;
    }
  }

  /** A Slack Connect invitation to someone outside the workspace, by e-mail (Slack takes one address per call). */
  async inviteShared(channelId: string, email: string): Promise<void> {
    await this.call("conversations.inviteShared", () =>
      this.web.conversations.inviteShared({ channel: channelId, emails: [email] }),
    );
  }

  /** Posts a message tagged with the post's id (message metadata), so a retry can tell whether it landed. */
  async postMessage(channelId: string, text: string, postId: string): Promise<{ ts: string }> {
    const res = await this.call("chat.postMessage", () =>
      this.web.chat.postMessage({
        channel: channelId,
        text,
        unfurl_links: false,
        metadata: { event_type: POST_EVENT_TYPE, event_payload: { postId } },
      }),
    );
    if (!res.ts)
      throw new SlackApiError("chat.postMessage", "invalid_response", "chat.postMessage returned no ts.");
    return { ts: res.ts };
  }

  /**
   * The ts of a message already posted for `postId`, looking back through the channel's history to `oldest`
   * (seconds since the epoch); null when there is none.
   */
  async findPostedMessage(
    channelId: string,
    postId: string,
    oldest?: number,
    maxPages = 10,
  ): Promise<string | null> {
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const res = await this.call("conversations.history", () =>
        this.web.conversations.history({
          channel: channelId,
          include_all_metadata: true,
          limit: 200,
          ...(oldest !== undefined ? { oldest: oldest.toFixed(6) } : {}),
          ...(cursor ? { cursor } : {}),
        }),
      );
      for (const m of res.messages ?? []) {
        const meta = m.metadata as { event_type?: string; event_payload?: { postId?: unknown } } | undefined;
        if (meta?.event_type === POST_EVENT_TYPE && meta.event_payload?.postId === postId && m.ts)
          return m.ts;
      }
      cursor = res.response_metadata?.next_cursor || undefined;
      if (!cursor || !res.has_more) return null;
    }
    return null;
  }
}

function mapError(method: string, err: unknown): SlackApiError {
  if (err instanceof SlackApiError) return err;
  if (err instanceof WebAPIRateLimitedError) {
    return new SlackApiError(
      method,
      "rate_limited",
      `Slack rate-limited ${method}; retry after ${err.retryAfter} s.`,
      err.retryAfter,
      { cause: err },
    );
  }
  if (err instanceof WebAPIPlatformError) {
    const code = String(err.data.error);
    return new SlackApiError(method, code, `Slack refused ${method}: ${code}.`, null, { cause: err });
  }
  if (err instanceof WebAPIHTTPError) {
    return new SlackApiError(
      method,
      "http_error",
      `Slack answered ${method} with HTTP ${err.statusCode}.`,
      null,
      {
        cause: err,
      },
    );
  }
  if (err instanceof WebAPIRequestError) {
    return new SlackApiError(
      method,
      "request_failed",
      `Slack could not be reached for ${method}: ${err.original.message}`,
      null,
      {
        cause: err,
      },
    );
  }
  const message = err instanceof Error ? err.message : String(err);
  return new SlackApiError(method, "request_failed", `${method} failed: ${message}`, null, { cause: err });
}

/** The client for the configured workspace; null when Slack is not configured (SLACK_BOT_TOKEN unset). */
export function slackClientFromEnv(): SlackClient | null {
  const e = env();
  if (!e.SLACK_BOT_TOKEN) return null;
  return new SlackClient({ token: e.SLACK_BOT_TOKEN, apiUrl: e.SLACK_API_URL });
}
