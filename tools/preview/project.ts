// Reads a Pulumi project the way the CLI does before running it: Pulumi.yaml (name, runtime and its
// options, main), the program's entry point and working directory, the stack (chosen as the CLI
// chooses its selected stack), and the stack's configuration from Pulumi.<stack>.yaml (in
// stackConfigDir when set) over Pulumi.yaml's, validated against the project's config declarations.

import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";

import { PreviewError, errorMessage, firstLine } from "./errors";
import { isObject } from "../analyzer/types";

/** What the program sees in place of a secure config value: preview has no key to decrypt it. */
export const SECRET_PLACEHOLDER = "[secret]";

export interface ProgramProject {
  /** Absolute project directory (the one holding Pulumi.yaml). */
  dir: string;
  name: string;
  description?: string;
  /** Absolute path of the file or directory to load. */
  entry: string;
  /** The program's working directory: main's directory (main itself when it names one), else dir. */
  cwd: string;
  typescript: boolean;
  esm: boolean;
  /** runtime.options.nodeargs, split into the arguments the program's node gets. */
  nodeArgs: string[];
  stack: string;
  organization: string;
  /** Pulumi.<stack>.yaml, when there is one. */
  stackFile?: string;
  /** "namespace:key" to the string the SDK's Config reads. */
  config: Record<string, string>;
  secretKeys: string[];
  /** Secure keys no plaintext was given for: the program reads each as the placeholder. */
  undecrypted: string[];
  warnings: string[];
}

export interface ProjectOptions {
  stack?: string;
  organization?: string;
  /** A YAML or JSON file of {key: plaintext} for the stack's secure values, which offline cannot decrypt. */
  secretConfigFile?: string;
}

export function readYaml(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new PreviewError(`cannot read ${file}: ${firstLine(errorMessage(err))}`);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new PreviewError(`${file} is not valid YAML: ${firstLine(errorMessage(err)).replace(/:$/, "")}`);
  }
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, "utf8"));
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The stack files in a directory (the project's, or its stackConfigDir), by stack name. */
export function stackFiles(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    return found;
  }
  for (const f of fs.readdirSync(dir).sort()) {
    const m = /^Pulumi\.(.+)\.ya?ml$/.exec(f);
    if (m && !found.has(m[1])) {
      found.set(m[1], path.join(dir, f));
    }
  }
  return found;
}

/** A config key in full "namespace:key" form; a bare key belongs to the project. */
function fullKey(key: string, project: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

/** Whether a Pulumi.yaml config key is the project's own (bare, or in its namespace), as the CLI decides. */
function isProjectKey(key: string, project: string): boolean {
  return !key.includes(":") || key.startsWith(`${project}:`);
}

function isSecure(value: unknown): value is { secure: string } {
  return isObject(value) && Object.keys(value).length === 1 && typeof value.secure === "string";
}

/** Whether a stack value is, or holds, a `secure:` value. */
function holdsSecure(value: unknown): boolean {
  if (isSecure(value)) {
    return true;
  }
  if (Array.isArray(value)) {
    return value.some(holdsSecure);
  }
  return isObject(value) && Object.values(value).some(holdsSecure);
}

/** Replaces secure values (anywhere in a structured value) by the placeholder. */
function stripSecure(value: unknown): unknown {
  if (isSecure(value)) {
    return SECRET_PLACEHOLDER;
  }
  if (Array.isArray(value)) {
    return value.map(stripSecure);
  }
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripSecure(v)]));
  }
  return value;
}

/** Config values travel as strings; structured values as JSON, the way Config.getObject reads them. */
function configString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The value a declared type is checked against, as the CLI has it: a scalar as its string, a structure as itself. */
function configContent(value: unknown): unknown {
  return isObject(value) || Array.isArray(value) ? value : String(value);
}

const CONFIG_TYPES = ["string", "integer", "boolean", "array", "object"];

interface ItemsType {
  type: string;
  items?: ItemsType;
}

/** A config key Pulumi.yaml declares, in the CLI's terms (shorthand values already rewritten). */
interface Declaration {
  type?: string;
  items?: ItemsType;
  default?: unknown;
  value?: unknown;
  secret: boolean;
}

const DECLARATION_FIELDS = ["type", "items", "description", "secret", "default", "value"];

/** The CLI's full type name: array<integer>, array<array<string>>. */
function typeName(type: string, items: ItemsType | undefined): string {
  return items ? `array<${typeName(items.type, items.items)}>` : type;
}

/** Whether a value is of a declared type, by the CLI's rules: "true"/"false" are booleans, "42" an integer. */
function isOfType(type: string, items: ItemsType | undefined, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return Number.isInteger(value) || (typeof value === "string" && /^[+-]?\d+$/.test(value));
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false";
    case "object":
      return isObject(value);
    default:
      return Array.isArray(value) && items !== undefined && value.every((v) => isOfType(items.type, items.items, v));
  }
}

function itemsType(raw: unknown, where: string): ItemsType {
  if (!isObject(raw) || typeof raw.type !== "string" || !CONFIG_TYPES.includes(raw.type)) {
    throw new PreviewError(`${where}: items needs a type, one of ${CONFIG_TYPES.join(", ")}`);
  }
  if (raw.type === "array" && raw.items === undefined) {
    throw new PreviewError(`${where}: an array's items need their own items`);
  }
  return { type: raw.type, items: raw.items === undefined ? undefined : itemsType(raw.items, where) };
}

/**
 * Pulumi.yaml's config block, read and checked as the CLI's project loader does (sdk/go/common/workspace
 * project.go): a plain value is a default for a project key and a value for any other, and a
 * declaration's own mistakes are errors in the CLI's words.
 */
function readDeclarations(config: unknown, project: string, file: string): Map<string, Declaration> {
  const declarations = new Map<string, Declaration>();
  if (config === undefined || config === null) {
    return declarations;
  }
  if (!isObject(config)) {
    throw new PreviewError(`${file}: config must be a mapping of configuration keys`);
  }
  for (const [key, raw] of Object.entries(config)) {
    const own = isProjectKey(key, project);
    const isDeclaration = isObject(raw) && Object.keys(raw).length > 0 && Object.keys(raw).every((k) => DECLARATION_FIELDS.includes(k));
    if (!isDeclaration) {
      declarations.set(key, own ? { default: raw, secret: false } : { value: raw, secret: false });
      continue;
    }
    const where = `${file}: config key ${key}`;
    if (raw.type !== undefined && (typeof raw.type !== "string" || !CONFIG_TYPES.includes(raw.type))) {
      throw new PreviewError(`${where} has type ${JSON.stringify(raw.type)} (expected one of ${CONFIG_TYPES.join(", ")})`);
    }
    if (raw.secret !== undefined && typeof raw.secret !== "boolean") {
      throw new PreviewError(`${where}: secret must be true or false`);
    }
    const d: Declaration = {
      type: raw.type as string | undefined,
      items: raw.items === undefined || raw.items === null ? undefined : itemsType(raw.items, where),
      default: raw.default ?? undefined,
      value: raw.value ?? undefined,
      secret: raw.secret === true,
    };
    if (d.default !== undefined && d.value !== undefined) {
      throw new PreviewError(`${file}: project config '${key}' cannot have both a 'default' and 'value' attribute`);
    }
    if (own) {
      if (d.type === "array" && !d.items) {
        throw new PreviewError(
          `${file}: The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`,
        );
      }
      if (d.type && d.default !== undefined && !isOfType(d.type, d.items, d.default)) {
        throw new PreviewError(
          `${file}: The default value specified for configuration key '${key}' is not of the expected type '${typeName(d.type, d.items)}'`,
        );
      }
    } else if (d.type) {
      throw new PreviewError(`${file}: Configuration key '${key}' is not namespaced by the project and should not define a type`);
    } else if (d.default !== undefined) {
      throw new PreviewError(
        `${file}: Configuration key '${key}' is not namespaced by the project and should not define a default value. ` +
          "Did you mean to use the 'value' attribute instead of 'default'?",
      );
    } else if (d.value === undefined) {
      throw new PreviewError(`${file}: Configuration key '${key}' is namespaced and must provide an attribute 'value'`);
    }
    declarations.set(key, d);
  }
  return declarations;
}

/** The CLI's list of keys: 'a', 'a' and 'b', 'a', 'b' and 'c'. */
function quotedList(keys: string[]): string {
  const q = keys.map((k) => `'${k}'`);
  return q.length === 1 ? q[0] : `${q.slice(0, -1).join(", ")} and ${q[q.length - 1]}`;
}

/** One stack config value: from the stack file, a --secret-config file, or Pulumi.yaml. */
interface StackValue {
  raw: unknown;
  /** Encrypted in the stack file (or given for an encrypted value by --secret-config). */
  secure: boolean;
  /** A secure value nobody gave the plaintext of: the program sees the placeholder. */
  undecrypted: boolean;
}

/**
 * The project's config over the stack's, validated as `pulumi preview` validates them before it
 * runs anything (pkg/workspace/config.go): every project key declared without a default must be
 * set, a key declared secret must be encrypted, and a typed key's value must be of its type. A
 * value offline cannot decrypt is not type-checked.
 */
function applyDeclarations(
  values: Map<string, StackValue>,
  declarations: Map<string, Declaration>,
  project: string,
  stack: string,
): void {
  const keys = [...declarations.keys()].sort();
  const missing: string[] = [];
  for (const key of keys) {
    const d = declarations.get(key) as Declaration;
    const full = fullKey(key, project);
    if (values.has(full)) {
      continue;
    }
    const given = d.default ?? d.value;
    if (given !== undefined) {
      values.set(full, { raw: given, secure: false, undecrypted: false });
    } else if (full.startsWith(`${project}:`)) {
      missing.push(key);
    }
  }
  if (missing.length > 0) {
    throw new PreviewError(
      `validating stack config: Stack '${stack}' is missing configuration value${missing.length > 1 ? "s" : ""} ${quotedList(missing)}`,
    );
  }
  for (const key of keys) {
    const d = declarations.get(key) as Declaration;
    const v = values.get(fullKey(key, project));
    if (!d.type || !v) {
      continue;
    }
    if (d.secret && !v.secure) {
      throw new PreviewError(`validating stack config: Stack '${stack}' with configuration key '${key}' must be encrypted as it's secret`);
    }
    if (!v.undecrypted && !isOfType(d.type, d.items, configContent(v.raw))) {
      throw new PreviewError(
        `validating stack config: Stack '${stack}' with configuration key '${key}' must be of type '${typeName(d.type, d.items)}'`,
      );
    }
  }
}

/** The stack's config values from its stack file, with the plaintext of secure values a --secret-config file gives. */
function readStackValues(
  stackFile: string | undefined,
  secretConfigFile: string | undefined,
  project: string,
  stack: string,
  warnings: string[],
): Map<string, StackValue> {
  const values = new Map<string, StackValue>();
  if (stackFile) {
    const doc = readYaml(stackFile);
    if (doc !== undefined && doc !== null && !isObject(doc)) {
      throw new PreviewError(`${stackFile} is not a stack settings file`);
    }
    const config = isObject(doc) ? doc.config : undefined;
    if (config !== undefined && config !== null && !isObject(config)) {
      throw new PreviewError(`${stackFile}: config must be a mapping`);
    }
    for (const [key, raw] of Object.entries(config ?? {})) {
      if (raw !== null && raw !== undefined) {
        const secure = holdsSecure(raw);
        values.set(fullKey(key, project), { raw, secure, undecrypted: secure });
      }
    }
    if (isObject(doc) && doc.environment !== undefined) {
      warnings.push(`${path.basename(stackFile)} imports ESC environments; preview does not resolve them`);
    }
  }
  if (secretConfigFile !== undefined) {
    const doc = readYaml(secretConfigFile);
    if (!isObject(doc)) {
      throw new PreviewError(`--secret-config ${secretConfigFile} must be a mapping of config keys to their plaintext values`);
    }
    const secure = [...values].filter(([, v]) => v.secure).map(([k]) => k);
    for (const [key, plaintext] of Object.entries(doc)) {
      const full = fullKey(key, project);
      const target = values.get(full);
      if (!target?.secure) {
        const known = secure.length > 0 ? `its secure values: ${secure.join(", ")}` : "it has none";
        throw new PreviewError(`--secret-config ${secretConfigFile}: ${full} is not a secure value of stack ${stack} (${known})`);
      }
      if (plaintext === null || plaintext === undefined || holdsSecure(plaintext)) {
        throw new PreviewError(`--secret-config ${secretConfigFile}: ${full} needs its plaintext value`);
      }
      values.set(full, { raw: plaintext, secure: true, undecrypted: false });
    }
  }
  return values;
}

/**
 * The stack to use, as the CLI picks its selected stack: --stack, else PULUMI_STACK, else (offline
 * has no selected stack) the only stack file; several and none chosen is an error, as the CLI's
 * "no stack selected"; no stack file at all is stack "dev" with no config.
 */
function chooseStack(
  stackDir: string,
  asked: string | undefined,
  dirArg: string,
  warnings: string[],
): { stack: string; organization?: string; file?: string } {
  const files = stackFiles(stackDir);
  const names = [...files.keys()];
  const chosen = asked ?? (process.env.PULUMI_STACK || undefined);
  if (chosen) {
    const parts = chosen.split("/");
    const stack = parts[parts.length - 1];
    const file = files.get(stack);
    if (!file) {
      // As in the CLI, a stack need not have a stack file: its config is empty.
      const others = names.length > 0 ? ` (stack files: ${names.join(", ")})` : "";
      warnings.push(`stack ${stack} has no Pulumi.${stack}.yaml: it runs with no stack config${others}`);
    }
    return { stack, organization: parts.length > 1 ? parts[0] : undefined, file };
  }
  if (names.length > 1) {
    throw new PreviewError(
      `no stack selected; specify a stack name with --stack (or PULUMI_STACK): ${dirArg} has stack files for ${names.join(", ")}`,
    );
  }
  return names.length === 1 ? { stack: names[0], file: files.get(names[0]) } : { stack: "dev" };
}

/** Splits runtime.options.nodeargs into arguments as the language host does (shell words: quotes, backslashes, # comments). */
function splitNodeArgs(text: string): string[] {
  const args: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (/\s/.test(c)) {
      if (word !== undefined) args.push(word);
      word = undefined;
    } else if (c === "#" && word === undefined) {
      const eol = text.indexOf("\n", i);
      i = eol < 0 ? text.length : eol;
    } else if (c === "\\") {
      if (++i >= text.length) throw new PreviewError("runtime.options.nodeargs: EOF found after escape character");
      word = (word ?? "") + text[i];
    } else if (c === "'" || c === '"') {
      word ??= "";
      for (i++; ; i++) {
        if (i >= text.length) throw new PreviewError("runtime.options.nodeargs: EOF found when expecting closing quote");
        if (text[i] === c) break;
        if (c === '"' && text[i] === "\\") {
          if (++i >= text.length) throw new PreviewError("runtime.options.nodeargs: EOF found after escape character");
        }
        word += text[i];
      }
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) args.push(word);
  return args;
}
/** The entry point as the Node.js language host finds it. */
function findEntry(dir: string, main: string | undefined, warnings: string[]): string {
  if (main !== undefined) {
    const entry = path.resolve(dir, main);
    if (!fs.existsSync(entry)) {
      throw new PreviewError(`Pulumi.yaml names main ${main}, which does not exist in ${dir}`);
    }
    return entry;
  }
  const pkg = readJson(path.join(dir, "package.json"));
  const exp = pkg?.exports;
  let declared: unknown;
  if (typeof exp === "string") {
    declared = exp;
  } else if (isObject(exp)) {
    const dot = exp["."];
    declared = typeof dot === "string" ? dot : isObject(dot) ? (dot.default ?? dot.require ?? dot.import) : undefined;
  } else {
    declared = pkg?.main;
  }
  if (typeof declared === "string" && declared !== "") {
    const entry = path.resolve(dir, declared);
    if (fs.existsSync(entry)) {
      return entry;
    }
    warnings.push(`package.json names entry point ${declared}, which does not exist; loading ${dir} instead`);
  }
  return dir;
}

function hasIndex(dir: string): boolean {
  return ["index.js", "index.ts", "index.mjs", "index.cjs"].some((f) => fs.existsSync(path.join(dir, f)));
}

function isEsm(dir: string, entry: string): boolean {
  if (entry.endsWith(".mjs")) {
    return true;
  }
  // The nearest package.json above the entry point decides, as in Node.
  let d = fs.existsSync(entry) && fs.statSync(entry).isDirectory() ? entry : path.dirname(entry);
  for (;;) {
    const pkg = readJson(path.join(d, "package.json"));
    if (pkg) {
      return pkg.type === "module";
    }
    const up = path.dirname(d);
    if (up === d || path.relative(dir, up).startsWith("..")) {
      return false;
    }
    d = up;
  }
}

/** The working directory the engine gives the program: main's directory, or main itself when it is one. */
function programDir(dir: string, main: string | undefined, entry: string): string {
  if (main === undefined) {
    return dir;
  }
  return fs.statSync(entry).isDirectory() ? entry : path.dirname(entry);
}

/** Where the stack files are: Pulumi.yaml's stackConfigDir (or the older `config: <dir>`), else the project directory. */
function stackConfigDir(project: Record<string, unknown>, dir: string, file: string): string {
  const { stackConfigDir: configured, config } = project;
  if (typeof config === "string" && configured !== undefined && configured !== null) {
    throw new PreviewError(`${file}: Should not use both config and stackConfigDir to define the stack directory. Use only stackConfigDir instead.`);
  }
  const named = typeof config === "string" ? config : configured;
  if (named === undefined || named === null || named === "") {
    return dir;
  }
  if (typeof named !== "string") {
    throw new PreviewError(`${file}: stackConfigDir must be a directory name`);
  }
  return path.resolve(dir, named);
}

function runtimeOptionsOf(runtime: unknown): { typescript: boolean; nodeArgs: string[] } {
  const options = isObject(runtime) && isObject(runtime.options) ? runtime.options : {};
  // The Node.js language host's own checks and messages.
  if (options.typescript !== undefined && typeof options.typescript !== "boolean") {
    throw new PreviewError("typescript option must be a boolean");
  }
  if (options.nodeargs !== undefined && typeof options.nodeargs !== "string") {
    throw new PreviewError("nodeargs option must be a string");
  }
  return { typescript: options.typescript !== false, nodeArgs: splitNodeArgs(options.nodeargs ?? "") };
}

export function loadProject(dirArg: string, options: ProjectOptions = {}): ProgramProject {
  const dir = path.resolve(dirArg);
  if (!fs.existsSync(dir)) {
    throw new PreviewError(`no such directory: ${dirArg}`);
  }
  if (!fs.statSync(dir).isDirectory()) {
    throw new PreviewError(`not a directory: ${dirArg}`);
  }
  const projectFile = ["Pulumi.yaml", "Pulumi.yml"].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
  if (!projectFile) {
    throw new PreviewError(`not a Pulumi program: ${dirArg} has no Pulumi.yaml`);
  }
  const project = readYaml(projectFile);
  if (!isObject(project) || typeof project.name !== "string" || project.name === "") {
    throw new PreviewError(`${projectFile} does not name the project (name: is missing)`);
  }
  const runtime = project.runtime;
  const runtimeName = isObject(runtime) ? runtime.name : runtime;
  if (runtimeName !== "nodejs") {
    throw new PreviewError(
      `not a Node.js Pulumi program: ${path.basename(projectFile)} says runtime ${JSON.stringify(runtimeName ?? null)}`,
    );
  }
  const { typescript, nodeArgs } = runtimeOptionsOf(runtime);
  const warnings: string[] = [];
  const main = typeof project.main === "string" ? project.main : undefined;
  const entry = findEntry(dir, main, warnings);
  if (fs.statSync(entry).isDirectory() && !hasIndex(entry) && !readJson(path.join(entry, "package.json"))?.main) {
    throw new PreviewError(`no program to run: ${entry} has no index.ts or index.js`);
  }
  const esm = isEsm(dir, entry);
  if (esm && /\.[cm]?tsx?$/.test(entry)) {
    throw new PreviewError("TypeScript programs that are ES modules (package.json type: module) are not supported");
  }

  const declarations = readDeclarations(typeof project.config === "string" ? undefined : project.config, project.name, projectFile);
  const chosen = chooseStack(stackConfigDir(project, dir, projectFile), options.stack, dirArg, warnings);
  const values = readStackValues(chosen.file, options.secretConfigFile, project.name, chosen.stack, warnings);
  applyDeclarations(values, declarations, project.name, chosen.stack);

  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const undecrypted: string[] = [];
  for (const [key, v] of [...values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    config[key] = configString(stripSecure(v.raw));
    if (v.secure) secretKeys.push(key);
    if (v.undecrypted) undecrypted.push(key);
  }
  if (undecrypted.length > 0) {
    warnings.push(
      `${path.relative(dir, chosen.file as string)} has secure values the offline preview cannot decrypt without the stack's ` +
        `secrets provider: ${undecrypted.join(", ")}; the program reads each as "${SECRET_PLACEHOLDER}" ` +
        "(give their plaintext with --secret-config <file>)",
    );
  }

  return {
    dir,
    name: project.name,
    description: typeof project.description === "string" ? project.description : undefined,
    entry,
    cwd: programDir(dir, main, entry),
    typescript,
    esm,
    nodeArgs,
    stack: chosen.stack,
    organization: options.organization ?? chosen.organization ?? "organization",
    stackFile: chosen.file,
    config,
    secretKeys,
    undecrypted,
    warnings,
  };
}
