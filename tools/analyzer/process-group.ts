// The processes a command starts (the program's worker, the policy pack) each lead a process group
// of their own, so that stopping one stops everything it started in turn, and a Ctrl-C at a terminal
// reaches only the command, which then ends them all. Whatever ends the command ends its groups.

import * as fs from "fs";
import * as path from "path";
import { ChildProcess } from "child_process";

const groups = new Set<number>();

/** Records a child started with `detached: true` (a group leader) until it exits. */
export function trackGroup(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) {
    return;
  }
  groups.add(pid);
  child.once("exit", () => groups.delete(pid));
}

/** Signals a child's whole process group; a group already gone is no error. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group has exited.
  }
}

/** Kills every group still running, at once and without waiting (used when the command must end now). */
export function killAllGroups(): void {
  for (const pid of groups) {
    signalGroup(pid, "SIGKILL");
  }
  groups.clear();
}

/** The conventional exit status for a command ended by a signal: 128 + its number. */
const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** The parent of `pid` as /proc says (Linux); undefined where there is no /proc or no such process. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

function commandName(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "";
  }
}

/**
 * Calls `gone` (polled, four times a second) once the process that started this one has ended: its
 * parent changes. With `throughShell`, when `npm run` started this process through a shell (npm, sh
 * -c, node), npm's end counts too: a SIGKILL of npm, or a SIGTERM or SIGHUP that npm does not pass
 * on, leaves the shell waiting on this process none the wiser.
 */
export function watchParent(gone: () => void, throughShell = false, expectedParent?: number): void {
  const parent = expectedParent ?? process.ppid;
  const grandparent = parentOf(parent);
  const npm = throughShell && process.env.npm_lifecycle_event !== undefined && grandparent !== undefined
    && /^(npm|node)/.test(commandName(grandparent)) && !/^(npm|node)/.test(commandName(parent)) ? grandparent : undefined;
  // Polled rather than watched through an IPC channel: listening for "disconnect" would keep a
  // worker's event loop alive, and the worker must see it empty.
  setInterval(() => {
    if (process.ppid !== parent || (npm !== undefined && parentOf(parent) !== npm)) gone();
  }, 250).unref();
}

/** The exit status when the command's starter ended without a signal reaching the command: a hang-up's. */
export const STARTER_GONE_EXIT = SIGNAL_EXIT.SIGHUP;

let installed = false;

/**
 * Exits with `code` once everything written to stdout and stderr has been handed to them: a pipe
 * write is asynchronous, and process.exit drops what a slow reader has not taken yet.
 */
export function exitWhenFlushed(code: number): void {
  let waiting = 2;
  const flushed = () => {
    waiting -= 1;
    if (waiting === 0) {
      process.exit(code);
    }
  };
  process.stdout.write("", flushed);
  process.stderr.write("", flushed);
}

/**
 * For a command run from a shell or `npm run`: on SIGINT, SIGTERM or SIGHUP, kill every process
 * group started, say so on stderr (`stopped` names what they were), and exit with 128 + the signal's
 * number (130 for Ctrl-C). When the process that started the command ends without a signal reaching
 * it (npm or its shell killed), the same, with exit 129. A process exiting for any other reason ends
 * them too.
 */
export function installSignalHandlers(stopped = "the program and the policy pack", stderr: NodeJS.WritableStream = process.stderr): void {
  if (installed) {
    return;
  }
  installed = true;
  const stop = (why: string, code: number) => {
    killAllGroups();
    try {
      stderr.write(`\nerror: ${why}; stopped ${stopped}\n`);
    } catch {
      // Nobody is reading any more.
    }
    process.exit(code);
  };
  for (const signal of Object.keys(SIGNAL_EXIT) as NodeJS.Signals[]) {
    process.on(signal, () => stop(`interrupted by ${signal}`, SIGNAL_EXIT[signal]));
  }
  // A write to a terminal or pipe that closed with the starter must not end the command another way.
  stderr.on("error", () => undefined);
  watchParent(() => stop("the process that started this command has ended", STARTER_GONE_EXIT), true);
  process.on("exit", killAllGroups);
}

/**
 * Names, in a guarded child's environment, the process that started it: a child whose starter was
 * killed before the guard loaded has init for a parent from the start, and would otherwise never
 * see a change.
 */
export const GUARD_PARENT_ENV = "CIS_CLOUDTRAIL_GUARD_PARENT";

/** The environment for a child that preloads the parent guard. */
export function guardedEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, [GUARD_PARENT_ENV]: String(process.pid) };
}

/**
 * The module a started Node process preloads (`--require`) so that it ends, with its whole group,
 * when the process that started it dies without a chance to stop it (SIGKILL, a crash).
 */
export function parentGuardPath(): string {
  const found = builtScript("analyzer", "parent-guard.js");
  if (!found) {
    throw new Error("the analyzer tools are not built: run npm run build");
  }
  return found;
}

/**
 * A compiled script of tools/<tool>: beside the running code when it runs from bin/, else in bin/
 * of the source tree (when tests run the TypeScript sources).
 */
export function builtScript(tool: string, file: string): string | undefined {
  const here = path.resolve(__dirname, "..");
  const candidates = [path.join(here, tool, file), path.resolve(here, "..", "bin", "tools", tool, file)];
  return candidates.find((c) => fs.existsSync(c));
}
