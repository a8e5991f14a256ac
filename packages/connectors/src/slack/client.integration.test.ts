// The Slack client against the fake Web API server: Slack's error codes and rate limits come out as typed errors
// (the library neither sleeps nor retries), and the lookups the support channels rely on work over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeSlack } from "./fake-slack";
import { SlackApiError, SlackClient } from "./client";

let fake: FakeSlack;
let slack: SlackClient;

beforeAll(async () => {
  fake = await new FakeSlack().start();
  slack = new SlackClient({ token: fake.token, apiUrl: fake.apiUrl, timeoutMs: 5_000 });
});
afterAll(() => fake.stop());

async function failure(p: Promise<unknown>): Promise<SlackApiError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SlackApiError);
  return err as SlackApiError;
}

describe("SlackClient", () => {
  it("creates a channel and maps name_taken to a typed error", async () => {
    const c = await slack.createChannel("support-acme-one");
    expect(c).toMatchObject({ name: "support-acme-one", isArchived: false });
    expect(fake.channelByName("support-acme-one")?.id).toBe(c.id);
    const err = await failure(slack.createChannel("support-acme-one"));
    expect(err).toMatchObject({
      method: "conversations.create",
      code: "name_taken",
      retryAfterSeconds: null,
    });
    expect(err.retryable).toBe(true);
  });

  it("surfaces a rate limit with Retry-After instead of sleeping on it", async () => {
    fake.rateLimitNext("conversations.create", 1, 7);
    const started = Date.now();
    const err = await failure(slack.createChannel("support-acme-limited"));
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(err).toMatchObject({ code: "rate_limited", retryAfterSeconds: 7, rateLimited: true });
    expect(fake.channelByName("support-acme-limited")).toBeUndefined();
    // The limit was for one call: the next one goes through.
    await slack.createChannel("support-acme-limited");
  });

  it("rejects a wrong token as a non-retryable invalid_auth", async () => {
    const wrong = new SlackClient({ token: "xoxb-wrong", apiUrl: fake.apiUrl });
    const err = await failure(wrong.createChannel("support-wrong"));
    expect(err.code).toBe("invalid_auth");
    expect(err.retryable).toBe(false);
  });

  it("reports a lost response as a retryable request failure, though the call ran", async () => {
    fake.dropResponseNext("conversations.create");
    const err = await failure(slack.createChannel("support-acme-lost"));
    expect(err.code).toBe("request_failed");
    expect(err.retryable).toBe(true);
    expect(fake.channelByName("support-acme-lost")).toBeDefined();
  });

  it("finds a channel by name across pages, and by id after a rename", async () => {
    for (let n = 0; n < 7; n++) fake.addChannel(`filler-${n}-${Date.now()}`);
    const target = fake.addChannel("support-paged-target");
    expect((await slack.findChannelByName("support-paged-target", 2))?.id).toBe(target.id);
    expect(await slack.findChannelByName("support-nobody", 3)).toBeNull();
    fake.rename(target.id, "renamed-by-someone");
    expect(await slack.channelInfo(target.id)).toMatchObject({ id: target.id, name: "renamed-by-someone" });
    expect(await slack.channelInfo("C_UNKNOWN")).toBeNull();
    fake.archive(target.id);
    expect((await slack.channelInfo(target.id))?.isArchived).toBe(true);
    await slack.unarchive(target.id);
    await slack.unarchive(target.id);
    expect(fake.channelByName("renamed-by-someone")?.archived).toBe(false);
  });

  it("looks users up, invites them once, sends Connect invitations and sets the topic", async () => {
    const c = await slack.createChannel("support-invites");
    const uid = fake.addUser("staff@provider.example");
    expect(await slack.lookupUserByEmail("staff@provider.example")).toBe(uid);
    expect(await slack.lookupUserByEmail("nobody@provider.example")).toBeNull();
    await slack.invite(c.id, uid);
    await slack.invite(c.id, uid);
    expect(fake.channelByName("support-invites")?.members).toContain(uid);
    await slack.inviteShared(c.id, "admin@customer.example");
    expect(fake.sharedInvites).toContainEqual(
      expect.objectContaining({ channel: c.id, email: "admin@customer.example" }),
    );
    await slack.setTopic(c.id, "https://x.example.test · local local · 1.0");
    expect(fake.channelByName("support-invites")?.topic).toBe("https://x.example.test · local local · 1.0");
    fake.archive(c.id);
    expect((await failure(slack.setTopic(c.id, "t"))).code).toBe("is_archived");
  });

  it("tags posts with their id and finds them again in the history", async () => {
    const c = await slack.createChannel("support-posts");
    const { ts } = await slack.postMessage(c.id, "hello", "post-1");
    await slack.postMessage(c.id, "other", "post-2");
    expect(fake.messagesIn(c.id)[0]?.metadata).toEqual({
      event_type: "cp_channel_post",
      event_payload: { postId: "post-1" },
    });
    expect(await slack.findPostedMessage(c.id, "post-1")).toBe(ts);
    expect(await slack.findPostedMessage(c.id, "post-3")).toBeNull();
  });
});
