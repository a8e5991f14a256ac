"use client";

import type { AppRouter, inferRouterOutputs } from "@cp/api";
import { WEBHOOK_EVENT_LABELS, WEBHOOK_EVENT_TYPES, type WebhookEventType } from "@cp/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Dialog } from "./dialog";
import { Field, splitFieldErrors } from "./field-errors";
import { formatAge, formatDateTime } from "./format";
import { QueryError } from "./query-error";
import { useTRPC } from "~/trpc/react";

type Endpoint = inferRouterOutputs<AppRouter>["webhooks"]["list"][number];

/** How long the list keeps refreshing after a test is sent, so its outcome shows up as the last delivery. */
const WATCH_AFTER_TEST_MS = 60_000;

/**
 * Webhook endpoints of one org (`orgId`), or the fleet-wide ones (`orgId: null`): list, add (the signing secret is
 * shown once), send a test, rotate the secret, delete.
 */
export function WebhooksView({ orgId, title }: { orgId: string | null; title: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [watchUntil, setWatchUntil] = useState(0);
  const list = useQuery({
    ...trpc.webhooks.list.queryOptions({ orgId }),
    refetchInterval: () => (Date.now() < watchUntil ? 3_000 : false),
  });
  const refresh = () => qc.invalidateQueries({ queryKey: trpc.webhooks.list.queryKey({ orgId }) });
  const [secret, setSecret] = useState<{ url: string; value: string; rotated: boolean } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const sendTest = useMutation(
    trpc.webhooks.sendTest.mutationOptions({
      onSuccess: () => {
        setNotice("Test delivery queued. Its result appears under Last delivery in a few seconds.");
        setWatchUntil(Date.now() + WATCH_AFTER_TEST_MS);
        void refresh();
      },
    }),
  );
  const rotate = useMutation(trpc.webhooks.rotateSecret.mutationOptions({ onSettled: refresh }));
  const remove = useMutation(trpc.webhooks.delete.mutationOptions({ onSettled: refresh }));
  const actionError = sendTest.error ?? rotate.error ?? remove.error;
  const busy = sendTest.isPending || rotate.isPending || remove.isPending;

  return (
    <>
      <h1>{title}</h1>
      <p className="muted">
        {orgId === null
          ? "Fleet-wide endpoints receive the events of every organization."
          : "Endpoints receive this organization's alert events as signed HTTPS POST requests."}{" "}
        Each request carries <code>x-cp-event</code>, <code>x-cp-delivery</code> (the same on every retry) and{" "}
        <code>
          x-cp-signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, &quot;t.body&quot;)&gt;
        </code>
        . Answer with a 2xx status; 408, 429 and 5xx answers are retried with backoff.
      </p>
      {actionError && <QueryError error={actionError} />}
      {notice && (
        <p role="status" className="notice">
          {notice}
        </p>
      )}
      {list.error && <QueryError error={list.error} />}
      {!list.data && !list.error && <p aria-busy="true">Loading…</p>}
      {list.data && list.data.length === 0 && <p className="muted">No webhook endpoints yet.</p>}
      {list.data && list.data.length > 0 && (
        <table>
          <caption>Webhook endpoints</caption>
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Description</th>
              <th scope="col">Events</th>
              <th scope="col">Last delivery</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {list.data.map((e) => (
              <tr key={e.id}>
                <td style={{ wordBreak: "break-all" }}>{e.url}</td>
                <td>{e.description || "—"}</td>
                <td>
                  {e.events.length ? e.events.map((t) => WEBHOOK_EVENT_LABELS[t]).join(", ") : "All events"}
                </td>
                <td>
                  <LastDelivery endpoint={e} />
                </td>
                <td>
                  <div className="toolbar" style={{ margin: 0 }}>
                    <button
                      type="button"
                      className="secondary"
                      disabled={busy}
                      onClick={() => {
                        setNotice(null);
                        sendTest.mutate({ orgId, webhookId: e.id });
                      }}
                    >
                      Send test
                    </button>
                    <button
                      type="button"
                      className="secondary"
                      disabled={busy}
                      onClick={() => {
                        if (
                          window.confirm(
                            `Rotate the signing secret of ${e.url}? The current secret stops working at once.`,
                          )
                        ) {
                          setNotice(null);
                          rotate.mutate(
                            { orgId, webhookId: e.id },
                            { onSuccess: (r) => setSecret({ url: e.url, value: r.secret, rotated: true }) },
                          );
                        }
                      }}
                    >
                      Rotate secret
                    </button>
                    <button
                      type="button"
                      className="danger"
                      disabled={busy}
                      onClick={() => {
                        if (
                          window.confirm(
                            `Delete the webhook endpoint ${e.url}? Queued deliveries are dropped.`,
                          )
                        ) {
                          setNotice(null);
                          remove.mutate({ orgId, webhookId: e.id });
                        }
                      }}
                    >
                      Delete
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <AddEndpointForm
        orgId={orgId}
        onCreated={(url, value) => {
          setNotice(null);
          setSecret({ url, value, rotated: false });
          void refresh();
        }}
      />

      {secret && <SecretDialog {...secret} onClose={() => setSecret(null)} />}
    </>
  );
}

function LastDelivery({ endpoint: e }: { endpoint: Endpoint }) {
  if (!e.lastDeliveryAt) return <span className="muted">None yet</span>;
  const ok = e.lastStatus !== null && /^HTTP 2\d\d$/.test(e.lastStatus);
  return (
    <>
      <span className={`badge ${ok ? "ok" : "bad"}`}>{e.lastStatus ?? "unknown"}</span>{" "}
      <span title={formatDateTime(e.lastDeliveryAt)}>{formatAge(e.lastDeliveryAt)}</span>
    </>
  );
}

const FIELDS = ["url", "description", "events"] as const;

function AddEndpointForm(props: { orgId: string | null; onCreated: (url: string, secret: string) => void }) {
  const trpc = useTRPC();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<WebhookEventType[]>([]);
  const create = useMutation(
    trpc.webhooks.create.mutationOptions({
      onSuccess: (r) => {
        setUrl("");
        setDescription("");
        setEvents([]);
        props.onCreated(r.endpoint.url, r.secret);
      },
    }),
  );
  const errors = splitFieldErrors(create.error, FIELDS);
  const toggle = (t: WebhookEventType, on: boolean) => {
    create.reset();
    setEvents((prev) => (on ? [...prev, t] : prev.filter((x) => x !== t)));
  };
  return (
    <section className="panel" aria-labelledby="add-webhook-title">
      <h2 id="add-webhook-title">Add an endpoint</h2>
      <form
        aria-label="Add a webhook endpoint"
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ orgId: props.orgId, url, description, events });
        }}
      >
        <Field
          label="URL"
          error={errors.fields.url}
          hint="https:// to a public address; the signing secret is shown once it is added."
        >
          {(c) => (
            <input
              {...c}
              type="url"
              required
              placeholder="https://hooks.example.com/control-plane"
              value={url}
              onChange={(e) => {
                create.reset();
                setUrl(e.target.value);
              }}
            />
          )}
        </Field>
        <Field label="Description (optional)" error={errors.fields.description}>
          {(c) => (
            <input
              {...c}
              maxLength={200}
              value={description}
              onChange={(e) => {
                create.reset();
                setDescription(e.target.value);
              }}
            />
          )}
        </Field>
        <fieldset>
          <legend>Events (none checked: all events)</legend>
          {WEBHOOK_EVENT_TYPES.map((t) => (
            <label key={t} className="choice">
              <input
                type="checkbox"
                checked={events.includes(t)}
                onChange={(e) => toggle(t, e.target.checked)}
              />
              {WEBHOOK_EVENT_LABELS[t]} <code>{t}</code>
            </label>
          ))}
          {errors.fields.events && <span className="error">{errors.fields.events}</span>}
        </fieldset>
        {errors.other && <QueryError error={{ message: errors.other, data: create.error?.data }} />}
        <button type="submit" disabled={create.isPending || !url.trim()}>
          {create.isPending ? "Adding…" : "Add endpoint"}
        </button>
      </form>
    </section>
  );
}

function SecretDialog(props: { url: string; value: string; rotated: boolean; onClose: () => void }) {
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  return (
    <Dialog title={props.rotated ? "New signing secret" : "Endpoint added"} onClose={props.onClose}>
      <p>
        The signing secret of <strong style={{ wordBreak: "break-all" }}>{props.url}</strong>
        {props.rotated ? " was replaced; the old one no longer verifies deliveries." : "."} Copy it now and
        store it with your receiver: it is not shown again. If it is lost, rotate it.
      </p>
      <Field label="Signing secret">
        {(c) => (
          <input
            {...c}
            readOnly
            value={props.value}
            autoComplete="off"
            spellCheck={false}
            onFocus={(e) => e.target.select()}
            style={{ fontFamily: "monospace" }}
          />
        )}
      </Field>
      <div className="toolbar" style={{ marginTop: "1rem", marginBottom: 0 }}>
        <button
          type="button"
          onClick={() => {
            navigator.clipboard.writeText(props.value).then(
              () => setCopied("yes"),
              () => setCopied("failed"),
            );
          }}
        >
          Copy secret
        </button>
        <button type="button" className="secondary" onClick={props.onClose}>
          Done
        </button>
        <span role="status">
          {copied === "yes" && "Copied."}
          {copied === "failed" && "Could not copy: select the secret and copy it yourself."}
        </span>
      </div>
    </Dialog>
  );
}
