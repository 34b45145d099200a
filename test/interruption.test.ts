// A preview cut short leaves nothing running: on SIGINT, SIGTERM or SIGHUP the command ends the
// program's worker and the policy pack, whole process groups (so a process the program started
// too), and exits 128 + the signal; when the command itself is killed outright, what it started ends
// on its own. A program that never finishes meets the time limit, with the same outcome.
import { spawn, ChildProcess } from "child_process";
import * as path from "path";

import { alive, descendants, until } from "./process-tree";

const ROOT = path.join(__dirname, "..");
const MAIN = path.join(ROOT, "bin", "tools", "preview", "main.js");
const NEVER_ENDS = path.join(__dirname, "fixtures", "programs", "never-ends-js");

interface Started {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startPreview(args: string[]): Started {
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  child.stdout?.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return { child, stderr: () => stderr, exited };
}

/** Starts a preview of the never-ending program and waits until the worker, the pack and the program's own process run. */
async function runningPreview(args: string[] = []): Promise<Started & { started: number[] }> {
  const run = startPreview([...args, NEVER_ENDS]);
  const pid = run.child.pid as number;
  // The worker, the pack and the program's own process, all below the command.
  await until("the program and the pack to start", () => run.stderr().includes("program started") && descendants(pid).length >= 3, 30_000);
  return { ...run, started: descendants(pid) };
}

describe("interrupting a preview", () => {
  test.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const)("%s ends every process it started and exits %i", async (signal, status) => {
    const run = await runningPreview();
    run.child.kill(signal);
    const { code } = await run.exited;
    expect(code).toBe(status);
    expect(run.stderr()).toContain(`interrupted by ${signal}`);
    await until("the started processes to end", () => run.started.every((p) => !alive(p)), 5000);
    expect(run.started.filter(alive)).toEqual([]);
  });

  test("when the command is killed outright, what it started ends by itself", async () => {
    const run = await runningPreview();
    run.child.kill("SIGKILL");
    await run.exited;
    await until("the orphaned processes to end", () => run.started.every((p) => !alive(p)), 5000);
    expect(run.started.filter(alive)).toEqual([]);
  });

  test("the time limit stops a program that never finishes, naming the limit and what was registered", async () => {
    // Long enough for the program to load and register on a busy machine, where that takes seconds.
    const run = startPreview(["--timeout", "8", NEVER_ENDS]);
    const pid = run.child.pid as number;
    let seen: number[] = [];
    const watch = setInterval(() => (seen = [...new Set([...seen, ...descendants(pid)])]), 100);
    const { code } = await run.exited;
    clearInterval(watch);
    expect(code).toBe(2);
    expect(run.stderr()).toMatch(
      /error: the program did not finish within the 8s time limit \(--timeout\): 2 resources registered so far; still registering "blocked" \[fixture:index:Blocked\]/,
    );
    expect(seen.length).toBeGreaterThanOrEqual(2);
    await until("the started processes to end", () => seen.every((p) => !alive(p)), 5000);
    expect(seen.filter(alive)).toEqual([]);
  });
});
