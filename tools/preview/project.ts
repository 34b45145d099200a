// Reads a Pulumi project the way the CLI does before running it: Pulumi.yaml (name, runtime, main),
// the program's entry point, and the stack's configuration from Pulumi.<stack>.yaml.

import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";

import { PreviewError, errorMessage, firstLine } from "./errors";
import { isObject } from "./resources";

/** What the program sees in place of a secure config value: preview has no key to decrypt it. */
export const SECRET_PLACEHOLDER = "[secret]";

export interface ProgramProject {
  /** Absolute project directory (the one holding Pulumi.yaml). */
  dir: string;
  name: string;
  description?: string;
  /** Absolute path of the file or directory to load. */
  entry: string;
  typescript: boolean;
  esm: boolean;
  stack: string;
  organization: string;
  /** Pulumi.<stack>.yaml, when there is one. */
  stackFile?: string;
  /** "namespace:key" to the string the SDK's Config reads. */
  config: Record<string, string>;
  secretKeys: string[];
  warnings: string[];
}

export interface ProjectOptions {
  stack?: string;
  organization?: string;
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

/** The stack files in a project directory, by stack name. */
export function stackFiles(dir: string): Map<string, string> {
  const found = new Map<string, string>();
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

/** Replaces secure values (anywhere in a structured value) by the placeholder; says whether there were any. */
function stripSecure(value: unknown): { value: unknown; secret: boolean } {
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "secure" && typeof value.secure === "string") {
      return { value: SECRET_PLACEHOLDER, secret: true };
    }
    let secret = false;
    const out: Record<string, unknown> = {};
    for (const k of keys) {
      const r = stripSecure(value[k]);
      out[k] = r.value;
      secret = secret || r.secret;
    }
    return { value: out, secret };
  }
  if (Array.isArray(value)) {
    let secret = false;
    const out = value.map((v) => {
      const r = stripSecure(v);
      secret = secret || r.secret;
      return r.value;
    });
    return { value: out, secret };
  }
  return { value, secret: false };
}

/** Config values travel as strings; structured values as JSON, the way Config.getObject reads them. */
function configString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function setConfig(
  target: { config: Record<string, string>; secretKeys: Set<string> },
  key: string,
  raw: unknown,
): void {
  if (raw === null || raw === undefined) {
    return;
  }
  const { value, secret } = stripSecure(raw);
  target.config[key] = configString(value);
  if (secret) {
    target.secretKeys.add(key);
  } else {
    target.secretKeys.delete(key);
  }
}

/** Chooses the stack: the one asked for, else the only (or first) Pulumi.<stack>.yaml, else "dev". */
function chooseStack(dir: string, asked: string | undefined): { stack: string; organization?: string; file?: string } {
  const files = stackFiles(dir);
  if (asked) {
    const parts = asked.split("/");
    const stack = parts[parts.length - 1];
    return { stack, organization: parts.length > 1 ? parts[0] : undefined, file: files.get(stack) };
  }
  const first = [...files.entries()][0];
  return first ? { stack: first[0], file: first[1] } : { stack: "dev" };
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
  const runtimeOptions = isObject(runtime) && isObject(runtime.options) ? runtime.options : {};
  const warnings: string[] = [];
  const main = typeof project.main === "string" ? project.main : undefined;
  const entry = findEntry(dir, main, warnings);
  if (fs.statSync(entry).isDirectory() && !hasIndex(entry) && !readJson(path.join(entry, "package.json"))?.main) {
    throw new PreviewError(`no program to run: ${entry} has no index.ts or index.js`);
  }
  const esm = isEsm(dir, entry);
  const typescript = runtimeOptions.typescript !== false;
  if (esm && /\.[cm]?tsx?$/.test(entry)) {
    throw new PreviewError("TypeScript programs that are ES modules (package.json type: module) are not supported");
  }

  const chosen = chooseStack(dir, options.stack);
  const target = { config: {} as Record<string, string>, secretKeys: new Set<string>() };
  // Project-level config (Pulumi.yaml): plain values, or { value | default } for declared keys.
  if (isObject(project.config)) {
    for (const [key, decl] of Object.entries(project.config)) {
      const declaration = isObject(decl) && ("type" in decl || "default" in decl || "value" in decl || "description" in decl);
      const value = declaration ? ((decl as Record<string, unknown>).value ?? (decl as Record<string, unknown>).default) : decl;
      setConfig(target, fullKey(key, project.name), value);
    }
  }
  if (chosen.file) {
    const stackDoc = readYaml(chosen.file);
    if (stackDoc !== undefined && stackDoc !== null && !isObject(stackDoc)) {
      throw new PreviewError(`${chosen.file} is not a stack settings file`);
    }
    const stackConfig = isObject(stackDoc) ? stackDoc.config : undefined;
    if (stackConfig !== undefined && stackConfig !== null && !isObject(stackConfig)) {
      throw new PreviewError(`${chosen.file}: config must be a mapping`);
    }
    for (const [key, value] of Object.entries(stackConfig ?? {})) {
      setConfig(target, fullKey(key, project.name), value);
    }
    if (isObject(stackDoc) && stackDoc.environment !== undefined) {
      warnings.push(`${path.basename(chosen.file)} imports ESC environments; preview does not resolve them`);
    }
  } else if (options.stack && stackFiles(dir).size > 0) {
    const known = [...stackFiles(dir).keys()].join(", ");
    throw new PreviewError(`no stack ${chosen.stack} in ${dirArg}: there is no Pulumi.${chosen.stack}.yaml (stacks: ${known})`);
  }

  return {
    dir,
    name: project.name,
    description: typeof project.description === "string" ? project.description : undefined,
    entry,
    typescript,
    esm,
    stack: chosen.stack,
    organization: options.organization ?? chosen.organization ?? "organization",
    stackFile: chosen.file,
    config: target.config,
    secretKeys: [...target.secretKeys].sort(),
    warnings,
  };
}
