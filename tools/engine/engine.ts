import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import { deserializeProperties } from "@pulumi/pulumi/runtime/rpc";
import { CloudContext, createResource, stableUuid } from "./resources";
import { answerInvoke } from "./invokes";
import { remoteComponentState } from "./remote";
import { DefaultProvider, PlannedResource } from "./types";

/**
 * The offline engine: Pulumi's mock monitor with realistic answers and a full record of what the program
 * registered. The unit tests and `npm run plan` both run programs through it, so a test sees exactly what a
 * plan shows.
 */

/** The fixed example account of every offline run (AWS's documentation account id). */
export const EXAMPLE_ACCOUNT = "123456789012";

export interface InvokeRecord {
  readonly token: string;
  readonly args: Record<string, unknown>;
}

export class OfflineEngine implements pulumi.runtime.Mocks {
  /** Every resource the program registered, in registration order. */
  readonly resources: PlannedResource[] = [];
  /** Every data source the program called. */
  readonly invokes: InvokeRecord[] = [];
  /** Default providers the engine would create for the packages the program used. */
  readonly defaultProviders = new Map<string, DefaultProvider>();
  /** Region of each explicit provider, by provider id. */
  private readonly providerRegions = new Map<string, string>();

  constructor(
    readonly cloud: CloudContext,
    private readonly providerConfig: Readonly<Record<string, Record<string, unknown>>>,
    private readonly onRegister?: (resource: PlannedResource, count: number) => void,
  ) {}

  /** What the last `newResource` call was given and answered; `attach` picks it up for the record. */
  private last?: { inputs: Record<string, unknown>; result: pulumi.runtime.MockResourceResult };

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    let result: pulumi.runtime.MockResourceResult;
    if (!args.custom) {
      // Components have no cloud identity; remote ones (awsx) answer their outputs from their plugin's contract.
      result = { id: undefined, state: remoteComponentState(args.type, args.inputs, this.cloud) ?? {} };
    } else if (args.type.startsWith("pulumi:providers:")) {
      result = { id: stableUuid(`${args.type}::${args.name}`), state: args.inputs };
      if (typeof args.inputs.region === "string") {
        this.providerRegions.set(result.id!, args.inputs.region);
      }
    } else {
      // A resource created through an explicit provider for another region (e.g. a DR copy) lives in that region.
      const region = args.provider ? this.providerRegions.get(args.provider.split("::").pop() ?? "") : undefined;
      result = createResource(region ? { ...this.cloud, region } : this.cloud, args.type, args.name, args.inputs);
    }
    this.last = { inputs: args.inputs, result };
    return result;
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    this.invokes.push({ token: args.token, args: args.inputs });
    return answerInvoke(args.token, args.inputs, this.cloud);
  }

  /** The default provider reference for a custom resource registered without an explicit provider. */
  defaultProviderRef(type: string, project: string, stack: string): string | undefined {
    const pkg = type.split(":")[0];
    if (pkg === "pulumi") {
      return undefined;
    }
    let provider = this.defaultProviders.get(pkg);
    if (!provider) {
      const version = packageVersion(pkg);
      const name = version ? `default_${version.replace(/[.-]/g, "_")}` : "default";
      provider = {
        urn: `urn:pulumi:${stack}::${project}::pulumi:providers:${pkg}::${name}`,
        type: `pulumi:providers:${pkg}`,
        name,
        inputs: { ...(this.providerConfig[pkg] ?? {}), ...(version ? { version } : {}) },
      };
      this.defaultProviders.set(pkg, provider);
    }
    return `${provider.urn}::${stableUuid(provider.urn)}`;
  }

  /**
   * Hooks the engine into Pulumi's mock monitor (after `setMocks`): real URNs (children of the stack are not
   * qualified by the stack's type, as in the Pulumi engine) and a record of each registration with its parent,
   * dependencies, provider and options, which the SDK's mocks do not pass on.
   */
  attach(project: string, stack: string): void {
    const monitor = settings.getMonitor() as unknown as MonitorInternals;
    const originalRegister = monitor.registerResource.bind(monitor);
    monitor.newUrn = (parent: string, type: string, name: string) => {
      let qualified = type;
      if (parent) {
        const parentType = parent.split("::")[2];
        if (parentType !== "pulumi:pulumi:Stack") {
          qualified = `${parentType}$${type}`;
        }
      }
      return `urn:pulumi:${stack}::${project}::${qualified}::${name}`;
    };
    monitor.registerResource = (req: RegisterRequest, callback: (err: unknown, resp: RegisterResponse) => void) => {
      this.last = undefined;
      const answer: { value?: OfflineEngine["last"] } = {};
      const done = originalRegister(req, (err, resp) => {
        if (!err && resp) {
          this.record(req, resp, project, stack, answer.value);
        }
        callback(err, resp);
      });
      // The mock monitor calls newResource before its first await, so its answer is already here: recording it
      // saves deserialising the request and the response a second time.
      answer.value = this.last;
      return done;
    };
  }

  private record(
    req: RegisterRequest,
    resp: RegisterResponse,
    project: string,
    stack: string,
    answered: OfflineEngine["last"],
  ): void {
    const type = req.getType();
    const custom = req.getCustom();
    const rawInputs = answered?.inputs ?? (deserializeProperties(req.getObject()) as Record<string, unknown>);
    const inputs: Record<string, unknown> = {};
    const secretInputs: string[] = [];
    for (const [key, value] of Object.entries(rawInputs)) {
      const unwrapped = unwrapSecrets(value);
      inputs[key] = unwrapped.value;
      if (unwrapped.secret) {
        secretInputs.push(key);
      }
    }
    const state = answered?.result.state ?? (deserializeProperties(resp.getObject()) as Record<string, unknown>);
    const id = resp.getId();
    const explicitProvider = req.getProvider();
    const resource: PlannedResource = {
      urn: resp.getUrn(),
      type,
      name: req.getName(),
      parent: req.getParent() || undefined,
      inputs,
      outputs: custom && id ? { ...state, id } : state,
      dependencies: [...new Set(req.getDependenciesList())],
      provider:
        explicitProvider ||
        (custom && !type.startsWith("pulumi:providers:") ? this.defaultProviderRef(type, project, stack) : undefined),
      custom,
      remote: req.getRemote(),
      ...(secretInputs.length > 0 ? { secretInputs } : {}),
      options: {
        protect: req.getProtect() === true,
        retainOnDelete: req.getRetainondelete() === true,
        deleteBeforeReplace: req.getDeletebeforereplace() === true,
      },
    };
    this.resources.push(resource);
    this.onRegister?.(resource, this.resources.length);
  }
}

type Struct = Parameters<typeof deserializeProperties>[0];

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getRemote(): boolean;
  getObject(): Struct;
  getDependenciesList(): string[];
  getProvider(): string;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean | undefined;
}

interface RegisterResponse {
  getUrn(): string;
  getId(): string;
  getObject(): Struct;
}

interface MonitorInternals {
  newUrn: (parent: string, type: string, name: string) => string;
  registerResource: (req: RegisterRequest, callback: (err: unknown, resp: RegisterResponse) => void) => Promise<void>;
}

/** How the SDK marks a secret value on the wire (runtime/rpc specialSigKey / specialSecretSig). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function isSecretValue(value: unknown): value is { value: unknown } {
  return value !== null && typeof value === "object" && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/**
 * The value itself, as a policy sees it, and whether any part of it was secret: one walk over each input, as
 * this runs for every registration.
 */
function unwrapSecrets(value: unknown): { value: unknown; secret: boolean } {
  if (isSecretValue(value)) {
    return { value: unwrapSecrets(value.value).value, secret: true };
  }
  if (value === null || typeof value !== "object") {
    return { value, secret: false };
  }
  let secret = false;
  const walk = (v: unknown) => {
    const inner = unwrapSecrets(v);
    secret ||= inner.secret;
    return inner.value;
  };
  const out = Array.isArray(value)
    ? value.map(walk)
    : Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
  return { value: out, secret };
}

const versions = new Map<string, string | undefined>();

function packageVersion(pkg: string): string | undefined {
  if (!versions.has(pkg)) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      versions.set(pkg, (require(`@pulumi/${pkg}/package.json`) as { version: string }).version);
    } catch {
      versions.set(pkg, undefined);
    }
  }
  return versions.get(pkg);
}
