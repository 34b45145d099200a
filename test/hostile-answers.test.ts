// Broken or hostile inputs end cleanly, in bounded memory, with words that say what went wrong: AWS
// endpoints on 127.0.0.1 that answer fast but wrongly (a NextToken that repeats, pages that never
// end, account IDs holding control bytes, answers of hundreds of megabytes, throttling on every
// trail), damaged stack exports, and programs whose output or failure is hard to forward. Each case
// runs the real command as a user does.
import { spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import type { Log } from "sarif";

import { MAX_RESPONSE_BYTES } from "../live-account/bounds";
import { DEFAULT_MAX_ACCOUNTS, SKIPPED_SAMPLE } from "../tools/account/organization";
import { SimAccount, SimCall, SimWorld, SimulatedAws, accessKeyFor, simTrail } from "../testing/simulated-aws";
import { PreviewReport } from "../tools/preview/report";
import { MAX_STATE_BYTES } from "../tools/preview/state";
import { ROOT, preview, runCli } from "./run-cli";

const CHECK_ACCOUNT = path.join(ROOT, "bin", "tools", "account", "main.js");
const PROGRAMS = path.join(__dirname, "fixtures", "programs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hostile-answers-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A raw control character (line feeds and tabs aside), DEL, a C1 control or a bidi control. */
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

const REGIONS: SimWorld["regions"] = [
  { name: "eu-west-1", optIn: "opt-in-not-required" },
  { name: "us-east-1", optIn: "opt-in-not-required" },
  { name: "us-west-2", optIn: "opt-in-not-required" },
];
const CALLER = "300000000001";
const ALL = { EventSelectors: [{ ReadWriteType: "All", IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }] };
const compliant = (id: string): SimAccount => ({ id, trails: [simTrail(id, "main", "us-east-1", { IsMultiRegionTrail: true, selectors: ALL })] });

/** Only the variables an SDK user pointed at the endpoint would have, so nothing of this machine's AWS setup leaks in. */
function awsEnv(url: string, account = CALLER): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: tmp,
    AWS_ENDPOINT_URL: url,
    AWS_ACCESS_KEY_ID: accessKeyFor(account),
    AWS_SECRET_ACCESS_KEY: "test-secret",
    AWS_REGION: "us-east-1",
    AWS_CONFIG_FILE: path.join(tmp, "no-such-config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(tmp, "no-such-credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}

/** A world of its own per test: the accounts given, and whatever `override` answers instead. */
async function withAws<T>(world: Partial<SimWorld> & { accounts?: SimAccount[] }, run: (sim: SimulatedAws) => Promise<T>): Promise<T> {
  const accounts = new Map((world.accounts ?? [compliant(CALLER)]).map((a) => [a.id, a]));
  const sim = new SimulatedAws({ regions: REGIONS, account: (id) => accounts.get(id), ...world });
  await sim.start();
  try {
    return await run(sim);
  } finally {
    await sim.stop();
  }
}

function checkAccount(sim: SimulatedAws, args: string[] = [], account = CALLER) {
  return runCli(CHECK_ACCOUNT, args, awsEnv(sim.url, account), true);
}

function expectNoRawControl(...outputs: string[]): void {
  for (const out of outputs) expect(out).not.toMatch(RAW_CONTROL);
}

function json(res: http.ServerResponse, body: unknown, status = 200): true {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/x-amz-json-1.1", "content-length": Buffer.byteLength(text) });
  res.end(text);
  return true;
}

/** An Organizations account entry, as ListAccounts lists one. */
function listed(id: string, state = "ACTIVE", name = `account-${id}`) {
  return { Id: id, Arn: `arn:aws:organizations::${CALLER}:account/o-example/${id}`, Email: "a@example.com", Name: name, State: state, Status: state };
}

const ORG = ["--organization", "--role-name", "OrganizationAccountAccessRole"];

describe("paging: a listing that would never end stops, naming the call", () => {
  test("ListAccounts answering the same NextToken again: exit 2 at once, the token named as repeating", async () => {
    await withAws({
      override: (call, _input, res) => call.action === "ListAccounts" && json(res, { Accounts: [], NextToken: "same-token" }),
    }, async (sim) => {
      const run = await checkAccount(sim, ORG);
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(/^error: organizations:ListAccounts answered a NextToken it had already given, on page 2: the listing would never end\n$/m);
      expect(sim.count("ListAccounts")).toBe(2);
    });
  }, 60_000);

  test("pages of 1,000 SUSPENDED accounts, each with a new token: the documented default stops it, the skipped are counted and a sample named", async () => {
    let pages = 0;
    await withAws({
      override(call, _input, res) {
        if (call.action !== "ListAccounts") return false;
        pages++;
        const accounts = Array.from({ length: 1000 }, (_, i) => listed(String(400000000000 + pages * 1000 + i), "SUSPENDED"));
        return json(res, { Accounts: accounts, NextToken: `page-${pages}` });
      },
    }, async (sim) => {
      const run = await checkAccount(sim, [...ORG, "--json"]);
      expect(run.status).toBe(2);
      const limit = DEFAULT_MAX_ACCOUNTS.toLocaleString("en");
      expect(run.stderr).toBe(`error: organizations:ListAccounts listed more than ${limit} items; stopped there (raise the limit with --max-accounts)\n`);
      expect(pages).toBe(DEFAULT_MAX_ACCOUNTS / 1000 + 1);
      const out = JSON.parse(run.stdout) as { accounts: unknown[]; error: { message: string } };
      expect(out.accounts).toEqual([]);
      expect(out.error.message).toMatch(/^organizations:ListAccounts listed more than/);
    });
  }, 120_000);

  test("pages that end: every skipped account counted, only the first few named", async () => {
    await withAws({
      accounts: [compliant(CALLER)],
      override(call, input, res) {
        if (call.action !== "ListAccounts") return false;
        const page = Number(input.NextToken ?? 0);
        const accounts = Array.from({ length: 20 }, (_, i) => listed(String(400000000000 + page * 20 + i), "SUSPENDED"));
        if (page === 0) accounts[0] = listed(CALLER);
        return json(res, page < 4 ? { Accounts: accounts, NextToken: String(page + 1) } : { Accounts: accounts });
      },
    }, async (sim) => {
      const run = await checkAccount(sim, ORG);
      expect(run.status).toBe(0);
      expect(run.stdout).toContain("Organization: 1 accounts checked: 1 comply");
      expect(run.stdout.match(/^ {4}skipped 4\d{11} \(account-\d+\): SUSPENDED$/gm)).toHaveLength(SKIPPED_SAMPLE);
      expect(run.stdout).toContain(`skipped ${99 - SKIPPED_SAMPLE} more accounts not ACTIVE (the first ${SKIPPED_SAMPLE} are named)`);
    });
  }, 60_000);

  test("empty pages with a new token each time: the page ceiling stops it, and --max-accounts sets it", async () => {
    let pages = 0;
    await withAws({
      override: (call, _input, res) => call.action === "ListAccounts" && json(res, { Accounts: [], NextToken: `t${++pages}` }),
    }, async (sim) => {
      const run = await checkAccount(sim, [...ORG, "--max-accounts", "100"]);
      expect(run.status).toBe(2);
      expect(run.stderr).toBe("error: organizations:ListAccounts took more than 11 pages; stopped there (raise the limit with --max-accounts)\n");
      expect(pages).toBe(11);
    });
  }, 60_000);

  test("--max-accounts needs a whole number and --organization", async () => {
    const bad = await runCli(CHECK_ACCOUNT, [...ORG, "--max-accounts", "0"], awsEnv("http://127.0.0.1:9"), true);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toBe('error: --max-accounts needs a whole number of at least 1, got "0"\n');
    const alone = await runCli(CHECK_ACCOUNT, ["--max-accounts", "10"], awsEnv("http://127.0.0.1:9"), true);
    expect(alone.stderr).toBe("error: --max-accounts applies to --organization only\n");
  }, 60_000);
});

describe("identities: checked where they enter, never judged, printed raw or made into an ARN", () => {
  const FORGED = "\u001b]0;pwned\u0007\u001b[2J\nAccount 999999999999: complies\n";

  test("an organization account ID holding ESC, OSC, BEL and a line feed: that account could not be read, nothing forged", async () => {
    const roleArns: string[] = [];
    const override = (call: SimCall, input: Record<string, unknown>, res: http.ServerResponse) => {
      if (call.action === "AssumeRole") roleArns.push(String(input.RoleArn));
      if (call.action !== "ListAccounts") return false;
      return json(res, { Accounts: [listed(CALLER), listed(FORGED, "ACTIVE", "forger")] });
    };
    await withAws({ override }, async (sim) => {
      const text = await checkAccount(sim, ORG);
      expect(text.status).toBe(3);
      expectNoRawControl(text.stdout, text.stderr);
      expect(text.stdout).not.toMatch(/^Account 999999999999/m);
      expect(text.stdout).toContain('Account "\\u001b]0;pwned\\u0007\\u001b[2J\\nAccount 999999999999: complies\\n" (forger): unreadable');
      expect(text.stdout).toContain("organizations:ListAccounts listed \"\\u001b]0;pwned");
      expect(text.stdout).toContain("which is not 12 digits");
      expect(text.stdout).toContain("Organization: 2 accounts checked: 1 comply, 0 fail, 0 not judged, 1 could not be read");

      const asJson = await checkAccount(sim, [...ORG, "--json"]);
      expectNoRawControl(asJson.stdout, asJson.stderr);
      const out = JSON.parse(asJson.stdout) as { accounts: { account: string; verdict: string }[] };
      expect(out.accounts.map((a) => a.verdict).sort()).toEqual(["complies", "unreadable"]);
      expect(roleArns).toEqual([]);
    });
  }, 60_000);

  test.each([
    ["no Account at all", ""],
    ["a non-numeric Account", "not-an-account"],
    ["an Account with control bytes", "1234\u001b[31m5678\n9012"],
    ["eleven digits", "12345678901"],
  ])("GetCallerIdentity answering %s: exit 2, not an account ID, nothing judged", async (_name, account) => {
    const override = (call: SimCall, _input: unknown, res: http.ServerResponse) => {
      if (call.action !== "GetCallerIdentity") return false;
      const xmlAccount = account.replace(/[\u0000-\u001f]/g, (c) => `&#x${c.charCodeAt(0).toString(16)};`);
      const body = `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
        `<Arn>arn:aws:iam::${xmlAccount}:user/auditor</Arn><UserId>AIDA</UserId>${account ? `<Account>${xmlAccount}</Account>` : ""}` +
        `</GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`;
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(body);
      return true;
    };
    await withAws({ override }, async (sim) => {
      const run = await checkAccount(sim);
      expect(run.status).toBe(2);
      expect(run.stdout).toBe("");
      expectNoRawControl(run.stderr);
      expect(run.stderr).toMatch(/^error: sts:GetCallerIdentity answered .* as the caller's account, which is not a 12-digit account ID\n$/);
      expect(sim.count("DescribeTrails")).toBe(0);
    });
  }, 60_000);

  test("a trail listed with a forged ARN or home region is never read further nor judged, only named as not judged, escaped", async () => {
    const forged = simTrail(CALLER, "evil", "us-east-1", { IsMultiRegionTrail: true, selectors: ALL });
    forged.trail.TrailARN = `arn:aws:cloudtrail:us-east-1:${CALLER}:trail/evil\n\u001b[2JPolicies: passed`;
    const strayRegion = simTrail(CALLER, "stray", "us-east-1", { IsMultiRegionTrail: true, selectors: ALL });
    strayRegion.trail.HomeRegion = "127.0.0.1:9/x";
    await withAws({ accounts: [{ id: CALLER, trails: [forged, strayRegion] }] }, async (sim) => {
      const run = await checkAccount(sim);
      expectNoRawControl(run.stdout, run.stderr);
      // No trail AWS could have sent was listed: the account has no trail to comply with.
      expect(run.status).toBe(1);
      expect(run.stdout).toContain("Trails: none");
      expect(run.stdout).toContain('listed with ARN "arn:aws:cloudtrail:us-east-1:300000000001:trail/evil\\n\\u001b[2JPolicies: passed" and home region "us-east-1"');
      expect(run.stdout).toContain('home region "127.0.0.1:9/x"');
      expect(run.stdout.match(/cloudtrail:DescribeTrails in/g)).toHaveLength(2);
      expect(run.stdout).toMatch(/^ {4}FAILED {2}cis-cloudtrail@v/m);
      expect(sim.count("GetTrailStatus")).toBe(0);
    });
  }, 60_000);

  test("a region name DescribeRegions should never list is not called", async () => {
    const override = (call: SimCall, _input: unknown, res: http.ServerResponse) => {
      if (call.action !== "DescribeRegions") return false;
      res.writeHead(200, { "content-type": "text/xml" });
      res.end(`<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>1</requestId><regionInfo>` +
        `<item><regionName>us-east-1</regionName><optInStatus>opt-in-not-required</optInStatus></item>` +
        `<item><regionName>evil.example.com#</regionName><optInStatus>opt-in-not-required</optInStatus></item>` +
        `</regionInfo></DescribeRegionsResponse>`);
      return true;
    };
    await withAws({ override }, async (sim) => {
      const run = await checkAccount(sim);
      expect(run.status).toBe(0);
      expect(run.stdout).toContain('a region (ec2:DescribeRegions): listed "evil.example.com#", which is not a region name; not checked');
      expect(sim.calls.filter((c) => c.action === "DescribeTrails").map((c) => c.region)).toEqual(["us-east-1"]);
    });
  }, 60_000);
});

describe("bounded answers: an answer too large is that call's fault, refused as it arrives", () => {
  const HUGE = 200 * 1024 * 1024;

  /** DescribeTrails in us-west-2 answering 200 MB, with or without content-length; counts what it managed to send. */
  function hugeTrails(declare: boolean, sent: { bytes: number }) {
    return (call: SimCall, _input: unknown, res: http.ServerResponse): boolean => {
      if (call.action !== "DescribeTrails" || call.region !== "us-west-2") return false;
      res.writeHead(200, { "content-type": "application/x-amz-json-1.1", ...(declare ? { "content-length": HUGE } : {}) });
      const chunk = Buffer.alloc(1024 * 1024, "a");
      res.write('{"trailList":[{"Name":"big","S3BucketName":"');
      const pump = () => {
        while (sent.bytes < HUGE - 1024 * 1024 && !res.destroyed) {
          sent.bytes += chunk.length;
          if (!res.write(chunk)) return void res.once("drain", pump);
        }
        if (!res.destroyed) res.end('"}]}');
      };
      res.on("close", () => undefined);
      pump();
      return true;
    };
  }

  test.each([
    ["with content-length", true],
    ["chunked, no content-length", false],
  ])("DescribeTrails answering 200 MB (%s): that region not read, the call and endpoint named, the rest judged", async (_name, declare) => {
    const sent = { bytes: 0 };
    await withAws({ override: hugeTrails(declare, sent) }, async (sim) => {
      const run = await checkAccount(sim);
      // The multi-region trail is read in the other regions, fully: the account complies, as when a region is denied.
      expect(run.status).toBe(0);
      expect(run.stdout).toContain("Not judged (could not be read):");
      expect(run.stdout).toContain(`the trails of region us-west-2 (cloudtrail:DescribeTrails): ResponseTooLarge: the answer to CloudTrail:DescribeTrails from ${sim.url} ` +
        `is larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB`);
      expect(run.stdout).toContain("main  home us-east-1");
      expect(run.stdout).not.toContain("the policy pack failed");
      // Refused as it came: the sender was cut off long before the end.
      expect(sent.bytes).toBeLessThan(HUGE / 2);
    });
  }, 120_000);
});

describe("a verdict that depends on what could not be read headlines 'not judged'", () => {
  test("every trail read throttled: exit 3, 'not judged' in the text, the JSON summary and the SARIF invocation", async () => {
    const account: SimAccount = { ...compliant(CALLER), throttle: { GetTrailStatus: 1000, GetEventSelectors: 1000 } };
    await withAws({ accounts: [account] }, async (sim) => {
      const text = await checkAccount(sim);
      expect(text.status).toBe(3);
      expect(text.stdout).toMatch(/^ {4}not judged {2}cis-cloudtrail@v\d/m);
      expect(text.stdout).not.toMatch(/passed {2}cis-cloudtrail/);

      const file = path.join(tmp, "throttled.sarif");
      const asJson = await checkAccount(sim, ["--json", "--sarif", file]);
      expect(asJson.status).toBe(3);
      expect((JSON.parse(asJson.stdout) as PreviewReport).summary.outcome).toBe("not judged");
      const [invocation] = (JSON.parse(fs.readFileSync(file, "utf8")) as Log).runs[0].invocations ?? [];
      expect(invocation).toMatchObject({ executionSuccessful: false, exitCode: 3, properties: { verdict: "not judged" } });
    });
  }, 120_000);
});

describe("stack exports", () => {
  const trail = (urn: string, multiRegion: boolean) => ({
    urn, custom: true, type: "aws:cloudtrail/trail:Trail",
    inputs: { name: "main", s3BucketName: "logs", isMultiRegionTrail: multiRegion, includeGlobalServiceEvents: true, enableLogging: true },
    outputs: { name: "main", s3BucketName: "logs", isMultiRegionTrail: multiRegion, includeGlobalServiceEvents: true, enableLogging: true },
  });
  const URN = "urn:pulumi:dev::audit::aws:cloudtrail/trail:Trail::main";

  test.each([["compliant first", [true, false]], ["noncompliant first", [false, true]]])(
    "two resources with the same URN (%s): exit 2, an invalid export naming the URN",
    async (_name, order) => {
      const file = path.join(tmp, `duplicate-${order.join("-")}.json`);
      fs.writeFileSync(file, JSON.stringify({ version: 3, deployment: { resources: order.map((m) => trail(URN, m)) } }));
      const run = await preview(["--state", file]);
      expect(run.status).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe(`error: ${file} is an invalid export: two resources have the URN ${URN}\n`);
    }, 60_000);

  test("a resource pending deletion beside its replacement is no duplicate", async () => {
    const file = path.join(tmp, "replacement.json");
    fs.writeFileSync(file, JSON.stringify({ version: 3, deployment: { resources: [{ ...trail(URN, false), delete: true }, trail(URN, true)] } }));
    const run = await preview(["--state", file]);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
  }, 60_000);

  test("a 2 GB export is refused before it is read, naming its size and the limit", async () => {
    const file = path.join(tmp, "huge.json");
    fs.writeFileSync(file, "{");
    fs.truncateSync(file, 2 * 1024 * 1024 * 1024);
    const run = await preview(["--state", file]);
    expect(run.status).toBe(2);
    expect(run.stderr).toBe(`error: ${file} is 2048.0 MiB, larger than the ${(MAX_STATE_BYTES / 1024 / 1024).toFixed(1)} MiB a stack export may be here; not read\n`);
  }, 60_000);

  test("a syntax error is named by its byte offset, counting multi-byte characters as bytes", async () => {
    const file = path.join(tmp, "broken.json");
    const text = '{"version": 3, "deployment": {"resources": [{"urn": "é€😀", x}]}}';
    fs.writeFileSync(file, text);
    const run = await preview(["--state", file]);
    expect(run.status).toBe(2);
    const offset = Buffer.byteLength(text.slice(0, text.indexOf("x")));
    expect(offset).toBe(text.indexOf("x") + 1 + 2 + 2);
    expect(run.stderr).toMatch(new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not valid JSON at byte ${offset}: (Expected double-quoted property name|Unexpected token 'x')`));
    const truncated = path.join(tmp, "truncated.json");
    fs.writeFileSync(truncated, '{"version": 3');
    expect((await preview(["--state", truncated])).stderr).toBe(`error: ${truncated} is not valid JSON at byte 13: Expected ',' or '}' after property value\n`);
  }, 60_000);
});

describe("programs", () => {
  test("a program that writes 100 MiB to stdout: all of it forwarded to stderr, the last line whole, to a slow reader", async () => {
    const child = spawn(process.execPath, [path.join(ROOT, "bin", "tools", "preview", "main.js"), path.join(PROGRAMS, "loud-js")], { cwd: ROOT });
    let bytes = 0;
    let tail = "";
    child.stderr.on("data", (c: Buffer) => {
      bytes += c.length;
      tail = (tail + c.toString("latin1")).slice(-200);
    });
    // A reader that takes stderr only after the report is out: the command must not exit with
    // forwarded output still queued for it.
    child.stderr.pause();
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes("Policies:")) child.stderr.resume();
    });
    const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(status).toBe(1);
    expect(stdout).toContain("Policies: 1 mandatory violation");
    expect(bytes).toBeGreaterThanOrEqual(100 * 1024 * 1024);
    expect(tail).toContain("the last line of 100 MiB, whole\n");
  }, 120_000);

  test.each([
    ["an Error whose message and name getters throw", "throwing-getter"],
    ["a Proxy that throws on every read", "proxy"],
  ])("a program rejecting with %s: the program failed, exit 2", async (_name, kind) => {
    const run = await preview([path.join(PROGRAMS, "undescribable-js")], { UNDESCRIBABLE_KIND: kind });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^error: the program failed/m);
    expect(run.stderr).not.toContain("process.exit");
  }, 60_000);
});
