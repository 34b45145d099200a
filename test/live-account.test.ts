// The liveAccount option of aws-cloudtrail-stack-has-cis-trail: an application stack that declares
// no trail is judged on the live accounts its AWS providers deploy to. The real AWS SDK, inside the
// real pack, reads a local endpoint that speaks CloudTrail and STS on their own wire protocols
// (pointed at with AWS_ENDPOINT_URL, or a provider's endpoints), once through the offline preview
// with --policy-pack-config and once over the Analyzer protocol with the provider resources the
// engine reports. The endpoint counts the calls: each case makes the fewest CIS 3.1 needs.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { PolicyPackClient, secret, startPolicyPack } from "../tools/analyzer/client";
import { AnalyzeResult, Diagnostic, ResourceToAnalyze } from "../tools/analyzer/types";
import { SimAccount, SimWorld, SimulatedAws, accessKeyFor, simTrail } from "../testing/simulated-aws";
import type { PreviewReport } from "../tools/preview/report";
import { PREVIEW_MAIN, ROOT, runCli } from "./run-cli";
import { awsEnv } from "../testing/simulated-organization";

const POLICY = "aws-cloudtrail-stack-has-cis-trail";
const REGION = "us-east-1";
const READ_ONLY = { EventSelectors: [{ ReadWriteType: "ReadOnly", IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }] };
const id = (n: number) => `2000000000${String(n).padStart(2, "0")}`;
const multi = (account: string, settings: Parameters<typeof simTrail>[3] = {}) =>
  simTrail(account, "main", REGION, { IsMultiRegionTrail: true, ...settings });

const COMPLIANT = id(1);
const READ_ONLY_ACCOUNT = id(2);
const NO_TRAIL = id(3);
const MEMBER = id(4);
const SELECTORS_DENIED = id(5);
const CALLER = id(10);
const TEAM_OK = id(11);
const TEAM_FAILS = id(12);
const MANAGEMENT = id(99);
/** The account of docs/live-account.md's run: one multi-region, read-only trail. */
const DOCUMENTED = "123456789012";

const ACCOUNTS: SimAccount[] = [
  { id: COMPLIANT, trails: [multi(COMPLIANT)] },
  // A single-region trail in the provider's region is listed too, and needs no further call.
  { id: READ_ONLY_ACCOUNT, trails: [multi(READ_ONLY_ACCOUNT, { selectors: READ_ONLY }), simTrail(READ_ONLY_ACCOUNT, "regional", REGION)] },
  { id: NO_TRAIL, trails: [] },
  { id: MEMBER, trails: [] },
  { id: SELECTORS_DENIED, trails: [multi(SELECTORS_DENIED)], deny: ["GetEventSelectors"] },
  { id: CALLER, trails: [] },
  { id: TEAM_OK, trails: [multi(TEAM_OK)] },
  { id: TEAM_FAILS, trails: [multi(TEAM_FAILS, { selectors: READ_ONLY })] },
  { id: DOCUMENTED, trails: [multi(DOCUMENTED, { selectors: READ_ONLY })] },
  { id: MANAGEMENT, trails: [simTrail(MANAGEMENT, "org-trail", REGION, { IsMultiRegionTrail: true, IsOrganizationTrail: true })] },
];
const REGIONS: SimWorld["regions"] = ["us-east-1", "eu-west-1", "us-west-2"].map((name) => ({ name, optIn: "opt-in-not-required" as const }));
const byId = new Map(ACCOUNTS.map((a) => [a.id, a]));
const sim = new SimulatedAws({
  regions: REGIONS,
  account: (a) => byId.get(a),
  organization: { id: "o-liveaccount1", managementAccount: MANAGEMENT, accountIds: [MEMBER, MANAGEMENT], pageSize: 20 },
});
/** An endpoint that reads every CloudTrail call and never answers. */
const silent = new SimulatedAws({ regions: REGIONS, account: (a) => byId.get(a), hang: ["DescribeTrails"] });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "live-account-test-"));

interface ProviderSpec {
  name: string;
  args: Record<string, unknown>;
}

/** An application program: a bucket per provider (or one with the default provider), and a trail only when given. */
interface ProgramSpec {
  defaultProvider?: boolean;
  providers?: ProviderSpec[];
  trail?: Record<string, unknown>;
}

let programs = 0;
function writeProgram(spec: ProgramSpec): string {
  const dir = path.join(tmp, `program-${++programs}`);
  fs.mkdirSync(dir);
  const lines = ['const aws = require("@pulumi/aws");'];
  if (spec.defaultProvider ?? true) lines.push('new aws.s3.Bucket("data");');
  (spec.providers ?? []).forEach((p, i) => {
    lines.push(`const provider${i} = new aws.Provider(${JSON.stringify(p.name)}, ${JSON.stringify(p.args)});`);
    lines.push(`new aws.s3.Bucket(${JSON.stringify(`data-${p.name}`)}, {}, { provider: provider${i} });`);
  });
  if (spec.trail) lines.push(`new aws.cloudtrail.Trail("baseline", ${JSON.stringify(spec.trail)});`);
  fs.writeFileSync(path.join(dir, "index.js"), lines.join("\n") + "\n");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: live-app\nruntime: nodejs\nconfig:\n  aws:region: ${REGION}\n`);
  return dir;
}

function writeConfig(options: Record<string, unknown>): string {
  const file = path.join(tmp, `config-${++programs}.json`);
  fs.writeFileSync(file, JSON.stringify({ [POLICY]: options }));
  return file;
}

const LIVE = { liveAccount: true };
const roleArn = (account: string) => `arn:aws:iam::${account}:role/deployer`;

interface Case {
  name: string;
  /** The account whose credentials the environment holds. */
  caller: string;
  program: ProgramSpec;
  options?: Record<string, unknown>;
  stackTags?: string[];
  exit: 0 | 1;
  /** The stack policy's diagnostics: level and a pattern of the message. */
  expected: { level: "mandatory" | "advisory"; message: RegExp }[];
  /** Calls the local endpoint receives, by action; every other action none. */
  calls: Record<string, number>;
  /** The endpoint that never answers is given as the provider's CloudTrail endpoint. */
  silentEndpoint?: boolean;
}

const ACCOUNT_OF = (account: string, provider = "default(_[\\d_]+)?") =>
  `The AWS account ${account} this stack deploys to \\(read in ${REGION}, provider "${provider}"\\)`;
const ONE_TRAIL_READ = { DescribeTrails: 1, GetTrailStatus: 1, GetEventSelectors: 1 };

const CASES: Case[] = [
  {
    name: "an application stack without a trail, in an account with a compliant trail: passes, in 3 calls",
    caller: COMPLIANT,
    // The default provider and an explicit one with the same settings are one target, read once.
    program: { providers: [{ name: "same-account", args: { region: REGION } }] },
    options: LIVE, exit: 0, expected: [], calls: ONE_TRAIL_READ,
  },
  {
    name: "only a read-only multi-region trail: fails, naming the account, the region and what the trail lacks",
    caller: READ_ONLY_ACCOUNT, program: {}, options: LIVE, exit: 1,
    expected: [{
      level: "mandatory",
      message: new RegExp(`^${ACCOUNT_OF(READ_ONLY_ACCOUNT)} has no trail that meets CIS 3\\.1: trail "main" records only read management events\\. ` +
        `None of the account's 2 trails seen from us-east-1 complies; CIS asks for one trail that meets every requirement on its own\\. ` +
        "To fix, in the stack that owns the account's trail: record all management events, read and write: remove the event selectors"),
    }],
    calls: ONE_TRAIL_READ,
  },
  {
    name: "no trail at all: fails, the account named from sts:GetCallerIdentity",
    caller: NO_TRAIL, program: {}, options: LIVE, exit: 1,
    expected: [{ level: "mandatory", message: new RegExp(`^${ACCOUNT_OF(NO_TRAIL)} has no CloudTrail trail: DescribeTrails lists none\\.`) }],
    calls: { DescribeTrails: 1, GetCallerIdentity: 1 },
  },
  {
    name: "a member account covered by the management account's organization trail: passes",
    caller: MEMBER, program: {}, options: LIVE, exit: 0, expected: [], calls: ONE_TRAIL_READ,
  },
  {
    name: "GetEventSelectors denied: advisory, naming what could not be read",
    caller: SELECTORS_DENIED, program: {}, options: LIVE, exit: 0,
    expected: [{
      level: "advisory",
      message: new RegExp(`^${ACCOUNT_OF(SELECTORS_DENIED)} could not be judged: no trail is known to meet CIS 3\\.1: for trail "main", ` +
        "eventSelectors could not be read \\(AccessDeniedException: User: .* cloudtrail:GetEventSelectors.*\\)\\. " +
        "It is not known to have a trail that meets CIS 3\\.1; this is advisory"),
    }],
    calls: ONE_TRAIL_READ,
  },
  {
    name: "GetEventSelectors denied, with liveAccountUnreadable \"block\": fails",
    caller: SELECTORS_DENIED, program: {}, options: { ...LIVE, liveAccountUnreadable: "block" }, exit: 1,
    expected: [{ level: "mandatory", message: /could not be judged: .*could not be read \(AccessDeniedException: .*With liveAccountUnreadable "block", the update is blocked/ }],
    calls: ONE_TRAIL_READ,
  },
  {
    name: "a provider's CloudTrail endpoint that never answers: bounded by liveAccountTimeout, advisory",
    caller: COMPLIANT, silentEndpoint: true,
    program: { defaultProvider: false, providers: [{ name: "blackholed", args: { region: REGION } }] },
    options: { ...LIVE, liveAccountTimeout: 2 }, exit: 0,
    expected: [{
      level: "advisory",
      message: new RegExp(`^${ACCOUNT_OF(COMPLIANT, "blackholed")} could not be read: the trails of region us-east-1 \\(cloudtrail:DescribeTrails\\): ` +
        "TimeoutError: no answer (from http://127\\.0\\.0\\.1:\\d+ )?within 2s"),
    }],
    // The account is named with the one call it takes, to the endpoint that answers.
    calls: { GetCallerIdentity: 1 },
  },
  {
    name: "two providers in two accounts, one failing: fails, naming that account only",
    caller: CALLER,
    program: {
      defaultProvider: false,
      providers: [
        { name: "team-ok", args: { region: REGION, assumeRoles: [{ roleArn: roleArn(TEAM_OK) }] } },
        { name: "team-fails", args: { region: REGION, assumeRoles: [{ roleArn: roleArn(TEAM_FAILS) }] } },
      ],
    },
    options: LIVE, exit: 1,
    expected: [{ level: "mandatory", message: new RegExp(`^${ACCOUNT_OF(TEAM_FAILS, "team-fails")} has no trail that meets CIS 3\\.1: trail "main" records only read`) }],
    calls: { AssumeRole: 2, DescribeTrails: 2, GetTrailStatus: 2, GetEventSelectors: 2 },
  },
  {
    name: "a baseline stack that declares a failing trail while the live account has a good one: judged on what it declares",
    caller: COMPLIANT, program: { trail: { s3BucketName: "logs", isMultiRegionTrail: false } }, options: LIVE, exit: 1,
    expected: [{ level: "mandatory", message: /^Trail "baseline" is single-region\. To fix: set isMultiRegionTrail: true\.$/ }],
    calls: {},
  },
  {
    name: "the owner tag without a trail: judged on what it declares",
    caller: COMPLIANT, program: {}, options: LIVE, stackTags: ["cis-cloudtrail-owner=true"], exit: 1,
    expected: [{ level: "mandatory", message: /^This stack has no CloudTrail trail/ }],
    calls: {},
  },
  {
    name: "liveAccount off (the default): nothing changes, no call is made",
    caller: COMPLIANT, program: {}, options: {}, exit: 1,
    expected: [{ level: "mandatory", message: /^This stack has no CloudTrail trail/ }],
    calls: {},
  },
];

function stackDiagnostics(diagnostics: readonly Pick<Diagnostic, "policyName" | "enforcementLevel" | "message">[]) {
  // A violation's message starts with the policy's description, on a line of its own.
  return diagnostics.filter((d) => d.policyName === POLICY)
    .map((d) => ({ level: d.enforcementLevel, message: d.message.replace(/^CIS 3\.1: the stack must have .*\n/, "") }));
}

function expectDiagnostics(found: { level: string; message: string }[], expected: Case["expected"]): void {
  expect(found).toHaveLength(expected.length);
  expected.forEach((e, i) => {
    expect(found[i].level).toBe(e.level);
    expect(found[i].message).toMatch(e.message);
  });
}

/** Every call the endpoints received, by action. */
function callCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of [sim, silent]) for (const [action, n] of s.counts) if (s === sim) counts[action] = (counts[action] ?? 0) + n;
  return counts;
}

function resetCounts(): void {
  sim.resetCounts();
  silent.resetCounts();
}

beforeAll(async () => {
  await sim.start();
  await silent.start();
});

afterAll(async () => {
  await sim.stop();
  await silent.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const PREVIEW_TIMEOUT_MS = 120_000;

describe("through the offline preview with --policy-pack-config", () => {
  test.each(CASES)("$name", async (c) => {
    const spec = c.silentEndpoint
      ? { ...c.program, providers: c.program.providers?.map((p) => ({ ...p, args: { ...p.args, endpoints: [{ cloudtrail: silent.url }] } })) }
      : c.program;
    const args = ["--json", "--policy-pack-config", writeConfig(c.options ?? {}), ...(c.stackTags ?? []).flatMap((t) => ["--stack-tag", t]), writeProgram(spec)];
    resetCounts();
    const env = { ...awsEnv(sim.url, c.caller), NODE_PATH: path.join(ROOT, "node_modules") };
    const result = await runCli(PREVIEW_MAIN, args, env, true);
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: c.exit, stderr: expect.any(String) });
    const report = JSON.parse(result.stdout) as PreviewReport;
    expectDiagnostics(stackDiagnostics(report.diagnostics), c.expected);
    expect(callCounts()).toEqual(c.calls);
    if (c.silentEndpoint) expect(silent.count("DescribeTrails")).toBeGreaterThanOrEqual(1);
  }, PREVIEW_TIMEOUT_MS);
});

describe("docs/live-account.md's run", () => {
  test("is what `npm run -s preview` prints for it, in 3 calls", async () => {
    const doc = fs.readFileSync(path.join(ROOT, "docs", "live-account.md"), "utf8");
    const block = /```\n\$ (npm run -s preview -- [^\n]*)\n([\s\S]*?)```/.exec(doc);
    expect(block).not.toBeNull();
    const [, command, shown] = block!;
    const args = command.split(" ").slice(5); // after "npm run -s preview --"
    const configAt = args.indexOf("--policy-pack-config") + 1;
    expect(configAt).toBeGreaterThan(0);
    args[configAt] = writeConfig(LIVE);
    resetCounts();
    const result = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const npm = spawn(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "-s", "preview", "--", ...args], {
        cwd: ROOT, env: awsEnv(sim.url, DOCUMENTED), stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      npm.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
      npm.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
      npm.on("error", reject);
      npm.on("close", (status) => resolve({ status, stdout, stderr }));
    });
    expect({ stdout: result.stdout, stderr: result.stderr }).toEqual({ stdout: shown, stderr: expect.any(String) });
    expect(result.status).toBe(1);
    expect(callCounts()).toEqual(ONE_TRAIL_READ);
  }, PREVIEW_TIMEOUT_MS);
});

describe("over the Analyzer protocol, with the provider resources the engine reports", () => {
  let pack: PolicyPackClient | undefined;
  const client = (): PolicyPackClient => {
    if (!pack) throw new Error("the pack was not started");
    return pack;
  };

  beforeAll(async () => {
    // The environment names no account: each provider brings its own credentials, as secrets.
    const env = { ...awsEnv(sim.url, CALLER), AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "" };
    pack = await startPolicyPack(ROOT, { env });
  }, 60_000);

  afterAll(async () => {
    await pack?.close();
  });

  /** The provider resource as AnalyzeStack reports it: non-string inputs as JSON text, credentials as secrets. */
  function providerResource(name: string, args: Record<string, unknown>, caller: string, isDefault: boolean): ResourceToAnalyze {
    const type = "pulumi:providers:aws";
    const properties: Record<string, unknown> = {
      region: REGION, version: "7.48.0", skipRegionValidation: "true",
      accessKey: secret(accessKeyFor(caller)), secretKey: secret(`secret-of-${caller}`),
    };
    for (const [k, v] of Object.entries(args)) if (k !== "region") properties[k] = JSON.stringify(v);
    return { type, name: isDefault ? "default_7_48_0" : name, urn: `urn:pulumi:dev::live-app::${type}::${name}`, properties };
  }

  function stackOf(c: Case): ResourceToAnalyze[] {
    const resources: ResourceToAnalyze[] = [];
    const providers = [...(c.program.defaultProvider ?? true ? [{ name: "default_7_48_0", args: {}, isDefault: true }] : []),
      ...(c.program.providers ?? []).map((p) => ({ ...p, isDefault: false }))];
    for (const p of providers) {
      const args = c.silentEndpoint ? { ...p.args, endpoints: [{ cloudtrail: silent.url }] } : p.args;
      const provider = providerResource(p.name, args, c.caller, p.isDefault);
      resources.push(provider, {
        type: "aws:s3/bucket:Bucket", name: `data-${p.name}`, urn: `urn:pulumi:dev::live-app::aws:s3/bucket:Bucket::data-${p.name}`,
        properties: { bucket: `data-${p.name}` }, provider: { ...provider },
      });
    }
    if (c.program.trail) {
      const type = "aws:cloudtrail/trail:Trail";
      resources.push({ type, name: "baseline", urn: `urn:pulumi:dev::live-app::${type}::baseline`, properties: c.program.trail });
    }
    return resources;
  }

  test.each(CASES)("$name", async (c) => {
    await client().configure({ [POLICY]: c.options ?? {} });
    const tags = Object.fromEntries((c.stackTags ?? []).map((t) => t.split("=")));
    await client().configureStack({ stack: "dev", project: "live-app", tags });
    resetCounts();
    const result: AnalyzeResult = await client().analyzeStack(stackOf(c));
    const expected = c.expected.map((e) => ({
      ...e, message: new RegExp(e.message.source.replace(/default\(_\[\\d_\]\+\)\?/g, "default_7_48_0")),
    }));
    expectDiagnostics(stackDiagnostics(result.diagnostics), expected);
    // A target read before in this run (the pack's lifetime) is not read again.
    const cached = c.options?.liveAccountUnreadable === "block";
    expect(callCounts()).toEqual(cached ? {} : c.calls);
    // The provider's secret key never reaches a message.
    expect(JSON.stringify(result)).not.toContain(`secret-of-${c.caller}`);
  }, PREVIEW_TIMEOUT_MS);

  test("the pack wrote no secret and no error while it ran", () => {
    expect(client().stderr()).not.toMatch(/secret-of-|error/i);
  });
});
