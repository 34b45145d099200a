// The library another pack imports: the selection helper's criteria as Pulumi's policy manager
// applies them (any value within a criterion, every criterion given), the level it sets, and an
// entry that loads without starting a policy pack.
import { spawnSync } from "child_process";
import * as path from "path";
import { EnforcementLevel } from "@pulumi/policy";
import * as library from "../../library";
import { policies, policyMetadata, selectPolicies } from "../../library";

const ROOT = path.join(__dirname, "..", "..");
const names = (selected: { name: string }[]) => selected.map((p) => p.name);
const ALL = names([...policies]);

describe("policyMetadata: what a policy is selected by, read from the policy itself", () => {
  test.each([
    ["aws-cloudtrail-stack-has-cis-trail", "high", ["logging"], ["cis", "securityhub"]],
    ["aws-cloudtrail-trail-valid-configuration", "high", ["validation"], ["cis"]],
    ["aws-cloudtrail-trail-meets-cis", "medium", ["logging"], ["cis"]],
    ["aws-cloudtrail-trail-log-file-validation", "medium", ["integrity"], ["cis"]],
    ["aws-cloudtrail-trail-kms-encryption", "medium", ["encryption"], ["cis"]],
    ["aws-cloudtrail-trail-cloudwatch-logs", "low", ["monitoring"], ["cis"]],
    ["aws-cloudtrail-s3-object-write-events", "medium", ["s3", "data-events"], ["cis", "securityhub"]],
    ["aws-cloudtrail-s3-object-read-events", "medium", ["s3", "data-events"], ["cis", "securityhub"]],
  ])("%s: vendor aws, service cloudtrail, severity %s, topics %j, frameworks %j", (name, severity, topics, frameworks) => {
    const policy = policies.find((p) => p.name === name);
    if (!policy) throw new Error(`no policy ${name}`);
    expect(policyMetadata(policy)).toEqual({ vendors: ["aws"], services: ["cloudtrail"], severity, topics, frameworks });
  });

  test("every policy has a vendor, a service, a severity and a framework to be selected by", () => {
    const incomplete = policies.filter((p) => {
      const meta = policyMetadata(p);
      return !meta.vendors[0] || !meta.services[0] || !meta.severity || meta.frameworks.length === 0;
    });
    expect(names([...incomplete])).toEqual([]);
  });
});

describe("selectPolicies", () => {
  test("no criterion, or empty lists, select every policy in the pack's order", () => {
    expect(names(selectPolicies())).toEqual(ALL);
    expect(names(selectPolicies({ vendors: [], services: [], severities: [], topics: [], frameworks: [] }))).toEqual(ALL);
  });

  test("values within a criterion are alternatives", () => {
    expect(names(selectPolicies({ severities: ["high", "low"] }))).toEqual([
      "aws-cloudtrail-stack-has-cis-trail", "aws-cloudtrail-trail-valid-configuration", "aws-cloudtrail-trail-cloudwatch-logs",
    ]);
  });

  test("criteria together must all match", () => {
    expect(names(selectPolicies({ topics: ["logging"], severities: ["medium"] }))).toEqual(["aws-cloudtrail-trail-meets-cis"]);
    expect(names(selectPolicies({ frameworks: ["securityhub"], services: ["cloudtrail"] }))).toEqual([
      "aws-cloudtrail-stack-has-cis-trail", "aws-cloudtrail-s3-object-write-events", "aws-cloudtrail-s3-object-read-events",
    ]);
  });

  test("criteria are case-insensitive", () => {
    expect(names(selectPolicies({ vendors: ["AWS"], services: ["CloudTrail"], topics: ["Encryption"], severities: ["MEDIUM" as "medium"] })))
      .toEqual(["aws-cloudtrail-trail-kms-encryption"]);
  });

  test("a value no policy has selects nothing", () => {
    expect(selectPolicies({ vendors: ["azure"] })).toEqual([]);
    expect(selectPolicies({ services: ["s3"], topics: ["logging"] }).filter((p) => p.name.startsWith("aws-cloudtrail-"))).toEqual([]);
    expect(selectPolicies({ frameworks: ["s3"] })).toEqual([]);
  });

  test("s3 is a topic, not a framework: it selects the object-level logging policies", () => {
    expect(names(selectPolicies({ topics: ["s3"] }))).toEqual(["aws-cloudtrail-s3-object-write-events", "aws-cloudtrail-s3-object-read-events"]);
  });

  test("without a level, each policy keeps its own; with one, every selected policy has it", () => {
    expect(selectPolicies().map((p) => p.enforcementLevel)).toEqual(policies.map((p) => p.enforcementLevel));
    for (const level of ["advisory", "mandatory", "disabled"] as EnforcementLevel[]) {
      expect(new Set(selectPolicies({}, level).map((p) => p.enforcementLevel))).toEqual(new Set([level]));
    }
  });

  test("remediate applies where a policy can remediate; the others become mandatory", () => {
    const levels = Object.fromEntries(selectPolicies({}, "remediate").map((p) => [p.name, p.enforcementLevel]));
    expect(levels["aws-cloudtrail-trail-meets-cis"]).toBe("remediate");
    expect(Object.entries(levels).filter(([name, level]) => name !== "aws-cloudtrail-trail-meets-cis" && level !== "mandatory")).toEqual([]);
  });

  test("returns copies: the library's policies keep their levels, and the copy runs the same validation", () => {
    const before = policies.map((p) => p.enforcementLevel);
    const [copy] = selectPolicies({ severities: ["low"] }, "mandatory");
    expect(policies.map((p) => p.enforcementLevel)).toEqual(before);
    const original = policies.find((p) => p.name === copy.name);
    expect(copy).not.toBe(original);
    expect(copy).toEqual({ ...original, enforcementLevel: "mandatory" });
  });

  test.each([
    [{ service: ["cloudtrail"] }, undefined, 'selectPolicies: unknown criterion "service"; the criteria are vendors, services, severities, topics, frameworks'],
    [{ topics: "logging" }, undefined, "selectPolicies: topics must be a list of strings"],
    [{ severities: ["severe"] }, undefined, 'selectPolicies: unknown severity "severe"; the severities are low, medium, high, critical'],
    [["aws"], undefined, "selectPolicies: the selection must be an object with any of vendors, services, severities, topics, frameworks"],
    [{}, "blocking", 'selectPolicies: unknown enforcement level "blocking"; the levels are advisory, mandatory, remediate, disabled'],
  ])("rejects %j with level %j, saying what is wrong", (selection, level, message) => {
    expect(() => selectPolicies(selection as never, level as never)).toThrow(new TypeError(message));
  });
});

describe("the library entry", () => {
  test("exports every policy by name too (policies/index.ts's export list), the same object as in the list", () => {
    const exported = new Set(Object.values(library));
    expect(policies.filter((p) => !exported.has(p)).map((p) => p.name)).toEqual([]);
  });

  test("loads without starting a policy pack: it prints no port and exits by itself", () => {
    // A PolicyPack prints its port and serves until stopped; the library's entry must do neither.
    const result = spawnSync(process.execPath, ["-e", 'const l = require("./bin/library.js"); console.log(l.policies.length)'], {
      cwd: ROOT, encoding: "utf8", timeout: 60_000,
    });
    expect(result.error).toBeUndefined();
    expect({ status: result.status, stdout: result.stdout.trim() }).toEqual({ status: 0, stdout: String(policies.length) });
  });
});
