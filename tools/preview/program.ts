// Runs a Pulumi program under mocks in a child process and returns the resources it registers.
//
// A child process, rather than this one: the program gets a fresh module cache and its own
// @pulumi/pulumi runtime state, and a program that calls process.exit, leaves handles open or hangs
// cannot take the CLI (or a test runner) down with it.

import * as os from "os";
import { fork } from "child_process";

import { builtScript, guardedEnv, parentGuardPath, signalGroup, trackGroup } from "../analyzer/process-group";
import { PreviewError } from "./errors";
import { loadProject, ProgramProject, ProjectOptions, SECRET_PLACEHOLDER } from "./project";
import { WorkerJob, WorkerMessage } from "./protocol";
import { fromRegistrations, PreviewResource } from "./resources";

export interface RunProgramOptions extends ProjectOptions {
  /** Give up on a program that has not finished after this long (default 5 minutes). */
  timeoutMs?: number;
  /** Called as resources are registered, with the count so far. */
  onProgress?(registered: number): void;
  /** The program's own stdout and stderr (default: this process's stderr). */
  onOutput?(chunk: Buffer): void;
}

export interface ProgramRun {
  project: ProgramProject;
  resources: PreviewResource[];
  /** Version of the @pulumi/pulumi the program ran with. */
  sdkVersion: string;
  durationMs: number;
}

export const DEFAULT_TIMEOUT_MS = 5 * 60 * 1000;
/** How long output may keep coming after the program exits, from processes it started that hold its stdout. */
const OUTPUT_GRACE_MS = 2000;

/** The compiled worker: next to this file when running from bin/, else in bin/ of the source tree. */
export function workerPath(): string {
  const found = builtScript("preview", "worker/main.js");
  if (!found) {
    throw new PreviewError("the preview tool is not built: run npm run build");
  }
  return found;
}

/**
 * The worker's heap limit in MiB: three quarters of the machine's memory, since a program's SDK
 * objects take some 100 KB a resource at their peak, more with garbage, and Node's default limit
 * would stop a large program short. A limit given in NODE_OPTIONS or the project's nodeargs wins.
 */
export function workerHeapMb(nodeArgs: string[] = []): number | undefined {
  if (/--max-old-space-size/.test([process.env.NODE_OPTIONS ?? "", ...nodeArgs].join(" "))) {
    return undefined;
  }
  return Math.floor((os.totalmem() / 1024 / 1024) * 0.75);
}

/** What V8 prints when a heap runs out: the program's output stops there, the trace is not shown. */
const OUT_OF_MEMORY = /<--- Last few GCs --->|FATAL ERROR: .*JavaScript heap out of memory/;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}

export function runProgram(dir: string, options: RunProgramOptions = {}): Promise<ProgramRun> {
  const project = loadProject(dir, options);
  return runProject(project, options);
}

export function runProject(project: ProgramProject, options: RunProgramOptions = {}): Promise<ProgramRun> {
  const job: WorkerJob = {
    projectDir: project.dir,
    cwd: project.cwd,
    entry: project.entry,
    esm: project.esm,
    typescript: project.typescript,
    project: project.name,
    stack: project.stack,
    organization: project.organization,
    config: project.config,
    secretKeys: project.secretKeys,
  };
  const started = Date.now();
  const output = options.onOutput ?? ((chunk: Buffer) => process.stderr.write(chunk));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const heapMb = workerHeapMb(project.nodeArgs);
  // A program that fails may have failed on a secret it read as the placeholder: say so.
  const undecrypted =
    project.undecrypted.length > 0
      ? `; offline, the program read the secure config ${project.undecrypted.join(", ")} as "${SECRET_PLACEHOLDER}" ` +
        "(the secrets provider is not at hand to decrypt it): give the plaintext with --secret-config <file>"
      : "";

  return new Promise<ProgramRun>((resolve, reject) => {
    const child = fork(workerPath(), [JSON.stringify(job)], {
      // The engine runs the program in main's directory.
      cwd: project.cwd,
      // The environment the Node.js language host gives a program, in preview mode.
      env: {
        ...guardedEnv(process.env),
        PULUMI_NODEJS_PROJECT: project.name,
        PULUMI_NODEJS_STACK: project.stack,
        PULUMI_NODEJS_ORGANIZATION: project.organization,
        PULUMI_NODEJS_ROOT_DIRECTORY: project.dir,
        PULUMI_NODEJS_DRY_RUN: "true",
        PULUMI_CONFIG: JSON.stringify(project.config),
        PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(project.secretKeys),
      },
      // Then the project's runtime.options.nodeargs, as the language host passes them to node.
      execArgv: [
        "--enable-source-maps",
        "--require",
        parentGuardPath(),
        ...(heapMb ? [`--max-old-space-size=${heapMb}`] : []),
        ...project.nodeArgs,
      ],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      // Its own process group, so that stopping it stops whatever the program started too.
      detached: true,
    });
    trackGroup(child);
    let registered = 0;
    let pending: string[] = [];
    let outOfMemory = false;
    let settled = false;
    const settle = (fn: () => void) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        fn();
      }
    };
    // The outcome waits for the program's output to be forwarded whole: until stdout and stderr close,
    // or, should a process the program started hold them open, a moment after the program exits.
    let outcome: (() => void) | undefined;
    const timer = setTimeout(() => {
      if (outcome) {
        // The program finished in time; only its output was still coming.
        settle(outcome);
        signalGroup(child.pid as number, "SIGKILL");
        return;
      }
      const waiting = pending.length > 0 ? `; still registering ${pending.join(", ")}` : "";
      settle(() =>
        reject(
          new PreviewError(
            `the program did not finish within the ${timeoutMs / 1000}s time limit (--timeout): ` +
              `${plural(registered, "resource")} registered so far${waiting}`,
          ),
        ),
      );
      signalGroup(child.pid as number, "SIGKILL");
    }, timeoutMs);

    child.stdout?.on("data", output);
    child.stderr?.on("data", (chunk: Buffer) => {
      if (!outOfMemory && OUT_OF_MEMORY.test(chunk.toString("latin1"))) {
        outOfMemory = true;
      }
      if (!outOfMemory) {
        output(chunk);
      }
    });
    const finish = (fn: () => void) => {
      outcome ??= fn;
    };
    child.on("exit", () => {
      if (outcome) setTimeout(() => settle(outcome as () => void), OUTPUT_GRACE_MS).unref();
    });
    child.on("message", (message: WorkerMessage) => {
      switch (message.kind) {
        case "progress":
          registered = message.registered;
          pending = message.pending ?? [];
          options.onProgress?.(message.registered);
          break;
        case "error":
          finish(() => reject(new PreviewError(message.message + undecrypted)));
          break;
        case "done":
          finish(() =>
            resolve({
              project,
              resources: fromRegistrations(message.registrations, {
                stack: project.stack,
                project: project.name,
                config: project.config,
                types: message.types,
              }),
              sdkVersion: message.sdkVersion,
              durationMs: Date.now() - started,
            }),
          );
          break;
      }
    });
    child.on("error", (err) => settle(() => reject(new PreviewError(`cannot start the program: ${err.message}`))));
    // "close" rather than "exit": by then every message the child sent has been delivered.
    child.on("close", (code, signal) => {
      if (outcome) {
        settle(outcome);
        return;
      }
      // Uncaught errors come as messages: an exit without one is the program's own process.exit.
      const why = outOfMemory
        ? `the program ran out of memory (heap limit ${heapMb ? `${heapMb} MiB, three quarters of this machine's memory` : `from ${project.nodeArgs.some((a) => a.startsWith("--max-old-space-size")) ? "nodeargs" : "NODE_OPTIONS"}`}) ` +
          `after ${plural(registered, "resource")}: run it on a machine with more memory, or set NODE_OPTIONS=--max-old-space-size=<MiB>`
        : signal
          ? `the program was killed by ${signal} before it finished, ${plural(registered, "resource")} registered`
          : `the program called process.exit(${code}) before it finished, ${plural(registered, "resource")} registered`;
      settle(() => reject(new PreviewError(why)));
    });
  });
}
