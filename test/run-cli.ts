// Runs a built command (bin/tools/.../main.js) as a user's shell would, and collects what it printed.
import { spawn } from "child_process";
import * as path from "path";

export const ROOT = path.join(__dirname, "..");
export const PREVIEW_MAIN = path.join(ROOT, "bin", "tools", "preview", "main.js");

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit. */
  ms: number;
}

/** Runs `node <main> ...args` from the repository root; env is added to this process's environment. */
export function runCli(main: string, args: string[], env: NodeJS.ProcessEnv = {}, replaceEnv = false): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [main, ...args], { cwd: ROOT, env: replaceEnv ? env : { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr, ms: Date.now() - started }));
  });
}

/** The offline preview's command. */
export function preview(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runCli(PREVIEW_MAIN, args, env);
}
