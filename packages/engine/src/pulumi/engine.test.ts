// The real PulumiEngine and Automation API against a stand-in `pulumi` executable (fake-pulumi-cli.ts): local
// processes only, no CLI, plugins, cloud or network.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EngineError, type EngineHooks, type InstanceRef, type InstanceSpec } from "../types";
import { PulumiEngine, type PulumiEngineOptions } from "./index";
import { installFakePulumi, type FakeCall, type FakePulumi } from "./fake-pulumi-cli";

const PROJECT = "cp-tenant-aws";

let fake: FakePulumi;
beforeEach(async () => {
  fake = await installFakePulumi(await mkdtemp(path.join(os.tmpdir(), "cp-pulumi-engine-")));
});
afterEach(async () => {
  await rm(fake.root, { recursive: true, force: true });
});

function engine(options: Partial<PulumiEngineOptions> = {}): PulumiEngine {
  return new PulumiEngine({
    cloud: "aws",
    command: fake.command,
    backendUrl: fake.backendUrl,
    secretsProvider: "passphrase",
    projectName: PROJECT,
    workDir: path.join(fake.root, "worker-a"),
    baseDomain: "fake.example",
    hostedZoneId: "Z0FAKE",
    envVars: { PULUMI_CONFIG_PASSPHRASE: "test-only" },
    ...options,
  });
}

function spec(overrides: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    instanceId: "inst_1",
    slug: "acme",
    orgSlug: "acme-org",
    cloud: "aws",
    region: "us-east-1",
    size: "small",
    mysqlVersion: "8.0",
    version: "0.64.0",
    storage: { mode: "provider" },
    sso: { mode: "provider" },
    reliability: { externalRedis: false, rateLimits: { filestream: 20, graphql: 200 } },
    ipAllowlist: [],
    backup: { retentionDays: 14, startTimeUtc: "03:00" },
    tags: {},
    ...overrides,
  };
}

const ref: InstanceRef = { instanceId: "inst_1", slug: "acme", cloud: "aws", region: "us-east-1" };

interface Recorder {
  hooks: EngineHooks;
  logs: { message: string; level: string }[];
  progress: { step: string; percent: number }[];
}

function recorder(signal: AbortSignal = new AbortController().signal): Recorder {
  const logs: Recorder["logs"] = [];
  const progress: Recorder["progress"] = [];
  return {
    hooks: {
      log: (message, level = "info") => logs.push({ message, level }),
      progress: (step, percent) => progress.push({ step, percent }),
      signal,
    },
    logs,
    progress,
  };
}

/** CLI invocations by their subcommand, e.g. "up", "config set-all", "stack init". */
function invoked(calls: FakeCall[], command: string): string[][] {
  const words = command.split(" ");
  return calls.flatMap((c) => (c.args && words.every((w, i) => c.args![i] === w) ? [c.args] : []));
}

async function rejection(promise: Promise<unknown>): Promise<EngineError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EngineError);
    return error as EngineError;
  }
  throw new Error("expected the promise to reject");
}

describe("PulumiEngine with a stand-in CLI", { timeout: 30_000 }, () => {
  it("is available when the CLI answers its version and the backend is configured", async () => {
    expect(await engine().available()).toEqual({ ok: true });
    expect(invoked(await fake.calls(), "version").length).toBeGreaterThan(0);
  });

  it("applies: creates the stack, sets config, previews, runs up, maps events to progress and logs, returns outputs", async () => {
    const r = recorder();
    const outputs = await engine().apply(spec(), r.hooks);
    expect(outputs).toEqual({
      url: "https://acme.fake.example",
      databaseEndpoint: "db.fake.internal:3306",
      databaseName: "app",
      bucket: "cp-acme-data",
      version: "0.64.0",
    });

    const calls = await fake.calls();
    expect(invoked(calls, "stack init")).toEqual([
      ["stack", "init", "acme", "--secrets-provider", "passphrase"],
    ]);
    const [setAll] = invoked(calls, "config set-all");
    expect(setAll).toEqual(
      expect.arrayContaining(["--plaintext", "aws:region=us-east-1", "tenant:suspended=false"]),
    );
    const [up] = invoked(calls, "up");
    expect(up).toEqual(
      expect.arrayContaining(["--color", "never", "--event-log", "--exec-kind", "auto.inline"]),
    );
    expect(up!.some((a) => a.startsWith("--client=127.0.0.1:"))).toBe(true);
    expect(invoked(calls, "preview")).toHaveLength(1);

    // 7 resources planned by the preview (stack, provider, 5 cloud resources), each reported as it starts and ends.
    expect(r.progress[0]).toEqual({ step: "Planning changes", percent: 2 });
    expect(r.progress.at(-1)).toEqual({ step: "Done", percent: 100 });
    const steps = r.progress.slice(1, -1);
    expect(steps.map((p) => p.step)).toContain("aws:rds/instance:Instance/db");
    expect(steps.map((p) => p.step)).toContain("aws:eks/nodeGroup:NodeGroup/nodes");
    const percents = r.progress.map((p) => p.percent);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(steps.at(-1)!.percent).toBe(98);
    expect(steps.some((p) => p.percent > 2 && p.percent < 98)).toBe(true);

    expect(r.logs).toContainEqual({ message: "warning: the stand-in provider is deprecated", level: "warn" });
    expect(r.logs).toContainEqual({ message: "7 resource change(s) planned.", level: "info" });
    expect(r.logs.some((l) => l.message.includes("\u001b"))).toBe(false);
    expect(r.logs.some((l) => l.message.includes("still creating"))).toBe(false);
  });

  it("keeps secrets in secret config, out of the plain spec and out of every log line", async () => {
    const r = recorder();
    await engine().apply(
      spec({
        sso: {
          mode: "oidc",
          issuer: "https://id.acme.test",
          clientId: "cp",
          clientSecret: "oidc-s3cret-value",
          flow: "pkce",
        },
      }),
      r.hooks,
    );
    const [setAll] = invoked(await fake.calls(), "config set-all");
    expect(setAll).toEqual(expect.arrayContaining(["--secret", "tenant:ssoClientSecret=oidc-s3cret-value"]));
    const plainSpec = setAll!.find((a) => a.startsWith("tenant:spec="))!;
    expect(plainSpec).not.toContain("oidc-s3cret-value");
    expect(setAll![setAll!.indexOf(plainSpec) - 1]).toBe("--plaintext");
    // The stand-in's provider echoes the secret in a diagnostic: the log shows it blanked.
    expect(r.logs).toContainEqual({ message: "provider debug: using client secret [secret]", level: "info" });
    expect(JSON.stringify(r.logs)).not.toContain("oidc-s3cret-value");
  });

  it("applies again idempotently: selects the same stack and plans no changes", async () => {
    await engine().apply(spec(), recorder().hooks);
    const r = recorder();
    await engine().apply(spec(), r.hooks);
    const calls = await fake.calls();
    expect(invoked(calls, "stack init")).toHaveLength(1);
    expect(invoked(calls, "up")).toHaveLength(2);
    expect(r.logs).toContainEqual({ message: "No resource changes planned.", level: "info" });
    expect(r.progress.at(-1)).toEqual({ step: "Done", percent: 100 });
  });

  it("reads outputs of an existing stack, and null for one that does not exist", async () => {
    const e = engine();
    expect(await e.outputs(ref)).toBeNull();
    await e.apply(spec(), recorder().hooks);
    expect(await e.outputs(ref)).toMatchObject({ url: "https://acme.fake.example", bucket: "cp-acme-data" });
  });

  it("maps ConcurrentUpdateError to CONCURRENT_UPDATE, retryable", async () => {
    const error = await rejection(
      engine({ envVars: { FAKE_PULUMI_SCENARIO: "conflict" } }).apply(spec(), recorder().hooks),
    );
    expect(error.code).toBe("CONCURRENT_UPDATE");
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/another update/i);
  });

  it("cancels through the AbortSignal: interrupts the CLI, runs `pulumi cancel`, rejects with CANCELLED", async () => {
    const controller = new AbortController();
    const r = recorder(controller.signal);
    const hooks: EngineHooks = {
      ...r.hooks,
      progress: (step, percent) => {
        r.hooks.progress(step, percent);
        if (step.startsWith("pulumi:providers:aws")) controller.abort();
      },
    };
    const started = Date.now();
    const error = await rejection(engine({ envVars: { FAKE_PULUMI_SCENARIO: "hang" } }).apply(spec(), hooks));
    expect(error.code).toBe("CANCELLED");
    expect(error.retryable).toBe(false);
    expect(Date.now() - started).toBeLessThan(15_000);
    const calls = await fake.calls();
    expect(invoked(calls, "cancel")).toEqual([
      expect.arrayContaining(["cancel", "--yes", "--stack", "acme"]),
    ]);
    expect(calls).toContainEqual({ signal: "SIGINT" });
    expect(r.logs.map((l) => l.message)).toContain("Pulumi cancelled the update.");
    // The stack is usable again: the interrupted update released it.
    expect((await fake.state(PROJECT, "acme"))?.locked).toBe(false);
  });

  it("cancels a running apply of this engine through cancel(ref)", async () => {
    const e = engine({ envVars: { FAKE_PULUMI_SCENARIO: "hang" } });
    const r = recorder();
    const hooks: EngineHooks = {
      ...r.hooks,
      progress: (step, percent) => {
        r.hooks.progress(step, percent);
        if (step.startsWith("pulumi:providers:aws")) void e.cancel(ref);
      },
    };
    const error = await rejection(e.apply(spec(), hooks));
    expect(error.code).toBe("CANCELLED");
    expect(invoked(await fake.calls(), "cancel")).toHaveLength(1);
    expect(r.logs.map((l) => l.message)).toContain("Pulumi cancelled the update.");
  });

  it("does not start a cancelled operation", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(engine().apply(spec(), recorder(controller.signal).hooks));
    expect(error.code).toBe("CANCELLED");
    expect(invoked(await fake.calls(), "stack select")).toEqual([]);
  });

  it("fails fast with NOT_CONFIGURED when the CLI is missing, before touching anything", async () => {
    const missing = path.join(fake.root, "nowhere", "bin", "pulumi");
    const e = engine({ command: missing });
    expect(await e.available()).toEqual({
      ok: false,
      reason: `The Pulumi CLI is not installed on this worker (looked for '${missing}'); AWS/GCP instances cannot be provisioned here.`,
    });
    const r = recorder();
    const started = Date.now();
    const error = await rejection(e.apply(spec(), r.hooks));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.code).toBe("NOT_CONFIGURED");
    expect(error.retryable).toBe(false);
    expect(error.message).toContain("The Pulumi CLI is not installed on this worker");
    expect(r.progress).toEqual([]);
    expect(r.logs).toEqual([]);
    expect((await rejection(e.destroy(ref, r.hooks))).code).toBe("NOT_CONFIGURED");
    expect(await fake.calls()).toEqual([]);
  });

  it("names PULUMI_BACKEND_URL when no backend is configured", async () => {
    const e = engine({ backendUrl: "" });
    const availability = await e.available();
    expect(availability.ok).toBe(false);
    expect(!availability.ok && availability.reason).toMatch(/PULUMI_BACKEND_URL/);
    const error = await rejection(e.apply(spec(), recorder().hooks));
    expect(error.code).toBe("NOT_CONFIGURED");
    expect(error.message).toMatch(/PULUMI_BACKEND_URL/);
    expect(invoked(await fake.calls(), "stack select")).toEqual([]);
  });

  it("suspends and resumes from another worker by restoring the stack config, then re-running up", async () => {
    await engine().apply(
      spec({
        sso: {
          mode: "oidc",
          issuer: "https://id.acme.test",
          clientId: "cp",
          clientSecret: "oidc-s3cret-value",
          flow: "pkce",
        },
      }),
      recorder().hooks,
    );
    const other = engine({ workDir: path.join(fake.root, "worker-b") });

    const r = recorder();
    await other.suspend(ref, r.hooks);
    let calls = await fake.calls();
    expect(invoked(calls, "config refresh")).toHaveLength(1);
    const suspendConfig = invoked(calls, "config set-all").at(-1)!;
    expect(suspendConfig).toEqual(
      expect.arrayContaining([
        "tenant:suspended=true",
        "tenant:teardown=false",
        "tenant:ssoClientSecret=oidc-s3cret-value",
      ]),
    );
    expect((await fake.state(PROJECT, "acme"))?.outputs.suspended).toBe(true);
    expect(r.progress).toContainEqual(expect.objectContaining({ step: "aws:eks/nodeGroup:NodeGroup/nodes" }));
    expect(JSON.stringify(r.logs)).not.toContain("oidc-s3cret-value");

    // An apply meanwhile keeps it suspended.
    await engine().apply(spec(), recorder().hooks);
    expect((await fake.state(PROJECT, "acme"))?.outputs.suspended).toBe(true);

    await other.resume(ref, recorder().hooks);
    calls = await fake.calls();
    expect(invoked(calls, "config set-all").at(-1)).toContain("tenant:suspended=false");
    expect((await fake.state(PROJECT, "acme"))?.outputs.suspended).toBe(false);
  });

  it("reports NOT_FOUND when suspending an instance that has no stack, or nothing deployed in it", async () => {
    expect((await rejection(engine().suspend(ref, recorder().hooks))).code).toBe("NOT_FOUND");
    // A first apply that never got past its preview leaves an empty stack behind.
    await rejection(
      engine({ envVars: { FAKE_PULUMI_SCENARIO: "conflict" } }).apply(spec(), recorder().hooks),
    );
    expect(await fake.state(PROJECT, "acme")).toMatchObject({ resources: [] });
    expect((await rejection(engine().resume(ref, recorder().hooks))).code).toBe("NOT_FOUND");
  });

  it("destroys: lifts protection with a teardown run, destroys, removes the stack; again is a no-op", async () => {
    await engine().apply(spec(), recorder().hooks);
    const r = recorder();
    await engine({ workDir: path.join(fake.root, "worker-b") }).destroy(ref, r.hooks);
    let calls = await fake.calls();
    expect(invoked(calls, "config set-all").at(-1)).toContain("tenant:teardown=true");
    expect(invoked(calls, "destroy")).toHaveLength(1);
    expect(invoked(calls, "stack rm")).toEqual([expect.arrayContaining(["stack", "rm", "--yes", "acme"])]);
    expect(await fake.state(PROJECT, "acme")).toBeNull();
    expect(r.progress).toContainEqual(expect.objectContaining({ step: "aws:rds/instance:Instance/db" }));
    expect(r.progress.at(-1)).toEqual({ step: "Done", percent: 100 });

    const again = recorder();
    await engine().destroy(ref, again.hooks);
    calls = await fake.calls();
    expect(invoked(calls, "destroy")).toHaveLength(1);
    expect(again.logs).toContainEqual({
      message: "Stack acme does not exist: nothing to destroy.",
      level: "info",
    });
  });

  it("reports drift from refresh's change summary, and none when nothing changed", async () => {
    await engine().apply(spec(), recorder().hooks);
    expect(await engine().refresh(spec(), recorder().hooks)).toEqual({ drifted: false, details: [] });

    const report = await engine({ envVars: { FAKE_PULUMI_SCENARIO: "drift" } }).refresh(
      spec(),
      recorder().hooks,
    );
    expect(report).toEqual({
      drifted: true,
      details: ["update aws:ec2/vpc:Vpc/vpc (tags, enableDnsHostnames)"],
    });
  });

  it("turns a failed update into FAILED, retryable, with the provider's error", async () => {
    const r = recorder();
    const error = await rejection(
      engine({ envVars: { FAKE_PULUMI_SCENARIO: "fail" } }).apply(spec(), r.hooks),
    );
    expect(error.code).toBe("FAILED");
    expect(error.retryable).toBe(true);
    expect(error.message).toContain("InvalidParameterCombination");
    expect(r.logs).toContainEqual(
      expect.objectContaining({ level: "error", message: expect.stringContaining("creating RDS") }),
    );
  });

  it("turns missing cloud credentials into NOT_CONFIGURED", async () => {
    const error = await rejection(
      engine({ envVars: { FAKE_PULUMI_SCENARIO: "nocreds" } }).apply(spec(), recorder().hooks),
    );
    expect(error.code).toBe("NOT_CONFIGURED");
    expect(error.message).toMatch(/credentials/);
  });

  it("refuses an instance on another cloud", async () => {
    const error = await rejection(engine().apply(spec({ cloud: "gcp" }), recorder().hooks));
    expect(error.code).toBe("FAILED");
    expect(error.retryable).toBe(false);
  });
});
