// Compiles a program's .ts files as they are required, with the program's TypeScript and the
// compiler options Pulumi's language host would give ts-node, transpile only.

import * as fs from "fs";
import * as path from "path";
import { createRequire } from "module";

import { requireFrom, resolveFrom } from "./sdk";

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
  parseJsonConfigFileContent(json: unknown, host: unknown, basePath: string, existing?: unknown, configFileName?: string): { options: Record<string, unknown> };
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

/** Whether this TypeScript knows module nodenext (4.7 and later), which Pulumi's host then defaults to. */
function knowsNodeNext(version: string): boolean {
  const [major, minor] = version.split(".").map(Number);
  return major > 4 || (major === 4 && minor >= 7);
}

/**
 * The compiler and the options .ts files are transpiled with: those Pulumi's language host gives
 * ts-node (typecheck-worker.ts says how), so that the run compiles what the check checked. The
 * tsconfig is PULUMI_NODEJS_TSCONFIG_PATH or tsconfig.json in the working directory, main's; with
 * none, the host's defaults alone, whose module nodenext brings esModuleInterop.
 */
function typeScriptCompiler(dir: string, sdkDir: string): { ts: TypeScriptLike; compilerOptions: Record<string, unknown> } {
  const ts = loadTypeScript(dir, sdkDir);
  const nodeNext = knowsNodeNext(ts.version);
  const hostDefaults = { target: "ES2020", module: nodeNext ? "nodenext" : "commonjs", moduleResolution: nodeNext ? "nodenext" : "node" };
  const tsconfig = path.resolve(process.env.PULUMI_NODEJS_TSCONFIG_PATH ?? "tsconfig.json");
  let config: { compilerOptions?: Record<string, unknown> } = {};
  if (fs.existsSync(tsconfig)) {
    const read = ts.readConfigFile(tsconfig, (p) => fs.readFileSync(p, "utf8"));
    config = (read.config ?? {}) as typeof config;
  }
  // As the host does: its defaults under the file's own compilerOptions, over what `extends` brings.
  config.compilerOptions = { ...config.compilerOptions, ...hostDefaults, ...config.compilerOptions };
  const options = ts.parseJsonConfigFileContent(config, ts.sys, path.dirname(tsconfig), undefined, tsconfig).options;
  const nodeModules = [ts.ModuleKind.Node16, ts.ModuleKind.NodeNext].filter((k) => k !== undefined);
  if (options.esModuleInterop === undefined && nodeModules.includes(options.module as number)) {
    options.esModuleInterop = true;
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
export function registerTypeScript(dir: string, sdkDir: string): void {
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
