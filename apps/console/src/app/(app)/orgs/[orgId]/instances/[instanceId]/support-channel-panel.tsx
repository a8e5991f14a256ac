"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { formatDateTime } from "~/components/format";
import { QueryError } from "~/components/query-error";
import { useTRPC } from "~/trpc/react";

/** While a setup is queued or running the panel follows it; otherwise it looks for new posts now and then. */
const LIVE_MS = 1500;
const IDLE_MS = 30_000;

/**
 * The instance's support channel: a Slack channel, or the console's notifications when Slack is not configured; its
 * state, the latest posts, and for provider staff a button to set it up (or run setup again).
 */
export function SupportChannelPanel({ orgId, instanceId }: { orgId: string; instanceId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const me = useQuery(trpc.me.get.queryOptions());
  const view = useQuery({
    ...trpc.supportChannels.get.queryOptions({ orgId, instanceId }),
    refetchInterval: (q) => (q.state.data?.activeSetup ? LIVE_MS : IDLE_MS),
  });
  const setup = useMutation(
    trpc.supportChannels.setup.mutationOptions({
      onSettled: () =>
        qc.invalidateQueries({ queryKey: trpc.supportChannels.get.queryKey({ orgId, instanceId }) }),
    }),
  );
  const isStaff = me.data !== undefined && me.data.staffRole !== "none";
  const data = view.data;
  const ch = data?.channel ?? null;
  const running = data?.activeSetup ?? null;
  const failed = !running && data?.lastSetup?.status === "failed" ? data.lastSetup : null;

  return (
    <section
      className="panel"
      aria-labelledby={`channel-title-${instanceId}`}
      data-testid="support-channel-panel"
    >
      <h2 id={`channel-title-${instanceId}`} style={{ marginTop: 0 }}>
        Support channel{" "}
        {running ? (
          <span className="badge warn">Setting up</span>
        ) : ch?.readyAt ? (
          <span className="badge ok">Ready</span>
        ) : (
          <span className="badge">Not set up</span>
        )}
      </h2>
      {view.error && <QueryError error={view.error} />}
      {data && (
        <p data-testid="support-channel-where">
          {ch
            ? ch.provider === "slack"
              ? `Slack #${ch.name}`
              : "Console notifications"
            : data.slackConfigured
              ? "A Slack channel is made when the instance is provisioned or set up by support."
              : "Console notifications (Slack is not configured)"}
          {ch?.externalId && <span className="muted"> · {ch.externalId}</span>}
          {ch?.readyAt && <span className="muted"> · ready since {formatDateTime(ch.readyAt)}</span>}
        </p>
      )}
      {ch?.topic && <p className="muted">{ch.topic}</p>}
      {failed && (
        <p role="status" className="notice">
          The last setup failed: {failed.error ?? "no reason recorded"}
        </p>
      )}
      {isStaff && (
        <p>
          <button
            type="button"
            disabled={setup.isPending || running !== null}
            onClick={() => setup.mutate({ orgId, instanceId })}
            data-testid="support-channel-setup"
          >
            {running ? "Setting up…" : ch ? "Run setup again" : "Set up support channel"}
          </button>
        </p>
      )}
      {setup.error && <QueryError error={setup.error} />}
      {data && data.posts.length > 0 && (
        <table>
          <caption>Latest posts to the support channel</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Kind</th>
              <th scope="col">Post</th>
              <th scope="col">Delivered</th>
            </tr>
          </thead>
          <tbody>
            {data.posts.map((p) => (
              <tr key={p.id}>
                <td>{formatDateTime(p.createdAt)}</td>
                <td>{p.kind}</td>
                <td style={{ whiteSpace: "pre-line" }}>{p.text}</td>
                <td>{p.postedAt ? formatDateTime(p.postedAt) : <span className="muted">pending</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {data && data.posts.length === 0 && <p className="muted">No posts yet.</p>}
    </section>
  );
}
