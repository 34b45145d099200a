// The S3 object-level logging table (test/object-logging-cases.ts) in the other two sources the
// pack judges: a `pulumi stack export` read by the preview's export reader, and a live account
// read by check-account from a local endpoint speaking CloudTrail's wire protocol. Each must give
// the table's verdict, as the Analyzer-protocol run of the same table does (object-logging.test.ts).
// An account cannot hold a trail AWS rejects, nor a value unknown until deploy: those cases are
// the preview's alone and are left out of the account's run.
import * as path from "path";

import { StartedPack } from "../tools/account/main";
import { analyzeWith, buildReport, parseStateExport } from "../tools/preview/index";
import { PreviewReport } from "../tools/preview/report";
import { SimAccount, SimulatedAws, simTrail } from "../testing/simulated-aws";
import { startPack } from "../tools/preview/analyze";
import { runAccountCheck, useAccount } from "./account-run";
import { Expected, OBJECT_CASES, ObjectCase } from "./object-logging-cases";
import type { ClassicTrailProps } from "./unit/fixtures";
import { UNKNOWN } from "./unit/fixtures";

const ROOT = path.join(__dirname, "..");
const WRITES = "aws-cloudtrail-s3-object-write-events";
const READS = "aws-cloudtrail-s3-object-read-events";
const TRAIL_TYPE = "aws:cloudtrail/trail:Trail";

/** What one policy said, in the table's terms (as object-logging.test.ts reads the Analyzer's answer). */
function outcome(report: PreviewReport, policy: string): Expected {
  const found = report.diagnostics.filter((d) => d.policyName === policy);
  if (found.length === 0) return "compliant";
  expect(found).toHaveLength(1);
  expect(found[0].enforcementLevel).toBe("advisory");
  const message = found[0].message.slice(found[0].message.indexOf("\n") + 1);
  if (message.startsWith("No trail is known")) return "unknown";
  const gaps = /^Trail "main" (.*?)\. To fix: /.exec(message);
  return gaps ? gaps[1] : message;
}

// ---- the export ----

function exportOf(props: ClassicTrailProps): string {
  const urn = `urn:pulumi:dev::audit::${TRAIL_TYPE}::main`;
  const state = { ...props, arn: "arn:aws:cloudtrail:us-east-1:123456789012:trail/main", name: "main" };
  return JSON.stringify({
    version: 3,
    deployment: {
      manifest: { time: "2026-01-01T00:00:00.000Z", magic: "", version: "v3.200.0" },
      resources: [
        { urn: "urn:pulumi:dev::audit::pulumi:pulumi:Stack::audit-dev", custom: false, type: "pulumi:pulumi:Stack" },
        { urn, custom: true, id: "main", type: TRAIL_TYPE, inputs: props, outputs: state },
      ],
    },
  });
}

// ---- the account: the trail as CloudTrail's API returns it ----

const OPERATOR_KEYS: Record<string, string> = {
  equals: "Equals", notEquals: "NotEquals", startsWiths: "StartsWith", notStartsWiths: "NotStartsWith",
  endsWiths: "EndsWith", notEndsWiths: "NotEndsWith",
};

/** GetEventSelectors' answer for the classic provider's properties (absent selectors: AWS's default). */
function selectorsOf(props: ClassicTrailProps): NonNullable<Parameters<typeof simTrail>[3]>["selectors"] {
  if (props.advancedEventSelectors) {
    return {
      AdvancedEventSelectors: props.advancedEventSelectors.map((s, i) => ({
        Name: `selector ${i}`,
        FieldSelectors: s.fieldSelectors.map((f) => {
          const out: Record<string, unknown> = { Field: f.field };
          for (const [key, awsKey] of Object.entries(OPERATOR_KEYS)) {
            const values = (f as Record<string, unknown>)[key];
            if (Array.isArray(values) && values.length > 0) out[awsKey] = values;
          }
          return out;
        }),
      })),
    } as never;
  }
  const basic = props.eventSelectors ?? [{}];
  return {
    EventSelectors: basic.map((s) => ({
      ReadWriteType: s.readWriteType ?? "All",
      IncludeManagementEvents: s.includeManagementEvents ?? true,
      DataResources: (s.dataResources ?? []).map((r) => ({ Type: r.type, Values: r.values })),
      ExcludeManagementEventSources: s.excludeManagementEventSources ?? [],
    })),
  };
}

/** Whether a live account can hold the case's trail: AWS accepted it, and nothing waits for a deploy. */
const holdable = (c: ObjectCase) => !JSON.stringify(c.trail).includes(UNKNOWN)
  && ![c.write, c.read].some((e) => e === "unknown" || e.startsWith("has a configuration AWS rejects"));
const ACCOUNT_CASES = OBJECT_CASES.filter(holdable).map((c, i) => ({ ...c, account: `2000000000${String(i).padStart(2, "0")}` }));

const ACCOUNTS = new Map<string, SimAccount>(ACCOUNT_CASES.map(({ trail, account }) => [account, {
  id: account,
  buckets: [{ name: "audit-logs", region: "us-east-1" }, { name: "customer-data", region: "us-east-1" }],
  trails: [simTrail(account, "main", "us-east-1", {
    IsMultiRegionTrail: trail.isMultiRegionTrail === true,
    S3BucketName: "audit-logs",
    isLogging: trail.enableLogging !== false,
    selectors: selectorsOf(trail),
  })],
}]));

const sim = new SimulatedAws({
  regions: [{ name: "us-east-1", optIn: "opt-in-not-required" }, { name: "us-west-2", optIn: "opt-in-not-required" }],
  account: (a) => ACCOUNTS.get(a),
});
let pack: StartedPack;
const saved = { ...process.env };

beforeAll(async () => {
  await sim.start();
  pack = await startPack(ROOT);
}, 60_000);

afterAll(async () => {
  await pack?.client.close();
  await sim.stop();
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
});

describe("a stack export: the table's verdicts", () => {
  test.each(OBJECT_CASES)("$name", async ({ trail, write, read }) => {
    const state = parseStateExport(exportOf(trail), "stack.json");
    const run = await analyzeWith(pack.client, pack.dir, state.resources, {
      packDir: pack.dir, stack: state.stack, project: state.project, organization: "organization", applyRemediations: false,
    });
    const report = buildReport({ kind: "state", file: "stack.json", project: state.project, stack: state.stack }, run, state.warnings);
    expect({ write: outcome(report, WRITES), read: outcome(report, READS) }).toEqual({ write, read });
  });
});

/**
 * An account's buckets can be listed, so where a trail records some buckets only, the verdict also
 * names the account's buckets it leaves out; the rest of the verdict is the table's.
 */
function accountOutcome(said: Expected): Expected {
  const left = /^(.* only for some buckets or objects .*), and leaves out (buckets? "[^"]+"(?: and "[^"]+")*)$/.exec(said);
  if (!left) return said;
  expect(["bucket \"audit-logs\"", "bucket \"customer-data\"", "buckets \"audit-logs\" and \"customer-data\""]).toContain(left[2]);
  return left[1];
}

describe("a live account: the table's verdicts, through check-account", () => {
  test("the cases an account can hold are most of the table", () => {
    expect(ACCOUNT_CASES.length).toBeGreaterThanOrEqual(OBJECT_CASES.length - 10);
  });

  test.each(ACCOUNT_CASES)("$name", async ({ account, write, read }) => {
    useAccount(sim.url, account);
    const { code, stdout, stderr } = await runAccountCheck(["--json"], pack);
    expect(stderr).toBe("");
    const report = JSON.parse(stdout) as PreviewReport;
    expect(report.source.kind).toBe("account");
    expect({ write: accountOutcome(outcome(report, WRITES)), read: accountOutcome(outcome(report, READS)) }).toEqual({ write, read });
    // The S3 policies are advisory: they never decide the exit status.
    expect([0, 1]).toContain(code);
  });
});
