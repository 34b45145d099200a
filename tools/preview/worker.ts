// Runs one Pulumi program under the SDK's mocks, in preview mode, and reports every resource it
// registers to the parent process. Started by program.ts with the job as its only argument.
//
// The program's own @pulumi/pulumi is the one mocked: it is resolved from the program directory, so
// that the module instance the program and its provider SDKs use is the one whose runtime we set up.

import * as fs from "fs";
import * as path from "path";
import { createRequire, findSourceMap } from "module";
import { fileURLToPath, pathToFileURL } from "url";

import { createMocks, MockContext } from "./mocks";
import { outputOnlyProperties } from "./planned-outputs";
import { Registration, SourceLocation, TypeProperties, WorkerJob, WorkerMessage } from "./protocol";

const job: WorkerJob = JSON.parse(process.argv[2] ?? "{}");

const registrations: (Registration | undefined)[] = [];
/** Each recorded registration by URN, for outputs registered later and provider look-ups. */
const byUrn = new Map<string, Registration>();
const types: Record<string, TypeProperties> = {};
let registered = 0;
let finished = false;
let sdkVersion = "";

function send(message: WorkerMessage, then?: () => void): void {
  if (!process.send) {
    process.stderr.write(JSON.stringify(message) + "\n");
    then?.();
    return;
  }
  process.send(message, undefined, {}, () => then?.());
}

/**
 * Ends this process without the SDK's exit hooks (their report of pending work is about our stopping
 * early), once what the program wrote to stdout and stderr has been handed to the pipes.
 */
function exit(): void {
  process.removeAllListeners("exit");
  process.stdout.write("", () => process.stderr.write("", () => process.exit(0)));
}

function fail(err: unknown): void {
  if (finished) {
    return;
  }
  finished = true;
  let message: string;
  try {
    message = describeFailure(err);
  } catch {
    // A value whose getters or conversions throw: it cannot be described, but it is still the program's failure.
    message = "the program failed with a value that cannot be described (reading it throws)";
  }
  send({ kind: "error", message }, exit);
}

/** One line saying why the program failed, with the program's own source location when there is one. */
function describeFailure(err: unknown): string {
  if (err instanceof Stalled) {
    return err.message;
  }
  if (!(err instanceof Error)) {
    return `the program failed: ${oneLine(String(err))}`;
  }
  const e = err as Error & { code?: string };
  const message = oneLine(e.message || e.name);
  if (e.code === "MODULE_NOT_FOUND" && /Cannot find module/.test(e.message)) {
    // Node adds the chain of requiring files on further lines; the first names what is missing.
    return `the program failed to load: ${oneLine(e.message.split("\n")[0])}`;
  }
  const where = programLocation(e.stack ?? "");
  return `the program failed: ${e.name && e.name !== "Error" && !message.startsWith(e.name) ? `${e.name}: ` : ""}${message}${
    where ? ` (${where})` : ""
  }`;
}

function oneLine(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
  return lines.slice(0, 3).join(" ").slice(0, 500);
}

/** A file of the program's own: under the project directory, outside node_modules. */
function isProgramFile(file: string): boolean {
  return path.isAbsolute(file) && !file.includes(`${path.sep}node_modules${path.sep}`) &&
    !path.relative(job.projectDir, file).startsWith("..");
}

/** The first stack frame in the program's own files, relative to the project directory. */
function programLocation(stack: string): string | undefined {
  for (const line of stack.split("\n").slice(1)) {
    const m = /\(?((?:[A-Za-z]:)?[^():]+):(\d+):(\d+)\)?\s*$/.exec(line.trim());
    if (!m) {
      continue;
    }
    const file = m[1].replace(/^at\s+/, "");
    if (!isProgramFile(file)) {
      continue;
    }
    return `${path.relative(job.projectDir, file)}:${m[2]}:${m[3]}`;
  }
  return undefined;
}

/**
 * Where the program declares each resource, by type and name: the first frame in the program's own
 * files while the resource's constructor runs (registration itself happens later, off that stack).
 * Null when two declarations of one type and name come from different places.
 */
const declarations = new Map<string, SourceLocation | null>();

function recordDeclaration(type: string, name: string, resource: unknown): void {
  const key = `${type}\u0000${name}`;
  const at = declarationSite(ownConstructors(resource));
  const seen = declarations.get(key);
  declarations.set(key, seen === undefined || (seen && at && seen.file === at.file && seen.line === at.line) ? at : null);
}

/**
 * The caller in the program's files, from V8's call sites (cheaper than formatting a stack) and
 * mapped back to the TypeScript source through the source map Node.js keeps for the file.
 */
function declarationSite(skip: Set<string>): SourceLocation | null {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  let sites: NodeJS.CallSite[] | undefined;
  try {
    Error.stackTraceLimit = 50;
    Error.prepareStackTrace = (_, callSites) => callSites;
    Error.captureStackTrace(holder, declarationSite);
    sites = holder.stack; // formatted on first read, so read before prepareStackTrace is restored
  } finally {
    Error.stackTraceLimit = limit;
    Error.prepareStackTrace = prepare;
  }
  for (const site of Array.isArray(sites) ? sites : []) {
    const name = site.getFileName();
    const file = name?.startsWith("file:") ? fileURLToPath(name) : name; // an ES module's frames are URLs
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    // A component class's own constructor (its super() call) is not where the component is declared.
    const own = site.isConstructor() && skip.has(site.getFunctionName() ?? "");
    if (!file || !line || !column || own || !isProgramFile(file)) {
      continue;
    }
    const entry = findSourceMap(file)?.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
    if (entry?.originalSource && entry.originalLine !== undefined && entry.originalColumn !== undefined) {
      const source = entry.originalSource.startsWith("file:") ? fileURLToPath(entry.originalSource) : path.resolve(path.dirname(file), entry.originalSource);
      return { file: path.relative(job.projectDir, source), line: entry.originalLine + 1, column: entry.originalColumn + 1 };
    }
    return { file: path.relative(job.projectDir, file), line, column };
  }
  return null;
}

/** The names of a resource's class and the classes it extends. */
function ownConstructors(resource: unknown): Set<string> {
  const names = new Set<string>();
  for (let c = (resource as { constructor?: unknown })?.constructor; typeof c === "function" && c !== Object; c = Object.getPrototypeOf(c)) {
    if (c.name) names.add(c.name);
  }
  return names;
}

function declarationOf(type: string, name: string): SourceLocation | undefined {
  return declarations.get(`${type}\u0000${name}`) ?? undefined;
}

/** Loads a module as the program directory would resolve it. */
function requireFrom(dir: string, id: string): unknown {
  return createRequire(path.join(dir, "noop.js"))(id);
}

function resolveFrom(dir: string, id: string): string | undefined {
  try {
    return createRequire(path.join(dir, "noop.js")).resolve(id);
  } catch {
    return undefined;
  }
}

interface TypeScriptLike {
  version: string;
  transpileModule(
    source: string,
    options: { compilerOptions: Record<string, unknown>; fileName: string; reportDiagnostics: boolean },
  ): {
    outputText: string;
    diagnostics?: { file?: { fileName: string; getLineAndCharacterOfPosition(p: number): { line: number; character: number } }; start?: number; messageText: unknown; category: number }[];
  };
  readConfigFile(file: string, read: (p: string) => string | undefined): { config?: unknown; error?: unknown };
  parseJsonConfigFileContent(json: unknown, host: unknown, basePath: string): { options: Record<string, unknown> };
  flattenDiagnosticMessageText(text: unknown, newLine: string): string;
  sys: unknown;
  ModuleKind: Record<string, number>;
  ScriptTarget: Record<string, number>;
  DiagnosticCategory: Record<string, number>;
}

/** TypeScript from the program, else the one this tool was built with, else the SDK's vendored copy. */
function loadTypeScript(dir: string, sdkDir: string): TypeScriptLike {
  const candidates = [
    resolveFrom(dir, "typescript"),
    resolveFrom(__dirname, "typescript"),
    path.join(sdkDir, "vendor", "typescript@3.8.3", "typescript.js"),
  ];
  for (const c of candidates) {
    if (c && fs.existsSync(c)) {
      return requireFrom(dir, c) as TypeScriptLike;
    }
  }
  throw new Error("no TypeScript compiler found to load the program's .ts files; install typescript");
}

/** The compiler and the options .ts files are transpiled with. */
function typeScriptCompiler(dir: string, sdkDir: string): { ts: TypeScriptLike; compilerOptions: Record<string, unknown> } {
  const ts = loadTypeScript(dir, sdkDir);
  let options: Record<string, unknown> = { target: ts.ScriptTarget.ES2020 };
  const tsconfig = path.join(dir, "tsconfig.json");
  if (fs.existsSync(tsconfig)) {
    const read = ts.readConfigFile(tsconfig, (p) => fs.readFileSync(p, "utf8"));
    if (read.config) {
      options = { ...options, ...ts.parseJsonConfigFileContent(read.config, ts.sys, dir).options };
    }
  }
  const compilerOptions: Record<string, unknown> = {
    ...options,
    module: ts.ModuleKind.CommonJS,
    inlineSourceMap: true,
    inlineSources: false,
    sourceMap: false,
    declaration: false,
    declarationMap: false,
    composite: false,
    noEmit: false,
    emitDeclarationOnly: false,
    verbatimModuleSyntax: false,
    isolatedModules: false,
  };
  delete compilerOptions.moduleResolution;
  delete compilerOptions.outDir;
  delete compilerOptions.outFile;
  delete compilerOptions.rootDir;
  delete compilerOptions.tsBuildInfoFile;
  delete compilerOptions.incremental;
  return { ts, compilerOptions };
}

/**
 * Compiles .ts files as they are required: transpile only, the way a tsconfig `noCheck` program runs.
 * The compiler loads with the first .ts file: a JavaScript program never pays its second or so of
 * loading and some 45 MB.
 */
function registerTypeScript(dir: string, sdkDir: string): void {
  let compiler: ReturnType<typeof typeScriptCompiler> | undefined;
  type Loader = (module: { _compile(code: string, filename: string): void }, filename: string) => void;
  const extensions = (createRequire(__filename)("module") as { _extensions: Record<string, Loader> })._extensions;
  const load: Loader = (module, filename) => {
    compiler ??= typeScriptCompiler(dir, sdkDir);
    const { ts, compilerOptions } = compiler;
    const source = fs.readFileSync(filename, "utf8");
    const out = ts.transpileModule(source, { compilerOptions, fileName: filename, reportDiagnostics: true });
    const error = (out.diagnostics ?? []).find((d) => d.category === ts.DiagnosticCategory.Error && d.file);
    if (error && error.file) {
      const { line, character } = error.file.getLineAndCharacterOfPosition(error.start ?? 0);
      const rel = path.relative(dir, error.file.fileName);
      const text = ts.flattenDiagnosticMessageText(error.messageText, " ");
      const e = new Error(`${rel}:${line + 1}:${character + 1}: ${text}`);
      e.name = "TypeScript error";
      e.stack = `${e.name}: ${e.message}`;
      throw e;
    }
    module._compile(out.outputText, filename);
  };
  extensions[".ts"] = load;
  extensions[".tsx"] = load;
}

/** Engine URN rule: the parent's qualified type prefixes the child's, except for the root stack. */
function engineUrn(parent: string | undefined, type: string, name: string): string {
  let qualified = type;
  if (parent) {
    const parentType = parent.split("::")[2];
    if (parentType && parentType !== "pulumi:pulumi:Stack") {
      qualified = `${parentType}$${type}`;
    }
  }
  return `urn:pulumi:${job.stack}::${job.project}::${qualified}::${name}`;
}

interface StructLike {
  toJavaScript(): Record<string, unknown>;
}

function structToJs(s: StructLike | undefined | null): Record<string, unknown> {
  return s ? s.toJavaScript() : {};
}

interface JspbMap<V> {
  forEach(cb: (value: V, key: string) => void): void;
}

type Callback = (err: unknown, response: unknown) => void;

interface MonitorLike {
  transformCallbacks?: Map<string, unknown>;
  newUrn(parent: string, type: string, name: string): string;
  registerResource(req: RegisterRequest, cb: Callback): unknown;
  readResource(req: ReadRequest, cb: Callback): unknown;
  registerResourceOutputs(req: { getUrn(): string; getOutputs(): StructLike | undefined }, cb: Callback): unknown;
}

interface RegisterRequest {
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

interface ReadRequest {
  getId(): string;
  getType(): string;
  getName(): string;
  getParent(): string;
  getProperties(): StructLike | undefined;
  getProvider(): string;
  getDependenciesList(): string[];
  getVersion(): string;
}

/**
 * A progress message at each hundredth resource, and at most one per PROGRESS_MS in between: one per
 * resource would cost more than the resource.
 */
const PROGRESS_MS = 100;
let progressTimer: NodeJS.Timeout | undefined;

function sendProgress(): void {
  send({ kind: "progress", registered, pending: pendingRegistrations().named });
}

function progress(): void {
  registered++;
  if (registered % 100 === 0) {
    sendProgress();
    return;
  }
  progressTimer ??= setTimeout(() => {
    progressTimer = undefined;
    sendProgress();
  }, PROGRESS_MS).unref();
}

/** The program can make no more progress: the message says what it left unfinished. */
class Stalled extends Error {}

/** How many unfinished registrations a message names. */
const PENDING_NAMED = 5;
let pendingSource: (() => Map<unknown, { name?: string; type?: string; label?: string }>) | undefined;

/** How many registrations the SDK has started and not finished, and the first `limit` of them as `"name" [type]`. */
function pendingRegistrations(limit = PENDING_NAMED): { count: number; named: string[] } {
  const pending = pendingSource?.();
  const named: string[] = [];
  if (!pending) {
    return { count: 0, named };
  }
  for (const r of pending.values()) {
    if (named.length >= limit) {
      break;
    }
    named.push(r.name && r.type ? `"${r.name}" [${r.type}]` : String(r.label ?? "a resource"));
  }
  return { count: pending.size, named };
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? "" : "s"}`;
}

/** Why the program stopped without finishing: what it registered, and what never finished. */
function stalledMessage(): string {
  const pending = pendingRegistrations();
  if (pending.count === 0) {
    return `the program stopped with ${count(registered, "resource")} registered and its main promise unresolved: it awaits a promise that never resolves`;
  }
  const named = pending.named.join(", ");
  const more = pending.count > pending.named.length ? ` and ${pending.count - pending.named.length} more` : "";
  return (
    `the program stopped with ${count(pending.count, "resource registration")} that never finished: ${named}${more} ` +
    `(waiting on a promise or output that never resolves); ${count(registered, "resource")} registered`
  );
}

type Transform = (args: {
  type: string;
  name: string;
  custom: boolean;
  props: Record<string, unknown>;
  opts: Record<string, unknown>;
}) => unknown;

/**
 * Runs resource transforms on a registration's inputs, as the engine does before anything else sees
 * them: the resource's own, then its ancestors', then the stack's. Changes to options are not applied.
 */
async function applyTransforms(sdk: SdkLike, req: RegisterRequest, transforms: Transform[]): Promise<void> {
  const object = req.getObject();
  if (transforms.length === 0 || !object) {
    return;
  }
  let props = sdk.runtime.deserializeProperties(object) as Record<string, unknown>;
  let opts: Record<string, unknown> = {};
  for (const t of transforms) {
    const result = (await t({ type: req.getType(), name: req.getName(), custom: req.getCustom(), props, opts })) as
      | { props?: Record<string, unknown>; opts?: Record<string, unknown> }
      | undefined;
    if (result) {
      props = result.props ?? props;
      opts = result.opts ?? opts;
    }
  }
  const serialized = await sdk.runtime.serializeProperties(`transform of ${req.getName()}`, props);
  const Struct = (object as unknown as { constructor: { fromJavaScript(v: unknown): StructLike } }).constructor;
  req.setObject(Struct.fromJavaScript(serialized));
}

/** Wraps the mock monitor so each registration is recorded with its parent, provider and dependencies. */
function instrument(sdk: SdkLike, monitor: MonitorLike, stackTransforms: unknown[]): void {
  if (
    typeof monitor?.newUrn !== "function" ||
    typeof monitor.registerResource !== "function" ||
    typeof monitor.readResource !== "function"
  ) {
    throw new Error(`@pulumi/pulumi ${sdkVersion} has a resource monitor mock preview cannot use`);
  }
  monitor.newUrn = (parent, type, name) => engineUrn(parent, type, name);

  const ownTransforms = new Map<string, Transform[]>();
  const parentOf = new Map<string, string | undefined>();
  const inherited = (parent: string | undefined): Transform[] => {
    const found: Transform[] = [];
    for (let p = parent; p; p = parentOf.get(p)) {
      found.push(...(ownTransforms.get(p) ?? []));
    }
    return found;
  };

  const seen = new Set<string>();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const slot = registrations.length;
    registrations.push(undefined);
    const own = (req.getTransformsList?.() ?? [])
      .map((t) => monitor.transformCallbacks?.get(t.getToken()))
      .filter((t): t is Transform => typeof t === "function");
    const parent = req.getParent() || undefined;
    const chain = [...own, ...inherited(parent), ...(stackTransforms as Transform[])];
    applyTransforms(sdk, req, chain).then(
      () => {
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps, key) => {
          propertyDependencies[key] = deps.getUrnsList();
        });
        const base = {
          type: req.getType(),
          name: req.getName(),
          custom: req.getCustom(),
          parent,
          providerRef: req.getProvider() || undefined,
          dependencies: req.getDependenciesList(),
          propertyDependencies,
          inputs: structToJs(req.getObject()),
          importId: req.getImportid() || undefined,
          version: req.getVersion() || undefined,
          remote: req.getRemote() || undefined,
          protect: req.getProtect?.() || undefined,
          declaredAt: declarationOf(req.getType(), req.getName()),
        };
        return register(req, (err, response) => {
          if (!err && response) {
            const resp = response as { getUrn(): string; getObject(): StructLike | undefined };
            const urn = resp.getUrn();
            if (seen.has(urn)) {
              // The engine refuses a second registration of a URN, and so the preview fails.
              fail(new Error(`duplicate resource URN ${urn}; give the resource a unique name`));
              return;
            }
            seen.add(urn);
            ownTransforms.set(urn, own);
            parentOf.set(urn, parent);
            registrations[slot] = { kind: "register", ...base, urn, outputs: structToJs(resp.getObject()) };
            byUrn.set(urn, registrations[slot] as Registration);
            progress();
          }
          cb(err, response);
        });
      },
      (err) => cb(err, undefined),
    );
  };

  const read = monitor.readResource.bind(monitor);
  monitor.readResource = (req, cb) => {
    const slot = registrations.length;
    registrations.push(undefined);
    const base = {
      type: req.getType(),
      name: req.getName(),
      custom: true,
      parent: req.getParent() || undefined,
      providerRef: req.getProvider() || undefined,
      dependencies: req.getDependenciesList(),
      propertyDependencies: {},
      inputs: structToJs(req.getProperties()),
      id: req.getId(),
      version: req.getVersion() || undefined,
      declaredAt: declarationOf(req.getType(), req.getName()),
    };
    return read(req, (err, response) => {
      if (!err && response) {
        const resp = response as { getUrn(): string; getProperties(): StructLike | undefined };
        registrations[slot] = { kind: "read", ...base, urn: resp.getUrn(), outputs: structToJs(resp.getProperties()) };
        if (!byUrn.has(resp.getUrn())) {
          byUrn.set(resp.getUrn(), registrations[slot] as Registration);
        }
        progress();
      }
      cb(err, response);
    });
  };

  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) => {
    const urn = req.getUrn();
    const registration = byUrn.get(urn);
    if (registration) {
      registration.outputs = structToJs(req.getOutputs());
    }
    return registerOutputs(req, cb);
  };
}

/** Resolves once the program has stopped registering resources. */
function settled(sdk: SdkLike): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (!done) {
        done = true;
        process.removeListener("beforeExit", loopEmpty);
        resolve();
      }
    };
    // A program without open handles: the event loop empties and Node says so; registrations still
    // pending then can never finish.
    const loopEmpty = () => (pendingRegistrations().count > 0 ? fail(new Stalled(stalledMessage())) : finish());
    process.once("beforeExit", loopEmpty);
    // A program that leaves timers or sockets open: wait until registrations stop for a while.
    let last = -1;
    let quiet = 0;
    const poll = () => {
      if (done) {
        return;
      }
      void Promise.resolve(sdk.runtime.waitForRPCs?.()).then(() => {
        if (registered === last) {
          quiet++;
        } else {
          quiet = 0;
          last = registered;
        }
        // Registrations still pending may be waiting on the program's timers: wait for them too.
        if (quiet >= 10 && pendingRegistrations().count === 0) {
          finish();
        } else {
          setTimeout(poll, 25).unref();
        }
      }, finish);
    };
    setTimeout(poll, 25).unref();
  });
}

/**
 * The SDK passes every promise it makes through `debuggablePromise`, which stamps it with a formatted
 * stack trace and a label and chains two more promises onto it to track leaks, all read only when
 * PULUMI_DEBUG_PROMISE_LEAKS is set or by the exit-time leak report this worker does not use (it
 * reports pending registrations itself). That is about 120 promises a resource for a resource class
 * with 30 properties; with source maps on, formatting the traces is most of a large program's run
 * time, and the stamps and chains a third of its heap. Here promises pass through untouched:
 * registrations, and so what the pack sees, are the same.
 */
function skipPromiseDebugging(sdkDir: string): void {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
    return;
  }
  let debuggable: { debuggablePromise?: unknown };
  try {
    debuggable = requireFrom(sdkDir, path.join(sdkDir, "runtime", "debuggable")) as typeof debuggable;
  } catch {
    return;
  }
  // The SDK's modules call it through their module object, so replacing the export reaches them all.
  if (typeof debuggable.debuggablePromise === "function") {
    debuggable.debuggablePromise = <T>(p: Promise<T>) => p;
  }
}

interface SdkLike {
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

async function loadProgram(): Promise<unknown> {
  let exported: unknown;
  if (job.esm) {
    const importModule = new Function("specifier", "return import(specifier)") as (s: string) => Promise<Record<string, unknown>>;
    let entry = job.entry;
    if (fs.statSync(entry).isDirectory()) {
      const index = ["index.js", "index.mjs"].map((f) => path.join(entry, f)).find((f) => fs.existsSync(f));
      if (!index) {
        throw new Error(`no index.js or index.mjs in ${entry}`);
      }
      entry = index;
    }
    const mod = await importModule(pathToFileURL(entry).href);
    // As the SDK's run.js: a default export is the program, and named exports beside it are an error.
    if (Object.getOwnPropertyDescriptor(mod, "default") !== undefined) {
      if (Object.keys(mod).length !== 1) {
        throw new Error("expected entrypoint module to have either a default export or named exports but not both");
      }
      exported = mod.default;
    } else {
      exported = mod;
    }
  } else {
    let entry = job.entry;
    if (fs.statSync(entry).isDirectory() && !entry.endsWith(path.sep)) {
      entry += path.sep;
    }
    exported = createRequire(path.join(job.projectDir, "noop.js"))(entry);
  }
  return exported instanceof Function ? await exported() : await exported;
}

async function main(): Promise<void> {
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
  process.chdir(job.cwd);

  const sdkEntry = resolveFrom(job.projectDir, "@pulumi/pulumi");
  if (!sdkEntry) {
    throw new Error(`cannot find @pulumi/pulumi from ${job.projectDir}: install the program's dependencies`);
  }
  const sdkDir = path.dirname(resolveFrom(job.projectDir, "@pulumi/pulumi/package.json") ?? sdkEntry);
  const sdk = requireFrom(job.projectDir, sdkEntry) as SdkLike;
  sdkVersion = (requireFrom(job.projectDir, path.join(sdkDir, "package.json")) as { version: string }).version;
  skipPromiseDebugging(sdkDir);
  const sdkState = requireFrom(sdkDir, path.join(sdkDir, "runtime", "state")) as { getPendingResourceRegistrations?(): Map<unknown, never> };
  if (typeof sdkState.getPendingResourceRegistrations === "function") {
    pendingSource = () => sdkState.getPendingResourceRegistrations?.() ?? new Map();
  }
  // The event loop empties before the program's main promise settles: nothing can settle it now.
  const stalled = () => fail(new Stalled(stalledMessage()));
  process.once("beforeExit", stalled);

  if (job.typescript) {
    registerTypeScript(job.projectDir, sdkDir);
  }

  const context: MockContext = { config: job.config, env: process.env, providers: { get: () => undefined }, stackTransforms: [] };
  await sdk.runtime.setMocks(createMocks(context), job.project, job.stack, true, job.organization);
  instrument(sdk, sdk.runtime.getMonitor() as MonitorLike, context.stackTransforms);

  // Explicit providers, so invokes made through one answer for its region.
  context.providers = { get: (urn: string) => byUrn.get(urn)?.inputs };

  process.argv = [process.argv[0], job.entry];
  await sdk.runtime.runInPulumiStack(async () => {
    sdk.runtime.registerStackTransformation((args) => {
      recordDeclaration(args.type, args.name, args.resource);
      if (!types[args.type]) {
        types[args.type] = { all: Object.keys(args.props ?? {}), computed: outputOnlyProperties(args.resource) };
      }
      return undefined;
    });
    return loadProgram();
  });
  process.removeListener("beforeExit", stalled);
  await settled(sdk);
  if (finished) {
    return;
  }
  finished = true;
  send(
    {
      kind: "done",
      registrations: registrations.filter((r): r is Registration => r !== undefined),
      types,
      sdkVersion,
    },
    exit,
  );
}

main().catch(fail);
