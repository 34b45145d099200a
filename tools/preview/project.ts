// Reads a Pulumi project the way the CLI does before running it: Pulumi.yaml (name, runtime and its
// options, main), the program's entry point and working directory, the stack (chosen as the CLI
// chooses its selected stack), and the stack's configuration from Pulumi.<stack>.yaml (in
// stackConfigDir when set) over Pulumi.yaml's, validated against the project's config declarations.
//
// The parts: the entry point and runtime options (program-entry.ts), the stack's configuration
// (stack-config.ts); here, the project file, the choice of stack and the whole read in order.

import * as fs from "fs";
import * as path from "path";

import { isObject } from "../analyzer/types";
import { PreviewError } from "./errors";
import { findEntry, hasIndex, isEsm, programDir, readJson, runtimeOptionsOf } from "./program-entry";
import { SECRET_PLACEHOLDER, applyDeclarations, programConfig, readDeclarations, readStackValues } from "./stack-config";
import { readYaml } from "./yaml-file";

export { SECRET_PLACEHOLDER };

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

  const { config, secretKeys, undecrypted } = programConfig(values);
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

