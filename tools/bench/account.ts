// The account check of a simulated organization (npm run check-account -- --organization) against
// the local endpoint: wall time, the AWS calls made against the minimum the audit needs, and peak
// memory of the command and of its pack, at two organization sizes in the same run, each size in a
// fresh process. Memory must not grow with the number of accounts.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { SimAccount, SimTrail, SimWorld, SimulatedAws, accessKeyFor, simTrail } from "../../testing/simulated-aws";
import { mib, ms, ratio, table } from "./stats";

const REPO = path.resolve(__dirname, "..", "..", "..");
const CLI = path.join(REPO, "bin", "tools", "account", "main.js");
const SIZES = [100, 300];
/**
 * V8 grows its heap lazily while there is room, so a default run's peak RSS rises with the work done
 * even when what stays live does not; with the old space capped, RSS shows the live set.
 */
const CAPPED_HEAP = "--max-old-space-size=128";
const CONCURRENCY = 16;
const MANAGEMENT = "300000000000";

const ENABLED = [
  "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3",
  "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
  "ap-southeast-1", "ap-southeast-2", "sa-east-1",
];
const DISABLED = ["af-south-1", "me-south-1"];

const READ_ONLY = { EventSelectors: [{ ReadWriteType: "ReadOnly", IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }] };

/** A mix of trails: compliant, stopped, single-region pairs, read-only beside data events, none of its own. */
function trailsOf(id: string, n: number): SimTrail[] {
  switch (n % 5) {
    case 0:
      return [simTrail(id, "main", "us-east-1", { IsMultiRegionTrail: true })];
    case 1:
      return [simTrail(id, "main", "eu-west-1", { IsMultiRegionTrail: true, isLogging: false })];
    case 2:
      return [simTrail(id, "regional-a", "us-east-1"), simTrail(id, "regional-b", "eu-central-1")];
    case 3:
      return [
        simTrail(id, "reads", "us-west-2", { IsMultiRegionTrail: true, selectors: READ_ONLY }),
        simTrail(id, "data", "us-west-2", {
          selectors: { AdvancedEventSelectors: [{ Name: "S3 data", FieldSelectors: [{ Field: "eventCategory", Equals: ["Data"] }, { Field: "resources.type", Equals: ["AWS::S3::Object"] }] }] },
        }),
      ];
    default:
      return [];
  }
}

/** Accounts are built on demand from their number, so the endpoint holds no organization in memory. */
function world(size: number): SimWorld {
  const ids = [MANAGEMENT, ...Array.from({ length: size - 1 }, (_, i) => `3${String(i + 1).padStart(11, "0")}`)];
  return {
    regions: [...ENABLED.map((name) => ({ name, optIn: "opt-in-not-required" as const })), ...DISABLED.map((name) => ({ name, optIn: "not-opted-in" as const }))],
    account: (id): SimAccount | undefined => {
      if (id === MANAGEMENT) {
        return { id, trails: [simTrail(id, "org-trail", "us-east-1", { IsMultiRegionTrail: true, IsOrganizationTrail: true, selectors: READ_ONLY })] };
      }
      const n = Number(id) - 300000000000;
      return n > 0 && n < size ? { id, trails: trailsOf(id, n) } : undefined;
    },
    organization: { id: "o-bench", managementAccount: MANAGEMENT, accountIds: ids, pageSize: 20 },
  };
}

/** The audit's floor: one DescribeTrails per enabled region and account, two calls per distinct trail. */
function minimumCalls(size: number): number {
  let trails = 1; // the organization trail, read once for every account it covers
  for (let n = 1; n < size; n++) trails += trailsOf("", n).length;
  return size * ENABLED.length + 2 * trails;
}

export function peakKb(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

export function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

interface Sample {
  size: number;
  heap: string;
  wallMs: number;
  calls: Map<string, number>;
  total: number;
  minimum: number;
  toolKb: number;
  packKb: number;
  summary: Record<string, unknown>;
}

async function measure(size: number, nodeOptions?: string): Promise<Sample> {
  const sim = new SimulatedAws(world(size), false);
  const url = await sim.start();
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_ENDPOINT_URL: url,
      AWS_ACCESS_KEY_ID: accessKeyFor(MANAGEMENT),
      AWS_SECRET_ACCESS_KEY: "bench",
      AWS_REGION: "us-east-1",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    };
    delete env.AWS_PROFILE;
    // The organization's SARIF log too: written account by account, it must not grow the memory either.
    const sarif = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-account-")), "organization.sarif");
    const started = Date.now();
    const args = ["--organization", "--role-name", "OrganizationAccountAccessRole", "--json", "--sarif", sarif, "--concurrency", String(CONCURRENCY)];
    const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO, env, stdio: ["ignore", "pipe", "pipe"] });
    let tail = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (tail = (tail + c).slice(-4096)));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr = (stderr + c).slice(-4096)));
    let toolKb = 0;
    let packKb = 0;
    const poll = setInterval(() => {
      toolKb = Math.max(toolKb, peakKb(child.pid as number));
      for (const pid of childrenOf(child.pid as number)) packKb = Math.max(packKb, peakKb(pid));
    }, 100);
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    clearInterval(poll);
    const wallMs = Date.now() - started;
    const match = /"summary": (\{.*\})\n\}\n$/.exec(tail);
    fs.rmSync(path.dirname(sarif), { recursive: true, force: true });
    if (!match || code === 2) throw new Error(`check-account exited ${code}: ${stderr.trim().split("\n").pop()}`);
    return {
      size, heap: nodeOptions ? "capped" : "default", wallMs, calls: new Map(sim.counts), total: sim.totalCalls(), minimum: minimumCalls(size),
      toolKb, packKb, summary: JSON.parse(match[1]) as Record<string, unknown>,
    };
  } finally {
    await sim.stop();
  }
}

/** Runs both sizes, with V8's default heap and with the old space capped, and returns the report's lines. */
export async function accountBench(log: (message: string) => void): Promise<string[]> {
  const samples: Sample[] = [];
  for (const heap of [undefined, CAPPED_HEAP]) {
    for (const size of SIZES) {
      log(`account check: ${size} accounts x ${ENABLED.length} regions${heap ? `, ${heap}` : ""}`);
      samples.push(await measure(size, heap));
    }
  }
  const trailCalls = (s: Sample) => ["DescribeTrails", "GetTrailStatus", "GetEventSelectors"].reduce((n, a) => n + (s.calls.get(a) ?? 0), 0);
  const rows: string[][] = [];
  for (const heap of ["default", "capped"]) {
    const [small, large] = samples.filter((s) => s.heap === heap);
    for (const s of [small, large]) {
      rows.push([
        `${s.size} accounts, ${heap} heap`, ms(s.wallMs), ms(s.wallMs / s.size), `${trailCalls(s)} / ${s.minimum}`,
        String(s.total - trailCalls(s)), mib(s.toolKb), mib(s.packKb),
        `${s.summary.complies}/${s.summary.fails}/${s.summary.notJudged}/${s.summary.unreadable}`,
      ]);
    }
    rows.push([
      `ratio ${large.size}/${small.size}, ${heap} heap`, ratio(large.wallMs / small.wallMs),
      ratio(large.wallMs / large.size / (small.wallMs / small.size)), "", "", ratio(large.toolKb / small.toolKb), ratio(large.packKb / small.packKb), "",
    ]);
  }
  const large = samples[1];
  const overhead = ["GetCallerIdentity", "ListAccounts", "AssumeRole", "DescribeRegions"].map((a) => `${a} ${large.calls.get(a) ?? 0}`).join(", ");
  return [
    `Account check of a simulated organization (${ENABLED.length} enabled regions and ${DISABLED.length} not enabled, ` +
    `--concurrency ${CONCURRENCY}, --json and --sarif; each run a fresh process; the endpoint runs in this process):`,
    table(["organization", "wall", "per account", "trail calls / minimum", "other calls", "peak RSS command", "peak RSS pack", "comply/fail/not judged/unreadable"], rows),
    "Trail calls are DescribeTrails, GetTrailStatus and GetEventSelectors; the minimum is one DescribeTrails per enabled region " +
    `and account plus two calls per distinct trail (an organization trail once). Other calls at ${large.size} accounts: ${overhead}. ` +
    `"capped heap" runs the command and its pack with NODE_OPTIONS=${CAPPED_HEAP}: V8 grows a default heap while it has room, ` +
    "so there the peak RSS tracks work done; capped, it tracks what stays live. Flat memory: the capped ratio stays near 1.00×.",
  ];
}
