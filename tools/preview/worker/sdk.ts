// The program's own @pulumi/pulumi, resolved from the program directory so that the module instance
// the program and its provider SDKs use is the one whose runtime the worker sets up; and the shapes
// of it the worker relies on.

import * as path from "path";
import { createRequire } from "module";

export interface StructLike {
  toJavaScript(): Record<string, unknown>;
}

interface JspbMap<V> {
  forEach(cb: (value: V, key: string) => void): void;
}

type Callback = (err: unknown, response: unknown) => void;

export interface MonitorLike {
  transformCallbacks?: Map<string, unknown>;
  newUrn(parent: string, type: string, name: string): string;
  registerResource(req: RegisterRequest, cb: Callback): unknown;
  readResource(req: ReadRequest, cb: Callback): unknown;
  registerResourceOutputs(req: { getUrn(): string; getOutputs(): StructLike | undefined }, cb: Callback): unknown;
}

export interface RegisterRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getObject(): StructLike | undefined;
  setObject(value: StructLike): unknown;
  getProvider(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): JspbMap<{ getUrnsList(): string[] }>;
  getTransformsList?(): { getToken(): string }[];
  getVersion(): string;
  getImportid(): string;
  getRemote(): boolean;
  getProtect?(): boolean | undefined;
}

export interface ReadRequest {
  getId(): string;
  getType(): string;
  getName(): string;
  getParent(): string;
  getProperties(): StructLike | undefined;
  getProvider(): string;
  getDependenciesList(): string[];
  getVersion(): string;
}

export interface SdkLike {
  version?: string;
  runtime: {
    setMocks(mocks: unknown, project: string, stack: string, preview: boolean, organization?: string): Promise<void> | void;
    getMonitor(): unknown;
    runInPulumiStack(init: () => Promise<unknown>): Promise<unknown>;
    registerStackTransformation(t: (args: { type: string; name: string; props: Record<string, unknown>; resource: unknown }) => undefined): void;
    waitForRPCs?(): Promise<void>;
    deserializeProperties(struct: StructLike): unknown;
    serializeProperties(label: string, props: unknown): Promise<Record<string, unknown>>;
  };
  unknown: unknown;
}

export interface ProgramSdk {
  sdk: SdkLike;
  /** The directory of the @pulumi/pulumi package. */
  dir: string;
  version: string;
}

/** The @pulumi/pulumi the program in `projectDir` loads. */
export function loadProgramSdk(projectDir: string): ProgramSdk {
  const entry = resolveFrom(projectDir, "@pulumi/pulumi");
  if (!entry) {
    throw new Error(`cannot find @pulumi/pulumi from ${projectDir}: install the program's dependencies`);
  }
  const dir = path.dirname(resolveFrom(projectDir, "@pulumi/pulumi/package.json") ?? entry);
  const sdk = requireFrom(projectDir, entry) as SdkLike;
  const version = (requireFrom(projectDir, path.join(dir, "package.json")) as { version: string }).version;
  return { sdk, dir, version };
}

/** Loads a module as the program directory would resolve it. */
export function requireFrom(dir: string, id: string): unknown {
  return createRequire(path.join(dir, "noop.js"))(id);
}

export function resolveFrom(dir: string, id: string): string | undefined {
  try {
    return createRequire(path.join(dir, "noop.js")).resolve(id);
  } catch {
    return undefined;
  }
}
