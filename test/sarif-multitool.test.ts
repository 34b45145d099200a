// The SARIF files both commands write, as GitHub code scanning takes them: Microsoft's SARIF
// Multitool (the reference validator, installed from npm as a devDependency) reports nothing with
// its SARIF and GitHub rules, for the preview, one account, and organizations of 1, 7 and 25
// accounts; and what code scanning itself demands beyond the Multitool's checks holds: at most 20
// runs a file, and every result at a relative file path with a line.
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pathToFileURL } from "url";
import type { Log, Result } from "sarif";
import multitoolBinary from "@microsoft/sarif-multitool";

import { SimulatedAws } from "../testing/simulated-aws";
import { CliResult, ROOT, preview, runCli } from "./run-cli";
import { schemaErrors } from "./sarif-schema";
import { MANAGEMENT, ORGANIZATION_ID, Verdict, accountId, awsEnv, organization, verdictOf } from "../testing/simulated-organization";

const CHECK_ACCOUNT = path.join(ROOT, "bin", "tools", "account", "main.js");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sarif-multitool-test-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/**
 * The Multitool's binary. Its package's postinstall only sets the executable bit, which its tarball
 * already carries; the install runs no dependency's script (package.json allowScripts), so the bit
 * is set here should a version ship without it.
 */
function multitool(): string {
  const binary = multitoolBinary;
  const mode = fs.statSync(binary).mode;
  if ((mode & 0o100) === 0) fs.chmodSync(binary, mode | 0o100);
  return binary;
}

/**
 * `sarif-multitool validate --rule-kind "Sarif;Gh"` over the files, in one run (the .NET start is
 * most of its time), read back from its own SARIF log: each file's findings, one line each
 * ("GH1013 error: runs | ..."). The Multitool's own failures (a file it could not read, a rule that
 * crashed) reject.
 */
function validate(files: string[]): Promise<Map<string, string[]>> {
  const out = path.join(tmp, "validation.sarif");
  return new Promise((resolve, reject) => {
    // The binary needs ICU unless told to run without it; this machine may have none.
    const env = { ...process.env, DOTNET_SYSTEM_GLOBALIZATION_INVARIANT: "1", DOTNET_CLI_TELEMETRY_OPTOUT: "1" };
    execFile(multitool(), ["validate", "--rule-kind", "Sarif;Gh", "--output", out, ...files], { env, timeout: 240_000 }, (err, stdout, stderr) => {
      if (!fs.existsSync(out)) {
        reject(new Error(`the Multitool wrote no log (${err?.message}): ${stdout}${stderr}`));
        return;
      }
      const [run] = (JSON.parse(fs.readFileSync(out, "utf8")) as Log).runs;
      const failures = (run.invocations ?? []).flatMap((i) => [...(i.toolExecutionNotifications ?? []), ...(i.toolConfigurationNotifications ?? [])])
        .filter((n) => n.level === "error");
      if (failures.length > 0) {
        reject(new Error(`the Multitool failed: ${failures.map((n) => n.message.text).join("; ")}`));
        return;
      }
      const found = new Map(files.map((f) => [pathToFileURL(f).href, [] as string[]]));
      for (const r of run.results ?? []) {
        const uri = r.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? "";
        found.get(uri)?.push(`${r.ruleId} ${r.level ?? "warning"}: ${(r.message.arguments ?? [r.message.text]).join(" | ")}`);
      }
      resolve(new Map(files.map((f) => [f, found.get(pathToFileURL(f).href) ?? []])));
    });
  });
}

/** What code scanning's upload refuses or drops: more than 20 runs, a result not at a relative file path with a line. */
function codeScanningProblems(log: Log): string[] {
  const problems = log.runs.length > 20 ? [`${log.runs.length} runs, more than code scanning's 20`] : [];
  for (const [i, run] of log.runs.entries()) {
    for (const [j, r] of (run.results ?? []).entries()) {
      const where = r.locations?.[0]?.physicalLocation;
      const uri = where?.artifactLocation?.uri ?? "";
      if (!uri || /^[a-z][a-z0-9+.-]*:/i.test(uri) || !(where?.region?.startLine ?? 0)) {
        problems.push(`runs[${i}].results[${j}] is not at a relative file path with a line: ${JSON.stringify(r.locations)}`);
      }
    }
  }
  return problems;
}

function readLog(file: string): Log {
  expect(fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith(`${path.basename(file)}.partial`))).toEqual([]);
  return JSON.parse(fs.readFileSync(file, "utf8")) as Log;
}

interface Written {
  run: CliResult;
  file: string;
  log: Log;
}

/** check-account against a simulated organization of `size` accounts, as `account`, with --sarif. */
async function checkAccount(size: number, args: string[], account = MANAGEMENT): Promise<Written> {
  const sim = new SimulatedAws(organization(size));
  const url = await sim.start();
  try {
    const file = path.join(tmp, `check-${size}-${args.length}.sarif`);
    const run = await runCli(CHECK_ACCOUNT, ["--sarif", file, ...args], awsEnv(url, account), true);
    return { run, file, log: readLog(file) };
  } finally {
    await sim.stop();
  }
}

async function previewSarif(args: string[]): Promise<Written> {
  const file = path.join(tmp, `preview-${args.length}.sarif`);
  const run = await preview(["--sarif", file, ...args]);
  return { run, file, log: readLog(file) };
}

/** What must show in the Multitool's report, so that a clean report means something: 21 runs, rules named as their ids. */
function brokenLog(): string {
  const file = path.join(tmp, "broken.sarif");
  const rule = { id: "r", name: "r", shortDescription: { text: "a" }, fullDescription: { text: "a" }, help: { text: "a" } };
  const run = { tool: { driver: { name: "x", informationUri: "https://example.com", version: "1", rules: [rule] } }, results: [] };
  fs.writeFileSync(file, JSON.stringify({ $schema: "https://json.schemastore.org/sarif-2.1.0.json", version: "2.1.0", runs: Array(21).fill(run) }));
  return file;
}

const SIZES = [1, 7, 25];
const orgArgs = (size: number) => ["--organization", "--role-name", "audit", "--concurrency", String(Math.min(size, 4))];

/** Every file, written one command at a time (each starts a pack), then validated in one Multitool run. */
const written = (async () => {
  const previews = {
    program: await previewSarif([path.join(__dirname, "fixtures", "programs", "noncompliant-ts")]),
    state: await previewSarif(["--state", path.join(__dirname, "fixtures", "states", "noncompliant.json")]),
  };
  const account = await checkAccount(2, [], accountId(1));
  const organizations = new Map<number, Written>();
  // 25 accounts over two pages of ListAccounts: more than code scanning's 20 runs, had there been one an account.
  for (const size of SIZES) organizations.set(size, await checkAccount(size, orgArgs(size)));
  const broken = brokenLog();
  const files = [previews.program, previews.state, account, ...organizations.values()].map((w) => w.file);
  const findings = await validate([broken, ...files]);
  return { previews, account, organizations, broken, findings };
})();
written.catch(() => undefined);

const SLOW = 600_000;
const accountOf = (r: Result) => r.properties?.account as string;

describe("the SARIF Multitool", () => {
  test("reports what breaks GitHub's rules and the SARIF spec's, so a clean report means something", async () => {
    const { broken, findings } = await written;
    expect(findings.get(broken)).toContainEqual(expect.stringMatching(/^GH1013 error: /));
    expect(findings.get(broken)).toContainEqual(expect.stringMatching(/^SARIF1001 warning: runs\[0\]\.tool\.driver\.rules\[0\] \| r$/));
  }, SLOW);
});

describe("the preview's SARIF", () => {
  test.each([["a program", "program"], ["a stack export", "state"]] as const)("of %s: nothing for the Multitool to report, and stderr says what was written", async (_, what) => {
    const { previews, findings } = await written;
    const { run, file, log } = previews[what];
    expect(run.status).toBe(1);
    const results = log.runs[0].results ?? [];
    expect(results.length).toBeGreaterThan(0);
    expect(run.stderr).toBe(`SARIF: wrote ${results.length} results to ${file}\n`);
    expect(schemaErrors(log)).toEqual([]);
    expect(codeScanningProblems(log)).toEqual([]);
    expect(findings.get(file)).toEqual([]);
  }, SLOW);
});

describe("check-account's SARIF", () => {
  test("of one account: one run in the account's category, nothing for the Multitool to report", async () => {
    const { account: { run, file, log }, findings } = await written;
    expect(run.status).toBe(1);
    expect(log.runs).toHaveLength(1);
    const [only] = log.runs;
    expect(only.automationDetails?.id).toBe(`check-account/${accountId(1)}/`);
    expect(only.results?.map((r) => r.locations?.[0]?.physicalLocation?.artifactLocation?.uri)).toContain(`aws-account/${accountId(1)}/cloudtrail/main`);
    expect(run.stderr).toBe(`SARIF: wrote ${only.results?.length} results to ${file}\n`);
    expect(codeScanningProblems(log)).toEqual([]);
    expect(findings.get(file)).toEqual([]);
  }, SLOW);

  test.each(SIZES)("of an organization of %i: one run in the organization's category, nothing for the Multitool to report", async (size) => {
    const { organizations, findings } = await written;
    const { run, file, log } = organizations.get(size)!;
    expect(run.status).toBe(size === 1 ? 0 : 1);
    expect(log.runs).toHaveLength(1);
    const [only] = log.runs;
    expect(only.automationDetails?.id).toBe(`check-account/organization/${ORGANIZATION_ID}/`);
    expect(only.logicalLocations?.map((l) => l.fullyQualifiedName).sort()).toEqual(Array.from({ length: size }, (_, n) => accountId(n)).sort());
    expect(run.stderr).toMatch(new RegExp(`\nSARIF: wrote ${only.results?.length} results for ${size} accounts? to ${file}\n$`));
    expect(schemaErrors(log)).toEqual([]);
    expect(codeScanningProblems(log)).toEqual([]);
    expect(findings.get(file)).toEqual([]);
  }, SLOW);

  test("every failing account has an error-level result naming it, no other account has one", async () => {
    const [only] = (await written).organizations.get(25)!.log.runs;
    const failing = Array.from({ length: 25 }, (_, n) => n).filter((n) => verdictOf(n) === "fails").map(accountId);
    const errors = new Set((only.results ?? []).filter((r) => r.level === "error").map(accountOf));
    expect([...errors].sort()).toEqual(failing.sort());
    for (const r of only.results ?? []) {
      const account = accountOf(r);
      // The account names the result three ways: in its path, its logical location's parent, its properties.
      expect(r.locations?.[0]?.physicalLocation?.artifactLocation?.uri).toMatch(new RegExp(`^aws-account/${account}(/|$)`));
      const parent = only.logicalLocations?.[r.locations?.[0]?.logicalLocations?.[0]?.parentIndex ?? -1];
      expect(parent).toEqual({ name: account, fullyQualifiedName: account, kind: "namespace", decoratedName: `team-${Number(account) - Number(MANAGEMENT)}` });
      expect(r.properties?.accountName).toBe(parent?.decoratedName);
    }
  }, SLOW);

  test("accounts that could not be read are the run's notifications, errors naming them; what was not judged, warnings", async () => {
    const [only] = (await written).organizations.get(25)!.log.runs;
    const [invocation] = only.invocations ?? [];
    expect(invocation.executionSuccessful).toBe(false);
    const notices = invocation.toolExecutionNotifications ?? [];
    const ids = (verdict: Verdict) => Array.from({ length: 25 }, (_, n) => n).filter((n) => verdictOf(n) === verdict).map(accountId).sort();
    const named = (level: string) => notices.filter((n) => n.level === level).map((n) => n.properties?.account as string).sort();
    expect(named("error")).toEqual(ids("unreadable"));
    expect(named("warning")).toEqual(ids("not judged"));
    expect(notices.find((n) => n.level === "error")?.message.text).toMatch(/^account \d{12} \(team-\d+\) could not be read: cannot assume role audit: AccessDenied/);
  }, SLOW);

  test("fingerprints are one per account, policy and resource, the same in a larger organization", async () => {
    const { organizations } = await written;
    const prints = (log: Log) => new Map((log.runs[0].results ?? []).map((r) => [`${accountOf(r)} ${r.ruleId} ${r.properties?.urn}`, r.partialFingerprints?.primaryLocationLineHash]));
    const [small, large] = [prints(organizations.get(7)!.log), prints(organizations.get(25)!.log)];
    expect(small.size).toBe(organizations.get(7)!.log.runs[0].results?.length);
    expect(new Set(small.values()).size).toBe(small.size);
    for (const [key, print] of small) expect(large.get(key)).toBe(print);
  }, SLOW);

  test("a check that fails leaves no file and no pieces of one", async () => {
    const sim = new SimulatedAws(organization(3));
    const url = await sim.start();
    try {
      const file = path.join(tmp, "refused.sarif");
      // A member account's caller cannot list the organization.
      const run = await runCli(CHECK_ACCOUNT, ["--organization", "--role-name", "audit", "--sarif", file], awsEnv(url, accountId(1)), true);
      expect(run.status).toBe(2);
      expect(run.stderr).not.toContain("SARIF: wrote");
      expect(fs.readdirSync(tmp).filter((f) => f.startsWith("refused"))).toEqual([]);
    } finally {
      await sim.stop();
    }
  }, SLOW);
});
