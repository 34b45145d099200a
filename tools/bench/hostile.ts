// Peak memory of the account check against endpoints that answer wrongly: pages that never end and
// a 200 MB DescribeTrails answer, beside a well-behaved account as the baseline. `npm run bench --
// --hostile` runs this part alone.

import { spawn } from "child_process";
import * as http from "http";
import * as path from "path";

import { SimCall, SimWorld, SimulatedAws, accessKeyFor, simTrail } from "../../testing/simulated-aws";
import { childrenOf, peakKb } from "./account";
import { mib, ms, ratio, table } from "./stats";

const REPO = path.join(__dirname, "..", "..", "..");
const CLI = path.join(REPO, "bin", "tools", "account", "main.js");
const CALLER = "500000000001";
const HUGE = 200 * 1024 * 1024;

function json(res: http.ServerResponse, body: unknown): true {
  const text = JSON.stringify(body);
  res.writeHead(200, { "content-type": "application/x-amz-json-1.1", "content-length": Buffer.byteLength(text) });
  res.end(text);
  return true;
}

/** DescribeTrails answering 200 MB in every region, chunked, for as long as the reader reads. */
function hugeTrails(call: SimCall, _input: unknown, res: http.ServerResponse): boolean {
  if (call.action !== "DescribeTrails") return false;
  res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
  const chunk = Buffer.alloc(1024 * 1024, "a");
  let sent = 0;
  res.write('{"trailList":[{"Name":"big","S3BucketName":"');
  const pump = () => {
    while (sent < HUGE && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once("drain", pump);
    }
    if (!res.destroyed) res.end('"}]}');
  };
  pump();
  return true;
}

let page = 0;
const suspended = (call: SimCall, _input: unknown, res: http.ServerResponse) => {
  if (call.action !== "ListAccounts") return false;
  page++;
  const accounts = Array.from({ length: 1000 }, (_, i) => ({ Id: String(600000000000 + page * 1000 + i), Name: `s${i}`, State: "SUSPENDED", Status: "SUSPENDED" }));
  return json(res, { Accounts: accounts, NextToken: `p${page}` });
};
const empty = (call: SimCall, _input: unknown, res: http.ServerResponse) =>
  call.action === "ListAccounts" && json(res, { Accounts: [], NextToken: `e${++page}` });

const CASES: { name: string; args: string[]; override?: SimWorld["override"] }[] = [
  { name: "baseline: one compliant account", args: [] },
  { name: "ListAccounts: pages of 1,000 SUSPENDED, new token each", args: ["--organization", "--role-name", "Audit"], override: suspended },
  { name: "ListAccounts: empty pages, new token each", args: ["--organization", "--role-name", "Audit"], override: empty },
  { name: "DescribeTrails answering 200 MB in every region", args: [], override: hugeTrails },
];

async function measure(args: string[], override?: SimWorld["override"]) {
  const account = { id: CALLER, trails: [simTrail(CALLER, "main", "us-east-1", { IsMultiRegionTrail: true })] };
  const sim = new SimulatedAws({
    regions: ["eu-west-1", "us-east-1", "us-west-2"].map((name) => ({ name, optIn: "opt-in-not-required" as const })),
    account: (id) => (id === CALLER ? account : undefined),
    override,
  }, false);
  const url = await sim.start();
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env, AWS_ENDPOINT_URL: url, AWS_ACCESS_KEY_ID: accessKeyFor(CALLER), AWS_SECRET_ACCESS_KEY: "bench",
      AWS_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    };
    delete env.AWS_PROFILE;
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr = (stderr + c).slice(-2048)));
    let toolKb = 0;
    let packKb = 0;
    const poll = setInterval(() => {
      toolKb = Math.max(toolKb, peakKb(child.pid as number));
      for (const pid of childrenOf(child.pid as number)) packKb = Math.max(packKb, peakKb(pid));
    }, 50);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearInterval(poll);
    return { code, wallMs: Date.now() - started, toolKb, packKb, last: stderr.trim().split("\n").pop() ?? "", calls: sim.totalCalls() };
  } finally {
    await sim.stop();
  }
}

export async function hostileBench(log: (message: string) => void): Promise<string[]> {
  const rows: string[][] = [];
  let baseline = 0;
  for (const c of CASES) {
    log(`hostile answers: ${c.name}`);
    page = 0;
    const s = await measure(c.args, c.override);
    baseline ||= s.toolKb;
    rows.push([c.name, ms(s.wallMs), String(s.code), String(s.calls), mib(s.toolKb), ratio(s.toolKb / baseline), mib(s.packKb), s.last.slice(0, 110)]);
  }
  return [
    "Account check against endpoints that answer wrongly (each run a fresh process; the endpoint runs in this process):",
    table(["case", "wall", "exit", "AWS calls", "peak RSS command", "vs baseline", "peak RSS pack", "last line of stderr"], rows),
  ];
}
