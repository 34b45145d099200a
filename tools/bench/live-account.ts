// What liveAccount adds to a preview: the offline preview of an application program without a
// trail, with the option off and on, turn about, against the local endpoint for an account in 17
// regions with 3 trails (a compliant multi-region one, a read-only multi-region one, a single-region
// one in the provider's region). Reports the added wall time and the calls the endpoint received.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { SimulatedAws, accessKeyFor, simTrail } from "../../testing/simulated-aws";
import { median, ms, table } from "./stats";

const ROOT = path.join(__dirname, "..", "..", "..");
const PREVIEW = path.join(ROOT, "bin", "tools", "preview", "main.js");
const ACCOUNT = "300000000001";
const REGIONS = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1",
  "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "sa-east-1",
];
const ROUNDS = 5;
const READ_ONLY = { EventSelectors: [{ ReadWriteType: "ReadOnly", IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }] };

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PREVIEW, ...args], { cwd: ROOT, env, stdio: "ignore" });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, ms: Date.now() - started }));
  });
}

export async function liveAccountBench(log: (message: string) => void): Promise<string[]> {
  const sim = new SimulatedAws({
    regions: REGIONS.map((name) => ({ name, optIn: "opt-in-not-required" as const })),
    account: (id) => id === ACCOUNT ? {
      id,
      trails: [
        simTrail(id, "main", "us-east-1", { IsMultiRegionTrail: true }),
        simTrail(id, "reads", "eu-west-1", { selectors: READ_ONLY }),
        simTrail(id, "regional", "us-east-1"),
      ],
    } : undefined,
  });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "live-account-bench-"));
  try {
    const url = await sim.start();
    const program = path.join(work, "app");
    fs.mkdirSync(program);
    fs.writeFileSync(path.join(program, "Pulumi.yaml"), "name: app\nruntime: nodejs\nconfig:\n  aws:region: us-east-1\n");
    fs.writeFileSync(path.join(program, "index.js"), 'const aws = require("@pulumi/aws");\nnew aws.s3.Bucket("data");\n');
    const config = (on: boolean) => {
      const file = path.join(work, `${on}.json`);
      fs.writeFileSync(file, JSON.stringify({ "aws-cloudtrail-stack-has-cis-trail": { liveAccount: on, scope: "stacks-with-trails" } }));
      return file;
    };
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) env[k] = v;
    Object.assign(env, {
      NODE_PATH: path.join(ROOT, "node_modules"), AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: accessKeyFor(ACCOUNT), AWS_SECRET_ACCESS_KEY: "bench",
      AWS_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true", AWS_CONFIG_FILE: path.join(work, "none"), AWS_SHARED_CREDENTIALS_FILE: path.join(work, "none"),
    });
    const times = { off: [] as number[], on: [] as number[] };
    let calls = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // Turn about, each side first in alternate rounds, so the machine's drift falls on both.
      for (const side of round % 2 === 0 ? (["off", "on"] as const) : (["on", "off"] as const)) {
        log(`live account: round ${round + 1} of ${ROUNDS}, liveAccount ${side}`);
        sim.resetCounts();
        const result = await run(["--policy-pack-config", config(side === "on"), program], env);
        if (result.code !== 0) throw new Error(`the preview with liveAccount ${side} exited ${result.code}`);
        times[side].push(result.ms);
        if (side === "on") calls = sim.totalCalls();
        else if (sim.totalCalls() !== 0) throw new Error("the preview with liveAccount off called AWS");
      }
    }
    const off = median(times.off);
    const on = median(times.on);
    return [
      `liveAccount: the offline preview of a one-bucket program without a trail (median of ${ROUNDS}, turn about), ` +
      `against the local endpoint for an account in ${REGIONS.length} regions with 3 trails:`,
      table(["liveAccount", "preview wall", "added", "AWS calls"], [
        ["off", ms(off), "", "0"],
        // Signed: on a busy machine the difference can fall below the runs' own spread.
        ["on", ms(on), `${on - off >= 0 ? "+" : ""}${Math.round(on - off)} ms`, `${calls} (target at most 3)`],
      ]),
    ];
  } finally {
    await sim.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
