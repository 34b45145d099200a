// Both commands started the way users start them, `npm run -s preview` and `npm run -s
// check-account`, end with everything they started whatever ends npm: SIGTERM, SIGINT or SIGHUP to
// npm (what a CI runner cancelling a step, `timeout` or a container stop sends), SIGKILL of npm, and
// SIGKILL of the process npm runs. Each mode's runs stall half-way (a program that never finishes, a
// pack that never answers AnalyzeStack, an AWS endpoint that never answers) and run side by side.
import { spawn, spawnSync, ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { SimulatedAws, accessKeyFor } from "../testing/simulated-aws";
import { alive, descendants, until } from "./process-tree";

const ROOT = path.join(__dirname, "..");
const FIXTURES = path.join(__dirname, "fixtures");
const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  } catch {
    return "";
  }
}

const sim = new SimulatedAws({ regions: [{ name: "us-east-1", optIn: "opt-in-not-required" }], account: () => undefined, stall: true });
const org = new SimulatedAws({
  regions: [{ name: "us-east-1", optIn: "opt-in-not-required" }],
  account: (id) => ({ id, trails: [] }),
  organization: { id: "o-exampleorgid", managementAccount: "100000000099", accountIds: ["100000000099"], pageSize: 20 },
  hang: ["ListAccounts"],
});

function awsEnv(endpoint: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) env[k] = v;
  return {
    ...env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: accessKeyFor("100000000099"),
    AWS_SECRET_ACCESS_KEY: "test-secret",
    AWS_REGION: "us-east-1",
    AWS_CONFIG_FILE: path.join(os.tmpdir(), "no-such-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(os.tmpdir(), "no-such-aws-credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
  };
}

type Way = [NodeJS.Signals, "npm" | "the command"];
/**
 * What ends the run: a signal to npm, or to the process npm runs (the command). npm passes SIGINT
 * on as it passes SIGTERM, through the same handler in every mode: it is tried once.
 */
const WAYS: Way[] = [["SIGTERM", "npm"], ["SIGHUP", "npm"], ["SIGKILL", "npm"], ["SIGKILL", "the command"]];

interface Mode {
  script: string;
  ways?: Way[];
  args: string[];
  env?: () => NodeJS.ProcessEnv;
  /** The processes below the command once it is stalled: the pack, and for a program its worker and the program's own. */
  processes: number;
  stalled(stderr: string): boolean;
}

const MODES: Record<string, Mode> = {
  "the preview of a program": {
    script: "preview",
    args: [path.join(FIXTURES, "programs", "never-ends-js")],
    ways: [...WAYS, ["SIGINT", "npm"]],
    processes: 3,
    stalled: (stderr) => stderr.includes("program started"),
  },
  "the preview of a stack export (--state)": {
    script: "preview",
    args: ["--policy-pack", path.join(FIXTURES, "stalling-pack"), "--state", path.join(FIXTURES, "states", "compliant.json")],
    processes: 1,
    stalled: () => true,
  },
  "the check of an account": {
    script: "check-account",
    args: [],
    env: () => awsEnv(sim.url),
    processes: 1,
    stalled: () => sim.received > 0,
  },
  "the check of an organization": {
    script: "check-account",
    args: ["--organization", "--role-name", "audit"],
    env: () => awsEnv(org.url),
    processes: 1,
    stalled: () => org.count("ListAccounts") > 0,
  },
};

interface Run {
  npm: ChildProcess;
  stderr: () => string;
  exited: Promise<void>;
}

function npmRun(mode: Mode): Run {
  const npm = spawn(NPM, ["run", "-s", mode.script, "--", ...mode.args], {
    cwd: ROOT, env: mode.env?.() ?? process.env, stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  npm.stderr?.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  npm.stdout?.resume();
  // "close": every holder of the pipes (npm, the command) has exited.
  const exited = new Promise<void>((resolve) => npm.on("close", () => resolve()));
  return { npm, stderr: () => stderr, exited };
}

/** The command's pid (npm's child running launch.js) and every process below npm. */
function treeOf(run: Run): { command?: number; all: number[] } {
  const all = descendants(run.npm.pid as number);
  return { command: all.find((p) => commandLine(p).includes("launch.js")), all };
}

beforeAll(async () => {
  // One run first, so that the runs side by side find the build up to date and none rebuilds it.
  for (const script of ["preview", "check-account"]) {
    expect(spawnSync(NPM, ["run", "-s", script, "--", "--help"], { cwd: ROOT, stdio: "ignore" }).status).toBe(0);
  }
  await Promise.all([sim.start(), org.start()]);
}, 120_000);

afterAll(async () => {
  await Promise.all([sim.stop(), org.stop()]);
});

describe.each(Object.entries(MODES))("%s through npm run", (_name, mode) => {
  const ways = mode.ways ?? WAYS;
  test(`${ways.map(([s, who]) => `${s} to ${who}`).join(", ")}: each leaves no process running`, async () => {
    const runs = ways.map(() => npmRun(mode));
    const trees = await Promise.all(runs.map(async (run) => {
      await until("the command to stall with everything it starts", () => {
        const { command } = treeOf(run);
        return command !== undefined && mode.stalled(run.stderr()) && descendants(command).length >= mode.processes;
      }, 60_000);
      return treeOf(run);
    }));
    for (const [i, [signal, who]] of ways.entries()) {
      const { command } = trees[i];
      process.kill(who === "npm" ? runs[i].npm.pid as number : command as number, signal);
    }
    await Promise.all(runs.map((r) => r.exited));
    // Generous bound: a hang guard on a busy machine, not a timing claim.
    await until("every process started to end", () => trees.every((t) => t.all.every((p) => !alive(p))), 10_000);
    for (const [i, [signal, who]] of ways.entries()) {
      const stderr = runs[i].stderr();
      if (who === "the command") continue; // SIGKILLed: it prints nothing.
      expect(stderr).toContain(signal === "SIGTERM" || signal === "SIGINT"
        ? `error: interrupted by ${signal}; stopped`
        : "error: the process that started this command has ended; stopped");
    }
  }, 180_000);
});
