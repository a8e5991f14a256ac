// Engine events → the operation's hooks: resource steps become progress, diagnostics become log lines.
import type { EngineEvent, OpType, StepEventMetadata } from "@pulumi/pulumi/automation/index.js";
import type { EngineHooks } from "../types";

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/** Replaces every occurrence of a secret value with `[secret]`. */
export function redactor(secrets: string[]): (text: string) => string {
  const values = [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
  return (text) => values.reduce((out, value) => out.split(value).join("[secret]"), text);
}

/** Steps that change nothing are not work to wait for. */
function isWork(op: OpType): boolean {
  return op !== "same";
}

/** `type/name` of a step, the name taken from the URN (`urn:pulumi:stack::project::type::name`). */
export function stepName(metadata: StepEventMetadata): string {
  const name = metadata.urn.split("::").at(-1) ?? metadata.urn;
  return `${metadata.type}/${name}`;
}

/** Counts the steps a preview plans, to measure the real run against. */
export function countPlannedSteps(): { onEvent: (event: EngineEvent) => void; count: () => number } {
  const steps = new Set<string>();
  return {
    onEvent: (event) => {
      const metadata = event.resourcePreEvent?.metadata;
      if (metadata && isWork(metadata.op)) steps.add(`${metadata.op} ${metadata.urn}`);
    },
    count: () => steps.size,
  };
}

export interface EventMapping {
  /** Progress covers [from, to] of the operation; steps done / planned moves within it. */
  from: number;
  to: number;
  planned: number;
  hooks: Pick<EngineHooks, "log" | "progress">;
  redact: (text: string) => string;
}

export interface EventHandler {
  onEvent: (event: EngineEvent) => void;
  /** Error diagnostics seen, for the failure message. */
  errors: string[];
  /** Steps that changed something (for drift). */
  changes: { op: OpType; step: string; diffs: string[] }[];
}

export function mapEvents(mapping: EventMapping): EventHandler {
  const { from, to, hooks, redact } = mapping;
  const planned = Math.max(mapping.planned, 0);
  const done = new Set<string>();
  const errors: string[] = [];
  const changes: EventHandler["changes"] = [];
  let last = from;

  const percent = () => {
    if (planned === 0) return from;
    // Never report 100 before the run has returned: the last steps (outputs, history) still follow.
    return Math.min(
      to,
      Math.max(last, Math.floor(from + ((to - from) * Math.min(done.size, planned)) / planned)),
    );
  };

  const onEvent = (event: EngineEvent) => {
    if (event.resourcePreEvent) {
      const metadata = event.resourcePreEvent.metadata;
      if (!isWork(metadata.op)) return;
      last = percent();
      hooks.progress(stepName(metadata), last);
    } else if (event.resOutputsEvent) {
      const metadata = event.resOutputsEvent.metadata;
      if (!isWork(metadata.op)) return;
      done.add(`${metadata.op} ${metadata.urn}`);
      changes.push({ op: metadata.op, step: stepName(metadata), diffs: metadata.diffs ?? [] });
      last = percent();
      hooks.progress(stepName(metadata), last);
    } else if (event.resOpFailedEvent) {
      const metadata = event.resOpFailedEvent.metadata;
      hooks.log(`${metadata.op} ${stepName(metadata)} failed`, "error");
    } else if (event.diagnosticEvent) {
      const diagnostic = event.diagnosticEvent;
      // Ephemeral diagnostics are status chatter the CLI overwrites in place.
      if (diagnostic.ephemeral) return;
      const message = redact(stripAnsi(diagnostic.message)).trim();
      if (!message) return;
      const level =
        diagnostic.severity === "error" ? "error" : diagnostic.severity === "warning" ? "warn" : "info";
      if (level === "error") errors.push(message);
      hooks.log(message, level);
    }
    // preludeEvent carries the stack's configuration: never logged.
  };
  return { onEvent, errors, changes };
}
