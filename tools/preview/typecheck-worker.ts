// Type-checks a TypeScript program the way Pulumi's Node.js language host has ts-node check it, in a
// process of its own (a check takes seconds and hundreds of MB), and records every file, directory
// and lookup the compiler consulted so that a later run can reuse the answer when none has changed.
// Started by typecheck.ts with the job as its only argument; answers with one TypeCheckMessage.
//
// What the host does (@pulumi/pulumi cmd/run/run.js, tsutils.js, vendor/ts-node@7.0.1):
// - tsconfig: PULUMI_NODEJS_TSCONFIG_PATH, else tsconfig.json, relative to the working directory;
//   when that file does not exist, no tsconfig at all (ts-node's skipProject).
// - compiler options: { target ES2020, module and moduleResolution nodenext (commonjs/node before
//   TypeScript 4.7), sourceMap } overlaid by the tsconfig file's own compilerOptions (without its
//   `extends`), then ts-node's { sourceMap, inlineSourceMap: false, inlineSources, declaration: false,
//   noEmit: false, outDir } on top, over the whole parsed tsconfig; target and module default to ES5
//   and CommonJS; out, outFile, composite, declarationDir, declarationMap, emitDeclarationOnly dropped.
// - checked: each .ts file the program requires outside node_modules, with the options' global
//   diagnostics, its syntactic and its semantic diagnostics; codes 6059, 18002, 18003 ignored.

import * as fs from "fs";
import * as path from "path";
import { createRequire } from "module";

import { CheckJob, CheckedFiles, TypeCheckMessage, TypeCheckOutcome, TypeScriptError, isOwnFile, stampOf } from "./typecheck-record";

const job: CheckJob = JSON.parse(process.argv[2] ?? "{}");

/** Codes ts-node 7 never reports. */
const IGNORED = new Set([6059, 18002, 18003]);

/** The subset of the TypeScript API used here, in the shape every version since 3.8 has. */
/* eslint-disable @typescript-eslint/no-explicit-any */
type Ts = any;

function send(message: TypeCheckMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      process.stdout.write(JSON.stringify(message) + "\n");
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => resolve());
  });
}

/** Records what the compiler read, as the stamp each path had when it was read. */
class Recorder {
  readonly files: CheckedFiles = {};

  note(kind: "read" | "file" | "dir" | "dirs" | "real", p: string): void {
    const key = `${kind}:${path.resolve(p)}`;
    if (!(key in this.files)) {
      this.files[key] = stampOf(kind, path.resolve(p));
    }
  }
}

function majorMinor(version: string): [number, number] {
  const [major, minor] = version.split(".").map(Number);
  return [major || 0, minor || 0];
}

/** The compilerOptions object of the tsconfig file itself, as tsutils.loadTypeScriptCompilerOptions reads it. */
function rawCompilerOptions(ts: Ts, file: string): Record<string, unknown> {
  try {
    const parsed = ts.parseConfigFileTextToJson(file, fs.readFileSync(file, "utf8")).config;
    return parsed?.compilerOptions ?? {};
  } catch {
    return {};
  }
}

function location(d: any): Pick<TypeScriptError, "file" | "line" | "column"> {
  if (!d.file) {
    return {};
  }
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
  return { file: path.relative(job.cwd, d.file.fileName) || d.file.fileName, line: line + 1, column: character + 1 };
}

function toError(ts: Ts, d: any, syntactic: boolean): TypeScriptError {
  const message = ts.flattenDiagnosticMessageText(d.messageText, "\n").split("\n").map((l: string) => l.trim()).filter(Boolean).join(" ");
  return { ...location(d), code: d.code, message, syntactic };
}

async function check(): Promise<TypeCheckOutcome> {
  const recorder = new Recorder();
  const ts: Ts = createRequire(__filename)(job.typescript);
  const [major, minor] = majorMinor(ts.version);
  const nodeNext = major > 4 || (major === 4 && minor >= 7);

  const tsconfig = path.resolve(job.cwd, job.tsconfigPath);
  recorder.note("file", tsconfig);
  const hasTsconfig = fs.existsSync(tsconfig);
  const raw = hasTsconfig ? rawCompilerOptions(ts, tsconfig) : {};
  if (hasTsconfig) {
    recorder.note("read", tsconfig);
  }
  const transpileOnlyEnv = process.env.PULUMI_NODEJS_TRANSPILE_ONLY;
  if (!transpileOnlyEnv && raw.noCheck === true) {
    return { kind: "skipped", reason: "noCheck", files: recorder.files };
  }

  // The host's options, then ts-node's readConfig over them.
  const hostOptions = {
    target: "ES2020",
    module: nodeNext ? "nodenext" : "commonjs",
    moduleResolution: nodeNext ? "nodenext" : "node",
    sourceMap: "true",
    ...raw,
  };
  const configHost = {
    useCaseSensitiveFileNames: ts.sys.useCaseSensitiveFileNames,
    // The tsconfig's file list: ts-node (files: false) uses none of it, so it is not recorded.
    readDirectory: ts.sys.readDirectory,
    fileExists: (p: string) => (recorder.note("file", p), ts.sys.fileExists(p)),
    readFile: (p: string) => (recorder.note("read", p), ts.sys.readFile(p)),
  };
  let config: any = { compilerOptions: {} };
  let basePath = job.cwd;
  if (hasTsconfig) {
    const read = ts.readConfigFile(tsconfig, configHost.readFile);
    if (read.error) {
      return { kind: "checked", errors: [toError(ts, read.error, false)], files: recorder.files };
    }
    config = read.config;
    basePath = path.dirname(tsconfig);
  }
  config.compilerOptions = {
    ...config.compilerOptions,
    ...hostOptions,
    sourceMap: true,
    inlineSourceMap: false,
    inlineSources: true,
    declaration: false,
    noEmit: false,
    outDir: "$$ts-node$$",
  };
  const parsed = ts.parseJsonConfigFileContent(config, configHost, basePath, undefined, hasTsconfig ? tsconfig : undefined);
  const configErrors = (parsed.errors ?? []).filter((d: any) => !IGNORED.has(d.code));
  if (configErrors.length > 0) {
    return { kind: "checked", errors: configErrors.map((d: any) => toError(ts, d, false)), files: recorder.files };
  }
  const options = parsed.options;
  for (const key of ["out", "outFile", "composite", "declarationDir", "declarationMap", "emitDeclarationOnly"]) {
    delete options[key];
  }
  options.target ??= ts.ScriptTarget.ES5;
  options.module ??= ts.ModuleKind.CommonJS;

  // Diagnostics do not depend on emitting; the build info is TypeScript's own record of what it
  // checked, so that a changed program re-checks only the files the change affects.
  options.noEmit = true;
  options.incremental = true;
  options.tsBuildInfoFile = job.buildInfoFile;

  const host = ts.createIncrementalCompilerHost(options);
  const wrap = <K extends string>(name: K, kind: "read" | "file" | "dir" | "dirs" | "real") => {
    const original = host[name];
    if (typeof original === "function") {
      host[name] = (p: string, ...rest: unknown[]) => {
        if (path.resolve(p) !== path.resolve(job.buildInfoFile)) {
          recorder.note(kind, p);
        }
        return original.call(host, p, ...rest);
      };
    }
  };
  wrap("readFile", "read");
  wrap("fileExists", "file");
  wrap("directoryExists", "dir");
  wrap("getDirectories", "dirs");
  wrap("realpath", "real");

  const builder = ts.createIncrementalProgram({ rootNames: [job.entry], options, host });
  const program = builder.getProgram();
  const own = program.getSourceFiles().filter((sf: any) => !sf.isDeclarationFile && isOwnFile(sf.fileName));
  const errors: TypeScriptError[] = [];
  const keep = (list: readonly any[], syntactic: boolean) => {
    for (const d of list) {
      if (!IGNORED.has(d.code) && d.category === ts.DiagnosticCategory.Error) {
        errors.push(toError(ts, d, syntactic));
      }
    }
  };
  keep([...builder.getOptionsDiagnostics(), ...builder.getGlobalDiagnostics()], false);
  for (const sf of own) {
    keep(builder.getSyntacticDiagnostics(sf), true);
  }
  // A syntax error stops the program before any type is checked: the parent reports the program's own failure.
  void send({ kind: "syntax", errors: errors.some((e) => e.syntactic) });
  for (const sf of own) {
    keep(builder.getSemanticDiagnostics(sf), false);
  }
  if (typeof builder.emitBuildInfo === "function") {
    builder.emitBuildInfo();
  } else {
    builder.emit();
  }
  return { kind: "checked", errors, files: recorder.files };
}

check().then(
  (outcome) => send({ kind: "done", outcome }).then(() => process.exit(0)),
  (err: unknown) =>
    send({ kind: "error", message: err instanceof Error ? err.message : String(err) }).then(() => process.exit(0)),
);
