// Test support: runs a tenant program under `pulumi.runtime.setMocks` (no CLI, no plugins, no network) and records
// every resource it registers. Mocks are process-wide: a test file runs its programs one after another.
import * as pulumi from "@pulumi/pulumi";
import { tenantProgram, type TenantProgramInput } from "./index";

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** `urn::id` of the explicit provider, when one was passed. */
  provider?: string;
}

export interface MockRun {
  resources: RecordedResource[];
  outputs: Record<string, unknown>;
  /** Errors raised while computing mock state: recorded, never thrown inside the mock (OFFLINE.md). */
  failures: string[];
  ofType: (type: string) => RecordedResource[];
  /** The one resource with this logical name; fails the test when there is none or more than one. */
  named: (name: string) => RecordedResource;
}

export type ComputedState = (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown>;
export type CallResult = (args: pulumi.runtime.MockCallArgs) => Record<string, unknown>;

export async function runProgram(
  input: TenantProgramInput,
  computed: ComputedState,
  call: CallResult,
  config: Record<string, string> = {},
): Promise<MockRun> {
  const resources: RecordedResource[] = [];
  const failures: string[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        let extra: Record<string, unknown> = {};
        try {
          extra = computed(args);
        } catch (err) {
          failures.push(`${args.type} ${args.name}: ${String(err)}`);
        }
        resources.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
        const id = typeof extra.id === "string" ? extra.id : `${args.name}-id`;
        return { id, state: { ...args.inputs, ...extra } };
      },
      call(args) {
        try {
          return call(args);
        } catch (err) {
          failures.push(`call ${args.token}: ${String(err)}`);
          return {};
        }
      },
    },
    "cp-tenant",
    input.slug,
    false,
  );
  pulumi.runtime.setAllConfig(config);
  const program = tenantProgram(input);
  const exported = ((await program()) ?? {}) as Record<string, pulumi.Output<unknown>>;
  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(exported)) outputs[key] = await resolve(value);
  // Resources that wait on another's outputs register late: drain every pending registration before asserting.
  await pulumi.runtime.disconnect();

  const ofType = (type: string) => resources.filter((r) => r.type === type);
  const named = (name: string) => {
    const found = resources.filter((r) => r.name === name);
    if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
    return found[0]!;
  };
  return { resources, outputs, failures, ofType, named };
}

export function resolve<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((done) => output.apply((value) => done(value)));
}
