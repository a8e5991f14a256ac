// Test support: runs an install template under `pulumi.runtime.setMocks` (no CLI, no plugins, no network) with a
// given stack configuration, recording every resource it registers. Mocks are process-wide: a test file runs its
// programs one after another.
import * as pulumi from "@pulumi/pulumi";
import type { TemplateOutputs } from "./config";
import { templateProgram } from "./index";
import { PROJECT_NAME } from "./settings";

export interface RecordedResource {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider?: string;
}

export interface TemplateRun {
  resources: RecordedResource[];
  /** Output values, resolved (secrets included, as plain values). */
  outputs: Record<string, unknown>;
  /** Output names whose value is a Pulumi secret. */
  secretOutputs: string[];
  failures: string[];
  ofType: (type: string) => RecordedResource[];
  named: (name: string) => RecordedResource;
}

export type ComputedState = (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown>;
export type CallResult = (args: pulumi.runtime.MockCallArgs) => Record<string, unknown>;

/** Values of the mocks' secret marker: `{ [sig]: SECRET_SIG, value }` is how a secret input reaches newResource. */
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export const TEST_SECRETS = {
  licenseToken: "eyJhbGciOiJFZERTQSJ9.test-license.sig",
  databasePassword: "db-s3cret-password",
  redisAuthToken: "redis-auth-token-0123456789abcdef",
};

/**
 * Stack configuration (keys without the project namespace); objects are JSON-encoded as Pulumi stores them. The test
 * secrets are set unless a key is given as null (unset).
 */
export type StackConfig = Record<string, string | number | boolean | object | null>;

export async function runTemplate(
  config: StackConfig,
  computed: ComputedState,
  call: CallResult = () => ({}),
): Promise<TemplateRun> {
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
    PROJECT_NAME,
    "prod",
    false,
  );
  const all: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...TEST_SECRETS, ...config })) {
    if (value === null) continue;
    all[`${PROJECT_NAME}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  const secretKeys = Object.keys(TEST_SECRETS)
    .map((k) => `${PROJECT_NAME}:${k}`)
    .filter((k) => k in all);
  pulumi.runtime.setAllConfig(all, secretKeys);

  const exported = templateProgram() as unknown as Record<keyof TemplateOutputs, pulumi.Output<unknown>>;
  const outputs: Record<string, unknown> = {};
  const secretOutputs: string[] = [];
  for (const [key, value] of Object.entries(exported)) {
    outputs[key] = await resolve(value);
    if (await pulumi.isSecret(value)) secretOutputs.push(key);
  }
  // Resources that wait on another's outputs register late: drain every pending registration before asserting.
  await pulumi.runtime.disconnect();

  const ofType = (type: string) => resources.filter((r) => r.type === type);
  const named = (name: string) => {
    const found = resources.filter((r) => r.name === name);
    if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
    return found[0]!;
  };
  return { resources, outputs, secretOutputs, failures, ofType, named };
}

export function resolve<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((done) => output.apply((value) => done(value)));
}

/** A secret input as the mocks see it, or the plain value. */
export function unwrap(value: unknown): unknown {
  if (value && typeof value === "object" && "value" in value && Object.values(value).includes(SECRET_SIG)) {
    return (value as { value: unknown }).value;
  }
  return value;
}

export function isSecretInput(value: unknown): boolean {
  return !!value && typeof value === "object" && Object.values(value).includes(SECRET_SIG);
}

/** Every plain (non-secret) string anywhere in a resource's inputs. */
export function plainStrings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (!value || typeof value !== "object" || isSecretInput(value)) return [];
  return Object.values(value).flatMap(plainStrings);
}
