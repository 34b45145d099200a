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

let installed = false;

/**
 * On SIGINT, SIGTERM or SIGHUP: kill every process group started, say so on stderr, and exit with
 * 128 + the signal's number (130 for Ctrl-C). A process exiting for any other reason ends them too.
 */
export function installSignalHandlers(stderr: NodeJS.WritableStream = process.stderr): void {
  if (installed) {
    return;
  }
  installed = true;
  for (const signal of Object.keys(SIGNAL_EXIT) as NodeJS.Signals[]) {
    process.on(signal, () => {
      killAllGroups();
      stderr.write(`\nerror: interrupted by ${signal}; stopped the program and the policy pack\n`);
      process.exit(SIGNAL_EXIT[signal]);
    });
  }
  process.on("exit", killAllGroups);
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
