// Type-checks a TypeScript program as `pulumi preview` would before running it: Pulumi's Node.js
// language host registers ts-node with type checking on, unless PULUMI_NODEJS_TRANSPILE_ONLY=true
// or the tsconfig's compilerOptions.noCheck says otherwise. A program with type errors never runs
// there, so here it gets no verdict either.
//
// The check runs in a process of its own while the program and the pack run (it takes seconds and
// hundreds of MB the first time), and its answer is kept outside the program's folder with a stamp
// of every file, directory and look-up the compiler consulted: while none of them changes, a later
// run reuses the answer without starting the compiler. When one does, TypeScript's own incremental
// build info, kept beside the answer, limits the new check to the files the change affects.

import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { fork } from "child_process";

import { builtScript, guardedEnv, parentGuardPath, signalGroup, trackGroup } from "../analyzer/process-group";
import { PreviewError } from "./errors";
import { ProgramProject } from "./project";
import { CheckJob, TypeCheckMessage, TypeCheckOutcome, TypeScriptError, unchanged } from "./typecheck-record";

export type { TypeScriptError } from "./typecheck-record";

/** Bumped when what a kept answer holds, or how it is reached, changes. */
const RECORD_FORMAT = 1;
/** "Cannot find module ..." (2792: the same, with a hint about moduleResolution). */
const MISSING_MODULE = new Set([2307, 2792]);
/** Kept answers not used for this long are removed when another is written. */
const KEEP_MS = 14 * 24 * 3600 * 1000;

export interface TypeCheckOptions {
  /** Skip the check, as PULUMI_NODEJS_TRANSPILE_ONLY=true does. */
  transpileOnly?: boolean;
  /** When the whole preview must be done (ms since the epoch), and the --timeout it comes from. */
  timeLimit: { deadline: number; seconds: number };
}

/** The program does not compile: the CLI would stop before running it. */
export class TypeCheckError extends PreviewError {
  constructor(readonly errors: TypeScriptError[]) {
    super(
      `the program has ${errors.length} TypeScript error${errors.length === 1 ? "" : "s"}; \`pulumi preview\` ` +
        "would stop at them before running it (--transpile-only skips the check)",
      errors.map(errorLine),
      { typeErrors: errors.map(({ file, line, column, code, message }) => ({ file, line, column, code: `TS${code}`, message })) },
    );
  }
}

/** `index.ts:12:7 TS2322 Type 'string' is not assignable to type 'number'.` */
export function errorLine(e: TypeScriptError): string {
  const where = e.file ? `${e.file}${e.line ? `:${e.line}:${e.column}` : ""} ` : "";
  return `${where}TS${e.code} ${e.message}`;
}

/** Where kept answers live: $XDG_CACHE_HOME, else the OS temp directory, one folder per user. */
export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME
    ? path.join(process.env.XDG_CACHE_HOME, "cis-cloudtrail-preview")
    : path.join(os.tmpdir(), `cis-cloudtrail-preview-${os.userInfo().uid}`);
  return path.join(base, "typecheck");
}

/** `id` as a module in `dir` would resolve it, if it can. */
function resolveFrom(dir: string, id: string): string | undefined {
  try {
    return require.resolve(id, { paths: [dir] });
  } catch {
    return undefined;
  }
}

/** The file Node.js loads for the entry point, with .ts registered after .js, .json and .node. */
function entryFile(entry: string): string | undefined {
  const extensions = ["", ".js", ".json", ".node", ".ts", ".tsx"];
  const asFile = (p: string) => extensions.map((e) => p + e).find((f) => fs.statSync(f, { throwIfNoEntry: false })?.isFile());
  const asDir = (dir: string): string | undefined => {
    let main: unknown;
    try {
      main = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).main;
    } catch {
      main = undefined;
    }
    const viaMain = typeof main === "string" && main !== "" ? (asFile(path.resolve(dir, main)) ?? asIndex(path.resolve(dir, main))) : undefined;
    return viaMain ?? asIndex(dir);
  };
  const asIndex = (dir: string) => extensions.slice(1).map((e) => path.join(dir, `index${e}`)).find((f) => fs.existsSync(f));
  return fs.statSync(entry, { throwIfNoEntry: false })?.isDirectory() ? asDir(entry) : asFile(entry);
}

/** The TypeScript the program's @pulumi/pulumi loads (its tsutils: `require("typescript")`, else its vendored copy). */
function programTypeScript(cwd: string): { module: string; version: string } | undefined {
  const sdkPackage = resolveFrom(cwd, "@pulumi/pulumi/package.json");
  if (!sdkPackage) {
    return undefined; // the program cannot run at all, and says so itself
  }
  const sdkDir = path.dirname(sdkPackage);
  const installed = resolveFrom(sdkDir, "typescript");
  const pkg = installed && resolveFrom(sdkDir, "typescript/package.json");
  if (installed && pkg) {
    return { module: installed, version: String(JSON.parse(fs.readFileSync(pkg, "utf8")).version) };
  }
  const vendored = path.join(sdkDir, "vendor", "typescript@3.8.3", "typescript.js");
  return fs.existsSync(vendored) ? { module: vendored, version: "3.8.3" } : undefined;
}

/** The check this program gets, or why it gets none. */
function planCheck(project: ProgramProject, options: TypeCheckOptions): CheckJob | undefined {
  if (options.transpileOnly || process.env.PULUMI_NODEJS_TRANSPILE_ONLY === "true" || !project.typescript) {
    return undefined;
  }
  // The host runs the program, and ts-node finds its tsconfig, in main's directory.
  const cwd = project.cwd;
  const entry = entryFile(project.entry);
  const ts = entry && /\.tsx?$/.test(entry) ? programTypeScript(cwd) : undefined;
  if (!entry || !ts) {
    return undefined;
  }
  const tsconfigPath = process.env.PULUMI_NODEJS_TSCONFIG_PATH ?? "tsconfig.json";
  const tsStat = fs.statSync(ts.module);
  const key = crypto
    .createHash("sha256")
    .update(JSON.stringify({
      format: RECORD_FORMAT, cwd, entry, tsconfigPath, typescript: ts.module, version: ts.version,
      compiler: `${tsStat.size}:${tsStat.mtimeMs}`,
      // Any value but "true" makes the host ignore the tsconfig's noCheck.
      transpileOnlyEnv: process.env.PULUMI_NODEJS_TRANSPILE_ONLY !== undefined && process.env.PULUMI_NODEJS_TRANSPILE_ONLY !== "",
    }))
    .digest("hex")
    .slice(0, 32);
  return { cwd, entry, tsconfigPath, typescript: ts.module, buildInfoFile: path.join(cacheDir(), `${key}.tsbuildinfo`) };
}

function recordFile(job: CheckJob): string {
  return job.buildInfoFile.replace(/\.tsbuildinfo$/, ".json");
}

/** The kept answer for this check, when nothing it consulted has changed since. */
function keptOutcome(job: CheckJob): TypeCheckOutcome | undefined {
  const file = recordFile(job);
  let outcome: TypeCheckOutcome;
  try {
    outcome = JSON.parse(fs.readFileSync(file, "utf8")) as TypeCheckOutcome;
  } catch {
    return undefined;
  }
  if (!outcome || typeof outcome.files !== "object" || !unchanged(outcome.files)) {
    return undefined;
  }
  const now = new Date();
  fs.utimes(file, now, now, () => undefined);
  return outcome;
}

/** Keeps an answer (written whole, then renamed), and drops answers unused for a long time. */
function keep(job: CheckJob, outcome: TypeCheckOutcome): void {
  const dir = path.dirname(recordFile(job));
  try {
    const partial = `${recordFile(job)}.${process.pid}.partial`;
    fs.writeFileSync(partial, JSON.stringify(outcome));
    fs.renameSync(partial, recordFile(job));
    const old = Date.now() - KEEP_MS;
    for (const f of fs.readdirSync(dir)) {
      const p = path.join(dir, f);
      if ((fs.statSync(p, { throwIfNoEntry: false })?.mtimeMs ?? Infinity) < old) {
        fs.rmSync(p, { force: true });
      }
    }
  } catch {
    // A cache that cannot be written only costs the next run its time.
  }
}

/** A check under way: its errors (none when skipped), and whether it found a syntax error. */
export interface TypeCheck {
  /** Resolves once syntax is known: true when a file of the program does not parse. */
  syntaxError: Promise<boolean>;
  /** Every error in the program's own files; rejects when the check itself fails or runs out of time. */
  errors: Promise<TypeScriptError[]>;
  /** The errors at once, when a kept answer holds them. */
  known?: TypeScriptError[];
  /** Ends the check's process, if it is still running. */
  stop(): void;
}

const SKIPPED: TypeCheck = { syntaxError: Promise.resolve(false), errors: Promise.resolve([]), stop: () => undefined };

export function startTypeCheck(project: ProgramProject, options: TypeCheckOptions): TypeCheck {
  const job = planCheck(project, options);
  if (!job) {
    return SKIPPED;
  }
  const kept = keptOutcome(job);
  if (kept) {
    const errors = kept.kind === "checked" ? kept.errors : [];
    return { syntaxError: Promise.resolve(errors.some((e) => e.syntactic)), errors: Promise.resolve(errors), known: errors, stop: () => undefined };
  }
  fs.mkdirSync(path.dirname(job.buildInfoFile), { recursive: true, mode: 0o700 });
  const script = builtScript("preview", "typecheck-worker.js");
  if (!script) {
    throw new PreviewError("the preview tool is not built: run npm run build");
  }
  const child = fork(script, [JSON.stringify(job)], {
    cwd: job.cwd,
    env: guardedEnv(process.env),
    execArgv: ["--require", parentGuardPath()],
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    detached: true,
  });
  trackGroup(child);
  let exited = false;
  child.once("exit", () => (exited = true));
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (stderr = (stderr + c).slice(-2000)));
  let syntaxKnown: (value: boolean) => void = () => undefined;
  const syntaxError = new Promise<boolean>((resolve) => (syntaxKnown = resolve));
  const errors = new Promise<TypeScriptError[]>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        fn();
      }
    };
    const timer = setTimeout(() => {
      signalGroup(child.pid as number, "SIGKILL");
      settle(() =>
        reject(new PreviewError(`the type check did not finish within the ${options.timeLimit.seconds}s time limit (--timeout); --transpile-only skips it`)),
      );
    }, Math.max(0, options.timeLimit.deadline - Date.now()));
    child.on("message", (message: TypeCheckMessage) => {
      if (message.kind === "syntax") {
        syntaxKnown(message.errors);
      } else if (message.kind === "done") {
        keep(job, message.outcome);
        const found = message.outcome.kind === "checked" ? message.outcome.errors : [];
        syntaxKnown(found.some((e) => e.syntactic));
        settle(() => resolve(found));
      } else {
        settle(() => reject(new PreviewError(`the type check failed: ${message.message} (--transpile-only skips it)`)));
      }
    });
    child.on("error", (err) => settle(() => reject(new PreviewError(`cannot start the type check: ${err.message}`))));
    child.on("close", (code, signal) => {
      const tail = stderr.trim().split("\n").slice(-1)[0] ?? "";
      settle(() =>
        reject(new PreviewError(`the type check ended (${signal ?? `exit ${code}`}) before it finished${tail ? `: ${tail}` : ""} (--transpile-only skips it)`)),
      );
    });
  });
  errors.catch(() => syntaxKnown(false));
  // Awaited only once the program has run: a rejection meanwhile is not unhandled.
  errors.catch(() => undefined);
  return { syntaxError, errors, stop: () => exited || signalGroup(child.pid as number, "SIGKILL") };
}

/** A check that starts with the program it checks. */
export interface ProgramTypeCheck {
  /**
   * Starts the program, then the check (so that deciding whether a kept answer serves overlaps the
   * program's start). Type errors win over the program's own failure, as in the CLI, where the
   * program would not have run; a syntax error, or a module that cannot be found, is the program's
   * own failure and is reported as it is.
   */
  program<T>(run: () => Promise<T>): Promise<T>;
  /** Waits for the check: type errors mean the program would not have run, so there is no verdict. */
  passed(): Promise<void>;
  /** Ends the check's process, if it is still running. */
  stop(): void;
}

export function programTypeCheck(project: ProgramProject, options: TypeCheckOptions): ProgramTypeCheck {
  let check: TypeCheck = SKIPPED;
  return {
    async program(run) {
      const running = run();
      running.catch(() => undefined);
      check = startTypeCheck(project, options);
      try {
        return await running;
      } catch (err) {
        if (await check.syntaxError) {
          throw err;
        }
        const errors = await check.errors.catch((): TypeScriptError[] => []);
        throw errors.some((e) => !MISSING_MODULE.has(e.code)) ? new TypeCheckError(errors) : err;
      }
    },
    async passed() {
      const errors = await check.errors;
      if (errors.length > 0) {
        throw new TypeCheckError(errors);
      }
    },
    stop: () => check.stop(),
  };
}
