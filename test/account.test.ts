// npm run check-account against a local endpoint that speaks CloudTrail, EC2, STS and Organizations
// on their own wire protocols: the real AWS SDK, pointed at it with AWS_ENDPOINT_URL and static test
// credentials, reads each scenario's account, and the real pack judges it over the Analyzer protocol.
// Every scenario's verdict and diagnostics must equal the offline preview's on a Pulumi program that
// declares the same trail (test/fixtures/programs/account-trail-ts, one stack per scenario).
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Log } from "sarif";

import { startPack } from "../tools/preview/analyze";
import { previewProgram } from "../tools/preview/index";
import { PreviewReport } from "../tools/preview/report";
import { StartedPack, USAGE, parseArgs } from "../tools/account/main";
import { SimAccount, SimTrail, SimWorld, SimulatedAws, accessKeyFor, simTrail } from "../testing/simulated-aws";
import { schemaErrors } from "./sarif-schema";
import { AccountRun, runAccountCheck, useAccount as useAccountAt } from "./account-run";

const ROOT = path.join(__dirname, "..");
const CLI = path.join(ROOT, "bin", "tools", "account", "main.js");
const PROGRAM = path.join(__dirname, "fixtures", "programs", "account-trail-ts");

const REGIONS: SimWorld["regions"] = [
  { name: "eu-west-1", optIn: "opt-in-not-required" },
  { name: "us-east-1", optIn: "opt-in-not-required" },
  { name: "us-west-2", optIn: "opt-in-not-required" },
  { name: "af-south-1", optIn: "not-opted-in" },
];
const CHECKED = ["eu-west-1", "us-east-1", "us-west-2"];

const ALL = [{ ReadWriteType: "All", IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }];
const MANAGEMENT_ID = "100000000099";
const S3_DATA = [{ Field: "eventCategory", Equals: ["Data"] }, { Field: "resources.type", Equals: ["AWS::S3::Object"] }];
/** An account's log bucket and one more, in two regions. */
const BUCKETS = (account: string) => [{ name: `cloudtrail-logs-${account}`, region: "us-east-1" }, { name: "uploads", region: "us-west-2" }];
const id = (n: number) => `1000000000${String(n).padStart(2, "0")}`;
const multi = (account: string, settings: Parameters<typeof simTrail>[3] = {}): SimTrail =>
  simTrail(account, "main", "us-east-1", { IsMultiRegionTrail: true, S3BucketName: `cloudtrail-logs-${account}`, ...settings });

/** Each scenario is an account of its own; `stack` is its program twin's stack. */
const SCENARIOS: { name: string; stack: string; account: SimAccount }[] = [
  { name: "a compliant multi-region trail", stack: "compliant", account: { id: id(1), trails: [multi(id(1))] } },
  { name: "the same trail with logging stopped out of band", stack: "stopped", account: { id: id(2), trails: [multi(id(2), { isLogging: false })] } },
  {
    name: "only a single-region trail", stack: "single-region",
    account: { id: id(3), trails: [simTrail(id(3), "main", "us-east-1", { S3BucketName: `cloudtrail-logs-${id(3)}` })] },
  },
  {
    name: "read-only selectors", stack: "read-only",
    account: { id: id(4), trails: [multi(id(4), { selectors: { EventSelectors: [{ ...ALL[0], ReadWriteType: "ReadOnly" }] } })] },
  },
  {
    name: "advanced selectors with an exclusion", stack: "advanced-exclusion",
    account: {
      id: id(5),
      trails: [multi(id(5), {
        selectors: {
          AdvancedEventSelectors: [{
            Name: "Management events",
            FieldSelectors: [{ Field: "eventCategory", Equals: ["Management"] }, { Field: "eventSource", NotEquals: ["kms.amazonaws.com"] }],
          }],
        },
      })],
    },
  },
  { name: "an organization trail seen from a member account", stack: "organization-member", account: { id: id(6), trails: [] } },
  {
    name: "AccessDenied on GetEventSelectors", stack: "selectors-unreadable",
    account: { id: id(7), trails: [multi(id(7))], deny: ["GetEventSelectors"] },
  },
  {
    name: "S3 object-level write events of every bucket, read events of none", stack: "s3-writes-all",
    account: {
      id: id(9), buckets: BUCKETS(id(9)),
      trails: [multi(id(9), { selectors: { EventSelectors: [ALL[0], {
        ReadWriteType: "WriteOnly", IncludeManagementEvents: false, ExcludeManagementEventSources: [],
        DataResources: [{ Type: "AWS::S3::Object", Values: ["arn:aws:s3"] }],
      }] } })],
    },
  },
  {
    name: "S3 object-level events of one bucket only: the buckets left out are named", stack: "s3-one-bucket",
    account: {
      id: id(10), buckets: [{ name: "customer-data", region: "eu-west-1" }, { name: "uploads", region: "us-west-2" }],
      trails: [multi(id(10), { selectors: { AdvancedEventSelectors: [
        { Name: "Management events", FieldSelectors: [{ Field: "eventCategory", Equals: ["Management"] }] },
        { Name: "Customer data objects", FieldSelectors: [S3_DATA[0], S3_DATA[1], { Field: "resources.ARN", StartsWith: ["arn:aws:s3:::customer-data/"] }] },
      ] } })],
    },
  },
  {
    name: "S3 object-level write events with the log bucket excluded by notStartsWith", stack: "s3-log-bucket-excluded",
    account: {
      id: id(11), buckets: BUCKETS(id(11)),
      trails: [multi(id(11), { selectors: { AdvancedEventSelectors: [
        { Name: "Management events", FieldSelectors: [{ Field: "eventCategory", Equals: ["Management"] }] },
        { Name: "Writes, but not to the log bucket", FieldSelectors: [S3_DATA[0], S3_DATA[1], { Field: "readOnly", Equals: ["false"] },
          { Field: "resources.ARN", NotStartsWith: [`arn:aws:s3:::cloudtrail-logs-${id(11)}/`] }] },
      ] } })],
    },
  },
];
const MANAGEMENT: SimAccount = {
  id: MANAGEMENT_ID,
  trails: [simTrail(MANAGEMENT_ID, "org-trail", "us-east-1", { IsMultiRegionTrail: true, IsOrganizationTrail: true, S3BucketName: `cloudtrail-logs-${MANAGEMENT_ID}` })],
};
const THROTTLED: SimAccount = { id: id(8), trails: [multi(id(8))], throttle: { DescribeTrails: 2, GetTrailStatus: 1 } };
const WORLD_ACCOUNTS = new Map([...SCENARIOS.map((s) => s.account), MANAGEMENT, THROTTLED].map((a) => [a.id, a]));

const sim = new SimulatedAws({
  regions: REGIONS,
  account: (a) => WORLD_ACCOUNTS.get(a),
  organization: { id: "o-exampleorgid", managementAccount: MANAGEMENT_ID, accountIds: [id(6), MANAGEMENT_ID], pageSize: 20 },
});
let pack: StartedPack;
const saved = { ...process.env };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "check-account-test-"));

/** The SARIF log at file, which must be complete: no FILE.partial is left beside it. */
function readSarif(file: string): Log {
  expect(fs.existsSync(`${file}.partial`)).toBe(false);
  return JSON.parse(fs.readFileSync(file, "utf8")) as Log;
}

/** The environment of an SDK user pointed at the local endpoint, as account `account`. */
function useAccount(account: string, endpoint = sim.url): void {
  useAccountAt(endpoint, account);
}

type Run = AccountRun;
const check = (argv: string[]): Promise<Run> => runAccountCheck(argv, pack);

async function checkJson(account: string, argv: string[] = []): Promise<{ run: Run; report: PreviewReport }> {
  useAccount(account);
  const run = await check(["--json", ...argv]);
  // Nothing on stderr but, with --sarif, what was written there.
  expect(run.stderr).toMatch(argv.includes("--sarif") ? /^SARIF: wrote \d+ results? to .*\n$/ : /^$/);
  return { run, report: JSON.parse(run.stdout) as PreviewReport };
}

/** What a reader of the report learns: the diagnostics, by policy, level, stage, trail and message. */
function findings(report: PreviewReport): string[] {
  return report.diagnostics
    .map((d) => `${d.policyName} [${d.enforcementLevel}] ${d.stage} ${d.resourceName ?? "(stack)"}: ${d.message}`)
    .sort();
}

/**
 * The preview's verdict in the account check's terms: a mandatory stack policy that waits on
 * unknowns has not judged; an advisory one's result changes nothing.
 */
function previewVerdict(report: PreviewReport): string {
  if (report.summary.mandatory > 0) return "fails";
  const mandatory = new Set(report.policies.filter((p) => p.enforcementLevel === "mandatory").map((p) => p.name));
  return report.diagnostics.some((d) => d.stage === "stack" && mandatory.has(d.policyName)) ? "not judged" : "complies";
}
const VERDICT_BY_CODE: Record<number, string> = { 0: "complies", 1: "fails", 3: "not judged" };

const previews = new Map<string, Promise<PreviewReport>>();
function preview(stack: string): Promise<PreviewReport> {
  let p = previews.get(stack);
  if (!p) {
    p = previewProgram(PROGRAM, { stack, packDir: ROOT });
    previews.set(stack, p);
  }
  return p;
}

beforeAll(async () => {
  await sim.start();
  pack = await startPack(ROOT);
}, 60_000);

afterAll(async () => {
  await pack?.client.close();
  await sim.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const k of Object.keys(process.env)) {
    if (!(k in saved)) delete process.env[k];
  }
  Object.assign(process.env, saved);
});

describe("one account: the same verdict as the preview of a program declaring the same trail", () => {
  test.each(SCENARIOS)("$name", async ({ stack, account }) => {
    const [{ run, report }, program] = await Promise.all([checkJson(account.id), preview(stack)]);
    if (account.deny === undefined) {
      expect(findings(report)).toEqual(findings(program));
    } else {
      // Where the preview waits for a deploy, the check names what could not be read and the AWS
      // error; whether AWS accepts the trail is no question for a trail AWS holds.
      const judged = (r: PreviewReport) => r.diagnostics.map((d) => `${d.policyName} [${d.enforcementLevel}] ${d.stage} ${d.resourceName}`).sort();
      expect(judged(report)).toEqual(judged(program).filter((f) => !f.startsWith("aws-cloudtrail-trail-valid-configuration ")));
      const unread = report.diagnostics.filter((d) => d.message.includes("could not be read"));
      expect(unread.map((d) => d.policyName).sort()).toEqual([
        "aws-cloudtrail-s3-object-read-events", "aws-cloudtrail-s3-object-write-events", "aws-cloudtrail-stack-has-cis-trail",
        "aws-cloudtrail-trail-meets-cis",
      ]);
      for (const d of unread) expect(d.message).toMatch(/[:,] eventSelectors could not be read \(AccessDeniedException: User: arn:aws:iam::100000000007:user\/auditor is not authorized to perform: cloudtrail:GetEventSelectors /);
      expect(JSON.stringify(report.diagnostics)).not.toMatch(/preview|deploy|pulumi up/);
    }
    expect(VERDICT_BY_CODE[run.code]).toBe(previewVerdict(program));
    expect(report.source.kind).toBe("account");
    if (report.source.kind !== "account") return;
    expect(report.source.regions).toEqual(CHECKED);
    expect(report.source.skippedRegions).toEqual(["af-south-1"]);
  }, 60_000);

  test("each trail's details are read once, in its home region, by ARN", async () => {
    sim.resetCounts();
    const { report } = await checkJson(id(1));
    const arn = `arn:aws:cloudtrail:us-east-1:${id(1)}:trail/main`;
    expect(sim.calls.filter((c) => c.action === "DescribeTrails").map((c) => c.region).sort()).toEqual(CHECKED);
    for (const action of ["GetTrailStatus", "GetEventSelectors"]) {
      expect(sim.calls.filter((c) => c.action === action)).toEqual([{ service: "cloudtrail", action, region: "us-east-1", account: id(1), trail: arn }]);
    }
    // The resource as the classic provider reads it back.
    expect(report.resources).toHaveLength(1);
    expect(report.resources[0]).toMatchObject({
      type: "aws:cloudtrail/trail:Trail",
      name: "main",
      outputs: {
        id: arn, arn, name: "main", homeRegion: "us-east-1", region: "us-east-1", s3BucketName: `cloudtrail-logs-${id(1)}`,
        enableLogging: true, isMultiRegionTrail: true, isOrganizationTrail: false, includeGlobalServiceEvents: true,
        enableLogFileValidation: false, eventSelectors: [], advancedEventSelectors: [],
      },
    });
    expect(report.resources[0].inputs).not.toHaveProperty("arn");
  });

  test("s3:ListBuckets is called only when a trail records S3 object-level events for some buckets only, once", async () => {
    const listed: Record<string, number> = {};
    for (const account of [id(1), id(9), id(10), id(11)]) {
      sim.resetCounts();
      const { report } = await checkJson(account);
      listed[account] = sim.count("ListBuckets");
      const buckets = report.resources.filter((r) => r.type === "aws:s3/bucket:Bucket");
      expect(buckets.length).toBe(listed[account] > 0 ? 2 : 0);
      for (const b of buckets) expect(b.outputs).toEqual({ id: b.name, bucket: b.name, region: expect.stringMatching(/^(eu-west-1|us-west-2|us-east-1)$/) });
      if (account === id(10)) {
        const writes = report.diagnostics.find((d) => d.policyName === "aws-cloudtrail-s3-object-write-events");
        expect(writes?.message).toContain('not for every current and future bucket, and leaves out bucket "uploads".');
      }
    }
    expect(listed).toEqual({ [id(1)]: 0, [id(9)]: 0, [id(10)]: 1, [id(11)]: 1 });
  });

  test("a refused s3:ListBuckets is named under Not judged, and the advisory verdicts leave the exit code as it was", async () => {
    const refused: SimAccount = { ...WORLD_ACCOUNTS.get(id(10)) as SimAccount, id: id(12), deny: ["ListBuckets"] };
    WORLD_ACCOUNTS.set(refused.id, { ...refused, trails: refused.trails.map((t) => ({ ...t, trail: { ...t.trail, TrailARN: t.trail.TrailARN.replace(id(10), id(12)) } })) });
    useAccount(id(12));
    const run = await check([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Not judged \(could not be read\):\n {4}the account's S3 buckets \(s3:ListAllMyBuckets\), to name those no trail records: AccessDenied: /);
    expect(run.stdout).toContain("[advisory]  aws-cloudtrail-s3-object-write-events");
  });

  test("logging stopped is read from GetTrailStatus's IsLogging: enableLogging false", async () => {
    const { report } = await checkJson(id(2));
    expect(report.resources[0].outputs.enableLogging).toBe(false);
  });

  test("an organization trail is listed with its home region and owning account", async () => {
    const { run, report } = await checkJson(id(6));
    expect(run.code).toBe(0);
    if (report.source.kind !== "account") throw new Error("not an account report");
    expect(report.source.trails).toEqual([{
      name: "org-trail", arn: `arn:aws:cloudtrail:us-east-1:${MANAGEMENT_ID}:trail/org-trail`, homeRegion: "us-east-1",
      organizationTrail: true, owner: MANAGEMENT_ID, complete: true,
    }]);
    useAccount(id(6));
    const text = await check([]);
    expect(text.stdout).toContain(`org-trail  home us-east-1, organization trail of account ${MANAGEMENT_ID}`);
  });

  test("AccessDenied on GetEventSelectors is named, not judged, exit 3", async () => {
    useAccount(id(7));
    const run = await check([]);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/Not judged \(could not be read\):\n {4}the event selectors of trail main \(cloudtrail:GetEventSelectors in us-east-1\): AccessDeniedException: /);
    expect(run.stdout).toContain("main  home us-east-1, account 100000000007, not fully read (unknown to the pack)");
  });

  test("--sarif: one valid SARIF run, its results the report's diagnostics, located in the account", async () => {
    const file = path.join(tmp, "account.sarif");
    const { run, report } = await checkJson(id(7), ["--sarif", file]);
    expect(run.code).toBe(3);
    const sarif = readSarif(file);
    expect(schemaErrors(sarif)).toEqual([]);
    expect(sarif.runs).toHaveLength(1);
    const [only] = sarif.runs;
    expect(only.automationDetails?.id).toBe(`check-account/${id(7)}/`);
    expect(only.logicalLocations).toEqual([{ name: id(7), fullyQualifiedName: id(7), kind: "namespace" }]);
    expect(only.results?.map((r) => [r.ruleId, r.message.text])).toEqual(report.diagnostics.map((d) => [d.policyName, d.message]));
    expect(run.stderr).toBe(`SARIF: wrote ${only.results?.length} results to ${file}\n`);
    for (const r of only.results ?? []) {
      // Code scanning takes only results at a file path: a path that names the account, and the trail when there is one.
      expect(r.locations).toEqual([{
        physicalLocation: { artifactLocation: { uri: expect.stringMatching(new RegExp(`^aws-account/${id(7)}(/cloudtrail/main)?$`)) }, region: { startLine: 1 } },
        logicalLocations: [expect.objectContaining({ fullyQualifiedName: expect.stringContaining(`urn:pulumi:${id(7)}::`), parentIndex: 0 })],
      }]);
      expect(r.properties).toMatchObject({ account: id(7) });
    }
    // What could not be read: the run says it did not see everything.
    expect(only.invocations).toEqual([{
      executionSuccessful: false,
      exitCode: 3,
      properties: { verdict: "not judged" },
      toolExecutionNotifications: [{ level: "warning", message: { text: expect.stringMatching(/^not judged, could not be read: the event selectors of trail main .*AccessDeniedException/) } }],
    }]);
  });

  test("a fully read compliant trail still makes the account comply beside a trail that could not be read", async () => {
    const denied: SimAccount = {
      id: id(10),
      trails: [multi(id(10)), simTrail(id(10), "audit", "eu-west-1", { IsMultiRegionTrail: true })],
      deny: ["GetEventSelectors#audit", "DescribeTrails@us-west-2"],
    };
    WORLD_ACCOUNTS.set(denied.id, denied);
    const { run, report } = await checkJson(denied.id);
    expect(run.code).toBe(0);
    if (report.source.kind !== "account") throw new Error("not an account report");
    expect(report.source.notJudged.map((f) => f.what)).toEqual([
      "the trails of region us-west-2 (cloudtrail:DescribeTrails)",
      "the event selectors of trail audit (cloudtrail:GetEventSelectors in eu-west-1)",
    ]);
    expect(report.summary.mandatory).toBe(0);
    // The S3 object-level policies could not decide on the unread trail: advisory by default, so
    // the account complies; made mandatory by the config, the account is not judged.
    expect(report.diagnostics.some((d) => d.policyName === "aws-cloudtrail-s3-object-write-events" && d.stage === "stack")).toBe(true);
    const config = path.join(tmp, "s3-writes-mandatory.json");
    fs.writeFileSync(config, JSON.stringify({ "aws-cloudtrail-s3-object-write-events": "mandatory" }));
    const strict = await checkJson(denied.id, ["--policy-pack-config", config]);
    expect({ code: strict.run.code, outcome: strict.report.summary.outcome, mandatory: strict.report.summary.mandatory })
      .toEqual({ code: 3, outcome: "not judged", mandatory: 0 });
  });

  test("an unreadable trail never makes the account comply, and a failing one read beside it still fails", async () => {
    const account: SimAccount = {
      id: id(11),
      trails: [simTrail(id(11), "regional", "us-east-1"), simTrail(id(11), "audit", "eu-west-1", { IsMultiRegionTrail: true })],
      deny: ["GetTrailStatus#audit"],
    };
    WORLD_ACCOUNTS.set(account.id, account);
    const { run, report } = await checkJson(account.id);
    expect(run.code).toBe(3);
    expect(report.summary.mandatory).toBe(0);
    account.deny = ["GetTrailStatus#audit", "GetEventSelectors#audit"];
    account.trails[1] = simTrail(id(11), "audit", "eu-west-1");
    expect((await checkJson(account.id)).run.code).toBe(1);
  });

  test("a disabled opt-in region is skipped, said, and never called", async () => {
    sim.resetCounts();
    useAccount(id(1));
    const run = await check([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Checking account 100000000001 in 3 regions\n    skipped, opt-in regions not enabled: af-south-1\n");
    expect(sim.calls.filter((c) => c.region === "af-south-1")).toEqual([]);
    // Asked for by name, it is still skipped.
    const only = await checkJson(id(1), ["--region", "af-south-1", "--region", "us-east-1"]);
    if (only.report.source.kind !== "account") throw new Error("not an account report");
    expect(only.report.source.regions).toEqual(["us-east-1"]);
    expect(only.report.source.skippedRegions).toEqual(["af-south-1"]);
    // Only a disabled region asked for: nothing to read, and it says why.
    const none = await check(["--region", "af-south-1"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe("error: nothing could be read in account 100000000001: the account's trails: no region to check is enabled (skipped: af-south-1)\n");
  });

  test("throttling is answered, the SDK's standard retry tries again, and the verdict is the compliant one", async () => {
    sim.resetCounts();
    const [{ run, report }, program] = await Promise.all([checkJson(THROTTLED.id), preview("compliant")]);
    expect(run.code).toBe(0);
    expect(findings(report)).toEqual(findings(program));
    expect(sim.count("DescribeTrails")).toBe(CHECKED.length + 2);
    expect(sim.count("GetTrailStatus")).toBe(2);
    if (report.source.kind !== "account") throw new Error("not an account report");
    expect(report.source.notJudged).toEqual([]);
  }, 60_000);

  test("endpoint, region and credentials come from a --profile in the config files", async () => {
    useAccount(id(1));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "check-account-profile-"));
    try {
      fs.writeFileSync(path.join(dir, "config"), `[profile audit]\nregion = us-west-2\nendpoint_url = ${sim.url}\n`);
      fs.writeFileSync(path.join(dir, "credentials"), `[audit]\naws_access_key_id = ${accessKeyFor(id(4))}\naws_secret_access_key = test\n`);
      delete process.env.AWS_ENDPOINT_URL;
      delete process.env.AWS_ACCESS_KEY_ID;
      delete process.env.AWS_SECRET_ACCESS_KEY;
      delete process.env.AWS_REGION;
      process.env.AWS_CONFIG_FILE = path.join(dir, "config");
      process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(dir, "credentials");
      sim.resetCounts();
      const run = await check(["--profile", "audit"]);
      expect(run.stderr).toBe("");
      expect(run.stdout).toContain("Checking account 100000000004 in 3 regions");
      expect(run.code).toBe(1);
      expect(sim.calls.find((c) => c.action === "GetCallerIdentity")?.region).toBe("us-west-2");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("AWS_ENDPOINT_URL_<SERVICE> wins over AWS_ENDPOINT_URL, service by service", async () => {
    useAccount(id(1), "http://127.0.0.1:9");
    Object.assign(process.env, { AWS_ENDPOINT_URL_STS: sim.url, AWS_ENDPOINT_URL_EC2: sim.url, AWS_ENDPOINT_URL_CLOUDTRAIL: sim.url });
    const run = await check([]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
  });

  test("no credentials: one clear line, exit 2", async () => {
    useAccount(id(1));
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const run = await check([]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/^error: no AWS credentials: CredentialsProviderError: .*\n$/);
    const json = await check(["--json"]);
    expect(json.code).toBe(2);
    const { error } = JSON.parse(json.stdout) as { error: { message: string } };
    expect(error.message).toMatch(/^no AWS credentials: CredentialsProviderError: /);
    expect(json.stderr).toBe(`error: ${error.message}\n`);
  });

  test("nothing readable at all: exit 2, naming what was refused", async () => {
    const locked: SimAccount = { id: id(12), trails: [multi(id(12))], deny: ["DescribeTrails", "DescribeRegions"] };
    WORLD_ACCOUNTS.set(locked.id, locked);
    useAccount(locked.id);
    const run = await check([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: nothing could be read in account 100000000012: .*ec2:DescribeRegions.*UnauthorizedOperation.*cloudtrail:DescribeTrails\): AccessDeniedException/);
  });
});

describe("every AWS call is bounded", () => {
  /** A local endpoint of its own, for the time the test runs. */
  async function withEndpoint<T>(world: Partial<SimWorld>, run: (url: string) => Promise<T>): Promise<T> {
    const endpoint = new SimulatedAws({ regions: REGIONS, account: (a) => WORLD_ACCOUNTS.get(a), ...world });
    const url = await endpoint.start();
    try {
      return await run(url);
    } finally {
      await endpoint.stop();
    }
  }

  test("an endpoint that never answers: each attempt gives up at --call-timeout, exit 2 naming the endpoint and the limit", async () => {
    const run = await withEndpoint({ stall: true }, async (url) => {
      useAccount(id(1), url);
      return check(["--call-timeout", "0.5"]);
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(new RegExp(
      "^error: cannot identify the caller \\(sts:GetCallerIdentity\\): TimeoutError: no answer from http://127\\.0\\.0\\.1:\\d+ " +
      "within 0\\.5s, the limit per attempt \\(--call-timeout\\); 3 attempts\n$"));
  });

  test("one region that hangs among answering ones: its calls are named under Not judged, the rest judged, exit 3", async () => {
    const account: SimAccount = { id: id(13), trails: [simTrail(id(13), "main", "eu-west-1", { IsMultiRegionTrail: true })] };
    WORLD_ACCOUNTS.set(account.id, account);
    const run = await withEndpoint({ hang: ["@eu-west-1"] }, async (url) => {
      useAccount(account.id, url);
      return check(["--call-timeout", "2.5"]);
    });
    expect(run.code).toBe(3);
    const limit = "TimeoutError: no answer from http://127\\.0\\.0\\.1:\\d+ within 2\\.5s, the limit per attempt \\(--call-timeout\\); 3 attempts";
    expect(run.stdout).toMatch(new RegExp(`Not judged \\(could not be read\\):\n {4}the trails of region eu-west-1 \\(cloudtrail:DescribeTrails\\): ${limit}\n`));
    expect(run.stdout).toMatch(new RegExp(`whether trail main is logging \\(cloudtrail:GetTrailStatus in eu-west-1\\): ${limit}\n`));
    expect(run.stdout).toMatch(new RegExp(`the event selectors of trail main \\(cloudtrail:GetEventSelectors in eu-west-1\\): ${limit}\n`));
    // The trail was listed from the regions that answered.
    expect(run.stdout).toContain("main  home eu-west-1, account 100000000013, not fully read (unknown to the pack)");
    // While the calls wait, stderr says on what.
    expect(run.stderr).toMatch(/^Waiting for AWS: [1-9]\d* calls? outstanding, the oldest CloudTrail \w+ in eu-west-1 for [1-9]\d*s \(\d+ answered\)$/m);
  });

  test("--timeout bounds the whole run, saying how far it got", async () => {
    const run = await withEndpoint({ stall: true }, async (url) => {
      useAccount(id(1), url);
      return check(["--timeout", "1", "--call-timeout", "30"]);
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("error: the check did not finish within the 1s time limit (--timeout): 0 AWS calls answered, 1 outstanding\n");
  });
});

describe("an organization", () => {
  const ORG_ID = "200000000000";
  const org = (n: number) => `2000000000${String(n).padStart(2, "0")}`;
  const readOnlyOrgTrail = simTrail(ORG_ID, "org-trail", "us-east-1", {
    IsMultiRegionTrail: true, IsOrganizationTrail: true, selectors: { EventSelectors: [{ ...ALL[0], ReadWriteType: "ReadOnly" }] },
  });
  const accounts: SimAccount[] = [
    { id: ORG_ID, name: "management", trails: [readOnlyOrgTrail] },
    { id: org(1), name: "compliant", trails: [multi(org(1))] },
    { id: org(2), name: "org-trail-only", trails: [] },
    { id: org(3), name: "stopped", trails: [multi(org(3), { isLogging: false })] },
    { id: org(4), name: "locked", trails: [multi(org(4))], deny: ["AssumeRole"] },
    { id: org(5), name: "suspended", state: "SUSPENDED", trails: [] },
    { id: org(6), name: "region-denied", trails: [multi(org(6))], deny: ["DescribeTrails@eu-west-1"] },
    { id: org(7), name: "selectors-denied", trails: [multi(org(7))], deny: ["GetEventSelectors#main"] },
  ];
  const byId = new Map(accounts.map((a) => [a.id, a]));
  const orgSim = new SimulatedAws({
    regions: REGIONS,
    account: (a) => byId.get(a),
    organization: { id: "o-exampleorgid", managementAccount: ORG_ID, accountIds: accounts.map((a) => a.id), pageSize: 3 },
  });

  beforeAll(() => orgSim.start());
  afterAll(() => orgSim.stop());

  test("a paginated organization: one verdict per account, as the preview judges the same trails, and a summary", async () => {
    useAccount(ORG_ID, orgSim.url);
    const file = path.join(tmp, "organization.sarif");
    const run = await check(["--organization", "--role-name", "OrganizationAccountAccessRole", "--json", "--concurrency", "3", "--sarif", file]);
    const out = JSON.parse(run.stdout) as {
      accounts: { account: string; name: string; verdict: string; exitCode: number; fault?: string; report?: PreviewReport }[];
      summary: Record<string, unknown>;
    };
    const verdicts = Object.fromEntries(out.accounts.map((a) => [a.name, a.verdict]));
    const [compliant, stopped] = await Promise.all([preview("compliant"), preview("stopped")]);
    expect(verdicts).toEqual({
      management: "fails", // its organization trail records only reads
      compliant: previewVerdict(compliant),
      "org-trail-only": "fails",
      stopped: previewVerdict(stopped),
      locked: "unreadable",
      "region-denied": "complies",
      "selectors-denied": "not judged",
    });
    expect(out.accounts.find((a) => a.name === "locked")?.fault).toMatch(/^cannot assume role OrganizationAccountAccessRole: AccessDenied: /);
    expect(out.summary).toMatchObject({
      accounts: 7, complies: 2, fails: 3, notJudged: 1, unreadable: 1, exitCode: 1,
      skippedCount: 1, skipped: [{ account: org(5), name: "suspended", status: "SUSPENDED" }],
    });
    expect(run.code).toBe(1);
    expect(orgSim.count("ListAccounts")).toBe(3);
    // Roles are assumed in members only, once each; the organization trail is read once for all.
    expect(orgSim.calls.filter((c) => c.action === "AssumeRole")).toHaveLength(6);
    const orgTrailReads = orgSim.calls.filter((c) => c.trail === readOnlyOrgTrail.trail.TrailARN);
    expect(orgTrailReads.map((c) => c.action).sort()).toEqual(["GetEventSelectors", "GetTrailStatus"]);
    expect(run.stderr).toMatch(/Checked 7 of 7 accounts listed so far \(3 fail, 2 not judged or unreadable\)\nSARIF: wrote /);

    // --sarif: one valid log of one run for the organization, the accounts its logical locations in the
    // order they finished, each account's results in turn and under it.
    const sarif = readSarif(file);
    expect(schemaErrors(sarif)).toEqual([]);
    expect(sarif.runs).toHaveLength(1);
    const [only] = sarif.runs;
    expect(only.automationDetails?.id).toBe("check-account/organization/o-exampleorgid/");
    expect(only.logicalLocations).toEqual(out.accounts.map((a) => ({
      name: a.account, fullyQualifiedName: a.account, kind: "namespace", decoratedName: a.name,
    })));
    expect(only.results?.map((r) => [r.properties?.account, r.ruleId, r.locations?.[0].logicalLocations?.[0].parentIndex])).toEqual(
      out.accounts.flatMap((a, i) => a.report?.diagnostics.map((d) => [a.account, d.policyName, i]) ?? []));
    expect(only.invocations?.[0].toolExecutionNotifications).toContainEqual({
      level: "error",
      message: { text: expect.stringMatching(new RegExp(`^account ${org(4)} \\(locked\\) could not be read: cannot assume role `)) },
      properties: { account: org(4), accountName: "locked" },
    });
    expect(run.stderr).toContain(`SARIF: wrote ${only.results?.length} results for 7 accounts to ${file}\n`);
  }, 60_000);

  test("text output: each account's verdict and report, then the summary", async () => {
    useAccount(ORG_ID, orgSim.url);
    const run = await check(["--organization", "--role-name", "OrganizationAccountAccessRole"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`Account ${org(1)} (compliant): complies\nChecking account ${org(1)} (compliant) in 3 regions`);
    expect(run.stdout).toContain(`Account ${org(4)} (locked): unreadable\n    cannot assume role`);
    expect(run.stdout).toMatch(/Organization: 7 accounts checked: 2 comply, 3 fail, 1 not judged, 1 could not be read\n {4}skipped 200000000005 \(suspended\): SUSPENDED\n$/);
  }, 60_000);

  test("an account name set by a member account's admin is shown escaped, never obeyed", async () => {
    const hostile = "evil\u001b]0;pwned\u0007\r\nAccount 999999999999 (fake): complies\u202e";
    const lone: SimAccount = { id: "300000000000", name: hostile, trails: [multi("300000000000")] };
    const loneSim = new SimulatedAws({
      regions: REGIONS, account: (a) => (a === lone.id ? lone : undefined),
      organization: { id: "o-exampleorgid", managementAccount: lone.id, accountIds: [lone.id], pageSize: 20 },
    });
    useAccount(lone.id, await loneSim.start());
    try {
      const text = await check(["--organization", "--role-name", "audit"]);
      expect(text.code).toBe(0);
      const escaped = "evil\\u001b]0;pwned\\u0007\\r\\nAccount 999999999999 (fake): complies\\u202e";
      expect(text.stdout).toContain(`Account ${lone.id} (${escaped}): complies\nChecking account ${lone.id} (${escaped}) in 3 regions\n`);
      expect(text.stdout).not.toMatch(/[\u001b\u0007\r\u202e]/);
      expect(text.stdout.split("\n").filter((l) => l.startsWith("Account "))).toHaveLength(1);
      const json = await check(["--organization", "--role-name", "audit", "--json"]);
      expect(json.stdout).not.toMatch(/[\u001b\u0007\r\u202e]/);
      expect((JSON.parse(json.stdout) as { accounts: { name: string }[] }).accounts[0].name).toBe(hostile);
    } finally {
      await loneSim.stop();
    }
  }, 60_000);

  test("the account check's doc names every IAM action the command was seen to call", async () => {
    orgSim.resetCounts();
    useAccount(ORG_ID, orgSim.url);
    await check(["--organization", "--role-name", "OrganizationAccountAccessRole", "--json"]);
    // The full reference, linked from the README's "Checking a live AWS account".
    const doc = fs.readFileSync(path.join(ROOT, "docs", "account-check.md"), "utf8");
    const section = (heading: string) => doc.slice(doc.indexOf(`## ${heading}\n`)).split(/\n## /)[0];
    expect(section("Permissions")).toMatch(/^## Permissions\n/);
    const actions = new Set(orgSim.calls.map((c) => `${c.service}:${c.action}`));
    expect([...actions].sort()).toEqual([
      "cloudtrail:DescribeTrails", "cloudtrail:GetEventSelectors", "cloudtrail:GetTrailStatus", "ec2:DescribeRegions",
      "organizations:ListAccounts", "sts:AssumeRole", "sts:GetCallerIdentity",
    ]);
    for (const action of actions) expect(section("Permissions")).toContain(`\`${action}\``);
    for (const option of USAGE.match(/--[a-z-]+/g) ?? []) expect(doc).toContain(option);
    for (const code of ["| 0 |", "| 1 |", "| 2 |", "| 3 |"]) expect(section("Exit codes")).toContain(code);
  });

  test("a caller that cannot list the organization: exit 2 with the reason", async () => {
    useAccount(org(1), orgSim.url);
    const file = path.join(tmp, "refused.sarif");
    const run = await check(["--organization", "--role-name", "audit", "--sarif", file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: checking the organization failed: AccessDeniedException: /);
    // No log is left that could pass for a complete one.
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith("refused"))).toEqual([]);
    // With --json, the stream already begun ends with the error, and stays one JSON object.
    const json = await check(["--organization", "--role-name", "audit", "--json"]);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toEqual({
      caller: expect.objectContaining({ account: org(1) }),
      accounts: [],
      error: { message: expect.stringMatching(/^checking the organization failed: AccessDeniedException: /) },
    });
  });
});

describe("the command line", () => {
  test("--json prints the keys --help lists, for one account and for an organization", async () => {
    const help = (await check(["--help"])).stdout.replace(/\n +/g, " ");
    const [, single, entry] = /--json +Print a JSON object \(([^)]*)\) instead of text; with --organization \{caller, accounts: \[\{([^}]*)\}\], summary\}/.exec(help) ?? [];
    const { report } = await checkJson(id(1));
    expect(Object.keys(report)).toEqual(single.split(", "));
    // An organization whose accounts between them show every key: one read, one that could not be.
    const orgSim = new SimulatedAws({
      regions: REGIONS,
      account: (a) => ({ [id(1)]: WORLD_ACCOUNTS.get(id(1)), [id(9)]: { id: id(9), trails: [], deny: ["AssumeRole"] } })[a],
      organization: { id: "o-exampleorgid", managementAccount: id(1), accountIds: [id(1), id(9)], pageSize: 20 },
    });
    useAccount(id(1), await orgSim.start());
    try {
      const out = JSON.parse((await check(["--organization", "--role-name", "audit", "--json"])).stdout) as { accounts: object[] };
      expect(Object.keys(out)).toEqual(["caller", "accounts", "summary"]);
      const shown = entry.split(", ");
      for (const a of out.accounts) expect(shown).toEqual(expect.arrayContaining(Object.keys(a)));
      expect(new Set(out.accounts.flatMap((a) => Object.keys(a)))).toEqual(new Set(shown));
      expect(out.accounts.map((a) => Object.keys((a as { report?: object }).report ?? {}))).toContainEqual(single.split(", "));
    } finally {
      await orgSim.stop();
    }
  });

  test("--help lists every option", () => {
    const listed = USAGE.split("\n").filter((l) => /^ {2}-/.test(l)).map((l) => l.trim().split(/ {2,}/)[0]);
    expect(listed).toEqual([
      "--profile <name>", "--region <name>", "--organization", "--role-name <name>", "--max-accounts <n>", "--concurrency <n>",
      "--call-timeout <seconds>", "--timeout <seconds>", "--policy-pack <dir>",
      "--policy-pack-config <file>", "--json", "--sarif <file>", "-h, --help",
    ]);
    expect(parseArgs(["-h"]).help).toBe(true);
  });

  test.each([
    [["--bogus"], /^unknown option --bogus \(see --help\)$/],
    [["extra"], /^unexpected argument extra \(see --help\)$/],
    [["--organization"], /--organization needs --role-name/],
    [["--role-name", "x"], /--role-name applies to --organization only/],
    [["--concurrency", "0"], /--concurrency needs a whole number from 1 to 64, got "0"/],
    [["--region", "Europe"], /--region needs a region name such as eu-west-1, got "Europe"/],
    [["--profile"], /^--profile needs a value \(see --help\)$/],
    [["--sarif", "--json"], /^--sarif needs a value \(see --help\)$/],
    [["--timeout", "soon"], /^--timeout needs a number of seconds, got "soon"$/],
    [["--call-timeout", "0"], /^--call-timeout needs a number of seconds, got "0"$/],
  ])("%j is refused with a clear message", (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(message);
  });

  test("bad input exits 2 with one line and no report", async () => {
    const run = await check(["--concurrency", "many"]);
    expect(run).toEqual({ code: 2, stdout: "", stderr: 'error: --concurrency needs a whole number from 1 to 64, got "many"\n' });
  });

  test("with --json, bad input is also a JSON error object on stdout, even when the parser refuses the line", async () => {
    for (const [argv, message] of [
      [["--json", "--bogus"], "unknown option --bogus (see --help)"],
      [["--json", "--organization"], "--organization needs --role-name <role to assume in each account> (see --help)"],
    ] as const) {
      const run = await check([...argv]);
      expect(run).toEqual({ code: 2, stdout: `${JSON.stringify({ error: { message } }, null, 2)}\n`, stderr: `error: ${message}\n` });
    }
  });

  test.each(["SIGINT", "SIGTERM"] as const)("%s while AWS does not answer leaves no process behind", async (signal) => {
    const stalled = new SimulatedAws({ regions: REGIONS, account: () => undefined, stall: true });
    const url = await stalled.start();
    try {
      useAccount(id(1), url);
      const child = spawn(process.execPath, [CLI], { cwd: ROOT, env: process.env, stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
      const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
      const packPid = await waitForChild(child.pid as number, "run-policy-pack");
      // The pack is up once it has its port; the check is waiting on the endpoint.
      await waitFor(() => stalled.received > 0 && isRunning(packPid));
      child.kill(signal);
      expect(await exited).toBe(signal === "SIGINT" ? 130 : 143);
      expect(stderr).toContain(`error: interrupted by ${signal}; stopped the policy pack`);
      // Killed as the command ends; the kernel may take a moment to finish it off.
      await waitFor(() => !isRunning(packPid), 1000);
    } finally {
      await stalled.stop();
    }
  }, 60_000);
});

function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

async function waitFor(ok: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The pid of `parent`'s child process whose command line contains `needle`. */
async function waitForChild(parent: number, needle: string): Promise<number> {
  let found = 0;
  await waitFor(() => {
    for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
      try {
        const ppid = Number(fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ")[1]);
        if (ppid === parent && fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(needle)) found = Number(pid);
      } catch {
        // gone already
      }
    }
    return found > 0;
  });
  return found;
}
