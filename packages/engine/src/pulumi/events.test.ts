import { describe, expect, it } from "vitest";
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation/index.js";
import { countPlannedSteps, mapEvents, redactor, stepName, stripAnsi } from "./events";

function step(
  kind: "resourcePreEvent" | "resOutputsEvent",
  op: OpType,
  name: string,
  diffs?: string[],
): EngineEvent {
  const metadata = {
    op,
    urn: `urn:pulumi:acme::cp-tenant-aws::aws:ec2/vpc:Vpc::${name}`,
    type: "aws:ec2/vpc:Vpc",
    provider: "",
    diffs,
  };
  return { sequence: 0, timestamp: 0, [kind]: { metadata } } as EngineEvent;
}

function diagnostic(message: string, severity: "info" | "warning" | "error", ephemeral = false): EngineEvent {
  return { sequence: 0, timestamp: 0, diagnosticEvent: { message, color: "raw", severity, ephemeral } };
}

function recorder() {
  const progress: [string, number][] = [];
  const logs: [string, string][] = [];
  return {
    progress,
    logs,
    hooks: {
      progress: (s: string, p: number) => progress.push([s, p]),
      log: (m: string, l: "info" | "warn" | "error" = "info") => logs.push([m, l]),
    },
  };
}

describe("engine events", () => {
  it("strips ANSI colour and cursor codes", () => {
    expect(stripAnsi("\u001b[1m\u001b[31merror:\u001b[0m boom\u001b[2K")).toBe("error: boom");
  });

  it("blanks secrets, longest first, ignoring values too short to be secrets", () => {
    const redact = redactor(["s3cret", "s3cret-longer", "ab"]);
    expect(redact("a s3cret-longer and a s3cret, ab")).toBe("a [secret] and a [secret], ab");
  });

  it("names a step by type and the URN's name", () => {
    const event = step("resourcePreEvent", "create", "main");
    expect(stepName(event.resourcePreEvent!.metadata)).toBe("aws:ec2/vpc:Vpc/main");
  });

  it("plans only steps that change something", () => {
    const planner = countPlannedSteps();
    for (const e of [
      step("resourcePreEvent", "same", "a"),
      step("resourcePreEvent", "create", "b"),
      step("resourcePreEvent", "update", "c"),
    ]) {
      planner.onEvent(e);
    }
    expect(planner.count()).toBe(2);
  });

  it("moves progress from `from` to `to` as planned steps complete, never backwards", () => {
    const r = recorder();
    const mapping = mapEvents({ from: 10, to: 90, planned: 2, hooks: r.hooks, redact: (t) => t });
    mapping.onEvent(step("resourcePreEvent", "same", "unchanged"));
    mapping.onEvent(step("resourcePreEvent", "create", "a"));
    mapping.onEvent(step("resOutputsEvent", "create", "a"));
    mapping.onEvent(step("resourcePreEvent", "update", "b"));
    mapping.onEvent(step("resOutputsEvent", "update", "b", ["tags"]));
    // More steps than planned (a replacement split into several) stays at `to`.
    mapping.onEvent(step("resOutputsEvent", "delete", "c"));
    expect(r.progress).toEqual([
      ["aws:ec2/vpc:Vpc/a", 10],
      ["aws:ec2/vpc:Vpc/a", 50],
      ["aws:ec2/vpc:Vpc/b", 50],
      ["aws:ec2/vpc:Vpc/b", 90],
      ["aws:ec2/vpc:Vpc/c", 90],
    ]);
    expect(mapping.changes.map((c) => [c.op, c.diffs])).toEqual([
      ["create", []],
      ["update", ["tags"]],
      ["delete", []],
    ]);
  });

  it("logs diagnostics by severity, without ANSI, ephemeral chatter or secrets, and keeps the errors", () => {
    const r = recorder();
    const mapping = mapEvents({
      from: 0,
      to: 100,
      planned: 0,
      hooks: r.hooks,
      redact: redactor(["hunter22"]),
    });
    mapping.onEvent(diagnostic("\u001b[33mwarning:\u001b[0m old\n", "warning"));
    mapping.onEvent(diagnostic("creating...", "info", true));
    mapping.onEvent(diagnostic("password hunter22 rejected\n", "error"));
    mapping.onEvent(diagnostic("   \n", "info"));
    mapping.onEvent({
      sequence: 0,
      timestamp: 0,
      preludeEvent: { config: { "tenant:ssoClientSecret": "hunter22" } },
    });
    expect(r.logs).toEqual([
      ["warning: old", "warn"],
      ["password [secret] rejected", "error"],
    ]);
    expect(mapping.errors).toEqual(["password [secret] rejected"]);
  });
});
