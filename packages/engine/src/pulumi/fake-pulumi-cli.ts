// Test support: a stand-in `pulumi` executable that speaks enough of the CLI protocol the Automation API uses to
// drive the real PulumiEngine without the Pulumi CLI, plugins, clouds or network.
//
// It keeps stack state as JSON under the file:// backend named in the workspace's Pulumi.yaml, and the workspace's
// stack config in the work dir (as the real CLI keeps Pulumi.<stack>.yaml), so "another worker" (another work dir)
// must `config refresh` to see it. It reports version 3.205.0: the last release whose engine events the Automation
// API reads from the `--event-log` file (later ones stream them over gRPC), and new enough for inline programs in
// refresh/destroy. It does not run the inline program (the program is covered by the setMocks tests in
// infra/tenant): it emits a fixed set of resources per cloud.
//
// Behaviour switches, passed through the engine's envVars: FAKE_PULUMI_SCENARIO = comma-separated of
//   conflict  - preview/up/destroy fail as when another update holds the stack (the 409 text errors.js matches)
//   hang      - up stops after its first resource until interrupted (SIGINT), for cancellation
//   fail      - up fails on the database with an error diagnostic
//   nocreds   - up fails the way a provider without cloud credentials does
//   drift     - refresh finds the VPC changed outside Pulumi
// Every invocation is appended to `calls.jsonl` (argv without --non-interactive), plus `{ signal: "SIGINT" }` when
// one is interrupted.
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export interface FakePulumi {
  root: string;
  /** `<root>/bin/pulumi` */
  command: string;
  backendUrl: string;
  calls: () => Promise<FakeCall[]>;
  /** The stack's state in the fake backend, or null when it has none. */
  state: (project: string, stack: string) => Promise<FakeStackState | null>;
}

export interface FakeCall {
  args?: string[];
  signal?: string;
}

export interface FakeStackState {
  secretsProvider: string | null;
  resources: { urn: string; type: string }[];
  outputs: Record<string, unknown>;
  lastConfig: Record<string, { value: string; secret?: boolean }> | null;
  history: { kind: string; resourceChanges: Record<string, number> }[];
  locked: boolean;
}

export async function installFakePulumi(root: string): Promise<FakePulumi> {
  const bin = path.join(root, "bin");
  const stateDir = path.join(root, "state");
  const callsFile = path.join(root, "calls.jsonl");
  await mkdir(bin, { recursive: true });
  await mkdir(stateDir, { recursive: true });
  await writeFile(callsFile, "");
  const command = path.join(bin, "pulumi");
  await writeFile(command, `#!${process.execPath}\nconst CALLS = ${JSON.stringify(callsFile)};\n${SCRIPT}`);
  await chmod(command, 0o755);
  return {
    root,
    command,
    backendUrl: `file://${stateDir}`,
    calls: async () =>
      (await readFile(callsFile, "utf8"))
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as FakeCall),
    state: async (project, stack) => {
      try {
        return JSON.parse(
          await readFile(path.join(stateDir, project, `${stack}.json`), "utf8"),
        ) as FakeStackState;
      } catch {
        return null;
      }
    },
  };
}

const SCRIPT = String.raw`
"use strict";
const fs = require("fs");
const path = require("path");

const args = process.argv.slice(2).filter((a) => a !== "--non-interactive");
fs.appendFileSync(CALLS, JSON.stringify({ args }) + "\n");
const scenario = new Set((process.env.FAKE_PULUMI_SCENARIO || "").split(",").filter(Boolean));

function flag(name) {
  const i = args.indexOf("--" + name);
  if (i >= 0) return args[i + 1];
  const eq = args.find((a) => a.startsWith("--" + name + "="));
  return eq === undefined ? undefined : eq.slice(name.length + 3);
}
function fail(message, code) {
  process.stderr.write(message + "\n");
  process.exit(code === undefined ? 255 : code);
}
function out(text) {
  process.stdout.write(text + "\n");
}

function workspace() {
  const file = path.join(process.cwd(), "Pulumi.yaml");
  if (!fs.existsSync(file)) fail("error: no Pulumi.yaml project file found in " + process.cwd());
  const text = fs.readFileSync(file, "utf8");
  const name = /^name:\s*(\S+)/m.exec(text);
  const url = /url:\s*['"]?file:\/\/([^'"\s]+)/.exec(text);
  if (!name || !url) fail("error: this stand-in needs a project name and a file:// backend in Pulumi.yaml");
  return { project: name[1], backend: url[1] };
}
const ws = args[0] === "version" ? null : workspace();
const statePath = (stack) => path.join(ws.backend, ws.project, stack + ".json");
const localConfigPath = (stack) => path.join(process.cwd(), "Pulumi." + stack + ".fake-config.json");
function load(stack) {
  const file = statePath(stack);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : null;
}
function save(stack, state) {
  fs.mkdirSync(path.dirname(statePath(stack)), { recursive: true });
  fs.writeFileSync(statePath(stack), JSON.stringify(state, null, 2));
}
function requireStack(stack) {
  const state = stack ? load(stack) : null;
  if (!state) fail("error: no stack named '" + stack + "' found");
  return state;
}
function localConfig(stack) {
  const file = localConfigPath(stack);
  return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
}

const RESOURCES = {
  aws: [
    ["aws:kms/key:Key", "key"],
    ["aws:ec2/vpc:Vpc", "vpc"],
    ["aws:eks/nodeGroup:NodeGroup", "nodes"],
    ["aws:rds/instance:Instance", "db"],
    ["aws:s3/bucket:Bucket", "bucket"],
  ],
  gcp: [
    ["gcp:kms/cryptoKey:CryptoKey", "key"],
    ["gcp:compute/network:Network", "network"],
    ["gcp:container/nodePool:NodePool", "nodes"],
    ["gcp:sql/databaseInstance:DatabaseInstance", "db"],
    ["gcp:storage/bucket:Bucket", "bucket"],
  ],
};
function specOf(config) {
  return config["tenant:spec"] ? JSON.parse(config["tenant:spec"].value) : {};
}
function desired(stack, config) {
  const cloud = specOf(config).cloud === "gcp" ? "gcp" : "aws";
  const list = [["pulumi:pulumi:Stack", ws.project + "-" + stack], ["pulumi:providers:" + cloud, cloud]].concat(
    RESOURCES[cloud],
  );
  return list.map(([type, name]) => ({ urn: "urn:pulumi:" + stack + "::" + ws.project + "::" + type + "::" + name, type }));
}
function flagOf(config, key) {
  return config && config[key] ? config[key].value : "false";
}
function plan(stack, state, config) {
  const existing = new Set(state.resources.map((r) => r.urn));
  return desired(stack, config).map((r) => {
    let op = existing.has(r.urn) ? "same" : "create";
    if (op === "same" && r.urn.endsWith("::nodes") && flagOf(config, "tenant:suspended") !== flagOf(state.lastConfig, "tenant:suspended")) op = "update";
    if (op === "same" && r.urn.endsWith("::db") && flagOf(config, "tenant:teardown") !== flagOf(state.lastConfig, "tenant:teardown")) op = "update";
    return Object.assign({ op }, r);
  });
}
function counts(steps) {
  const c = {};
  for (const s of steps) c[s.op] = (c[s.op] || 0) + 1;
  return c;
}

let sequence = 0;
const eventLog = flag("event-log");
function emit(event) {
  if (!eventLog) return;
  fs.appendFileSync(eventLog, JSON.stringify(Object.assign({ sequence: sequence++, timestamp: Math.floor(Date.now() / 1000) }, event)) + "\n");
}
const meta = (step) => ({ op: step.op, urn: step.urn, type: step.type, provider: "", diffs: step.diffs });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function checkConflict(state) {
  if (scenario.has("conflict") || state.locked) fail("error: [409] Conflict: Another update is currently in progress.");
}
function history(state, kind, resourceChanges) {
  const now = new Date().toISOString();
  state.history.push({ version: state.history.length + 1, kind, startTime: now, endTime: now, message: "", environment: {}, config: {}, result: "succeeded", resourceChanges });
}

async function runUpdate(stack, kind) {
  const state = requireStack(stack);
  checkConflict(state);
  const config = localConfig(stack);
  const steps = kind === "destroy" ? state.resources.slice().reverse().map((r) => Object.assign({ op: "delete" }, r)) : plan(stack, state, config);
  const preview = kind === "preview";
  if (!preview) {
    state.locked = true;
    save(stack, state);
    process.on("SIGINT", () => {
      fs.appendFileSync(CALLS, JSON.stringify({ signal: "SIGINT" }) + "\n");
      const current = load(stack);
      current.locked = false;
      save(stack, current);
      fail("error: update canceled");
    });
  }
  const masked = {};
  for (const [k, v] of Object.entries(config)) masked[k] = v.secret ? "[secret]" : v.value;
  emit({ preludeEvent: { config: masked } });
  if (!preview && kind === "up") {
    emit({ diagnosticEvent: { message: "\u001b[33mwarning:\u001b[0m the stand-in provider is \u001b[1mdeprecated\u001b[0m\n", color: "raw", severity: "warning" } });
    emit({ diagnosticEvent: { message: "still creating... (10s)", color: "raw", severity: "info", ephemeral: true } });
    const secret = Object.values(config).find((v) => v.secret);
    if (secret) emit({ diagnosticEvent: { message: "provider debug: using client secret " + secret.value + "\n", color: "raw", severity: "info" } });
  }
  let index = 0;
  for (const step of steps) {
    emit({ resourcePreEvent: { metadata: meta(step), planning: preview || undefined } });
    if (preview) continue;
    await sleep(5);
    if (step.op !== "same" && step.urn.endsWith("::db") && (scenario.has("fail") || scenario.has("nocreds"))) {
      const message = scenario.has("fail")
        ? "error: creating RDS DB Instance: InvalidParameterCombination: the instance class is not available\n"
        : "error: configuring provider: NoCredentialProviders: no valid providers in chain\n";
      emit({ diagnosticEvent: { urn: step.urn, message, color: "raw", severity: "error" } });
      emit({ resOpFailedEvent: { metadata: meta(step), status: 1, steps: index } });
      state.locked = false;
      save(stack, state);
      fail("error: update failed");
    }
    emit({ resOutputsEvent: { metadata: meta(step) } });
    index++;
    if (scenario.has("hang") && kind === "up" && step.op !== "same" && index === 2) {
      setInterval(() => {}, 1000);
      await new Promise(() => {});
    }
  }
  const changes = counts(steps);
  emit({ summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: changes, policyPacks: {} } });
  if (preview) {
    out("Previewing update (" + stack + "):");
    return;
  }
  if (kind === "destroy") {
    state.resources = [];
    state.outputs = {};
  } else {
    const spec = specOf(config);
    state.resources = steps.map((s) => ({ urn: s.urn, type: s.type }));
    state.lastConfig = config;
    state.outputs = {
      url: "https://" + spec.slug + ".fake.example",
      databaseEndpoint: "db.fake.internal:3306",
      databaseName: "app",
      bucket: "cp-" + spec.slug + "-data",
      version: spec.version,
      suspended: flagOf(config, "tenant:suspended") === "true",
    };
  }
  state.locked = false;
  history(state, kind === "destroy" ? "destroy" : "update", changes);
  save(stack, state);
  out((kind === "destroy" ? "Destroying" : "Updating") + " (" + stack + "): done");
}

async function runRefresh(stack) {
  const state = requireStack(stack);
  checkConflict(state);
  const steps = state.resources.map((r) => {
    const drifted = scenario.has("drift") && r.urn.endsWith("::vpc");
    return Object.assign({ op: drifted ? "update" : "same", diffs: drifted ? ["tags", "enableDnsHostnames"] : undefined }, r);
  });
  for (const step of steps) {
    emit({ resourcePreEvent: { metadata: meta(step) } });
    emit({ resOutputsEvent: { metadata: meta(step) } });
  }
  const changes = counts(steps);
  emit({ summaryEvent: { maybeCorrupt: false, durationSeconds: 1, resourceChanges: changes, policyPacks: {} } });
  history(state, "refresh", changes);
  save(stack, state);
}

async function main() {
  const [a, b] = args;
  const stack = flag("stack");
  if (a === "version") return out("v3.205.0");
  if (a === "stack" && b === "select") return void requireStack(stack);
  if (a === "stack" && b === "init") {
    const name = args[2];
    if (load(name)) fail("error: stack '" + name + "' already exists");
    return save(name, { secretsProvider: flag("secrets-provider") || null, resources: [], outputs: {}, lastConfig: null, history: [], locked: false });
  }
  if (a === "stack" && b === "rm") {
    const name = args[args.length - 1];
    requireStack(name);
    fs.rmSync(statePath(name));
    fs.rmSync(localConfigPath(name), { force: true });
    return;
  }
  if (a === "stack" && b === "output") return out(JSON.stringify(requireStack(stack).outputs));
  if (a === "stack" && b === "history") {
    const size = Number(flag("page-size") || 1000);
    return out(JSON.stringify(requireStack(stack).history.slice().reverse().slice(0, size)));
  }
  if (a === "stack" && b === "export") {
    return out(JSON.stringify({ version: 3, deployment: { manifest: {}, resources: requireStack(stack).resources } }));
  }
  if (a === "config" && b === "set-all") {
    requireStack(stack);
    const config = localConfig(stack);
    for (let i = 2; i < args.length; i++) {
      if (args[i] !== "--plaintext" && args[i] !== "--secret") continue;
      const pair = args[++i];
      const eq = pair.indexOf("=");
      config[pair.slice(0, eq)] = { value: pair.slice(eq + 1), secret: args[i - 1] === "--secret" };
    }
    return fs.writeFileSync(localConfigPath(stack), JSON.stringify(config, null, 2));
  }
  if (a === "config" && b === "refresh") {
    const state = requireStack(stack);
    if (!state.lastConfig) fail("error: no previous deployment");
    return fs.writeFileSync(localConfigPath(stack), JSON.stringify(state.lastConfig, null, 2));
  }
  if (a === "config" && (b === "--show-secrets" || b === "--json")) {
    requireStack(stack);
    return out(JSON.stringify(localConfig(stack)));
  }
  if (a === "preview") return runUpdate(stack, "preview");
  if (a === "up") return runUpdate(stack, "up");
  if (a === "destroy") return runUpdate(stack, "destroy");
  if (a === "refresh") return runRefresh(stack);
  if (a === "cancel") {
    const name = stack || args[args.indexOf("--") + 1];
    const state = requireStack(name);
    state.locked = false;
    save(name, state);
    return out("The currently running update for '" + name + "' has been canceled!");
  }
  fail("error: the stand-in does not implement 'pulumi " + args.join(" ") + "'", 1);
}

main().catch((err) => fail("error: " + (err && err.stack ? err.stack : err)));
`;
