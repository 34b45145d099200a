// The Analyzer-protocol harness against small fixture packs, each started once per describe block.
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerCallError, PolicyPackClient, secret, startPolicyPack, toStruct } from "../tools/analyzer/client";
import { Diagnostic, ResourceToAnalyze, SECRET_SIG, SIG_KEY, UNKNOWN } from "../tools/analyzer/types";

const fixture = (name: string) => path.join(__dirname, "fixtures", name);

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const bucket: ResourceToAnalyze = {
  type: "aws:s3/bucket:Bucket",
  name: "logs",
  urn: "urn:pulumi:dev::proj::aws:s3/bucket:Bucket::logs",
  properties: { bucket: "logs" },
};

describe("marshalling", () => {
  test("drops internal keys only when asked, and undefined everywhere", () => {
    const props = { __meta: 1, a: undefined, b: [undefined, { __x: 1, y: null }] };
    expect(toStruct(props, true).toJavaScript()).toEqual({ b: [null, { y: null }] });
    expect(toStruct(props, false).toJavaScript()).toEqual({ __meta: 1, b: [null, { __x: 1, y: null }] });
  });

  test("refuses values that are not JSON-like", () => {
    expect(() => toStruct({ when: { at: new Date(0) } }, true)).toThrow(/when\.at is not JSON-like/);
  });
});

describe("bare pack", () => {
  let pack: PolicyPackClient;
  beforeAll(async () => {
    pack = await startPolicyPack(fixture("bare-pack"));
  });
  afterAll(() => pack?.close());

  test("starts the pack, which serves on the port it printed", async () => {
    expect(pack.port).toBeGreaterThan(0);
    expect(isAlive(pack.pid)).toBe(true);
    await expect(pack.analyze(bucket)).resolves.toEqual({ diagnostics: [], notApplicable: [] });
  });

  test("getAnalyzerInfo returns the pack's name, version and policies", async () => {
    const info = await pack.getAnalyzerInfo();
    expect(info).toMatchObject({ name: "bare-pack", version: "0.0.1", supportsConfig: true, initialConfig: {} });
    expect(info.policies.map((p) => [p.name, p.policyType, p.enforcementLevel])).toEqual([
      ["bare-resource", "resource", "advisory"],
      ["bare-stack", "stack", "advisory"],
    ]);
  });

  test("analyzeStack of a quiet pack reports nothing", async () => {
    await expect(pack.analyzeStack([bucket])).resolves.toEqual({ diagnostics: [], notApplicable: [] });
  });

  test("close() stops the pack and leaves no child process", async () => {
    const pid = pack.pid;
    await pack.close();
    expect(isAlive(pid)).toBe(false);
    await expect(pack.close()).resolves.toBeUndefined();
    await expect(pack.analyze(bucket)).rejects.toThrow("Analyze failed: the client is closed");
  });
});

describe("echo pack", () => {
  let pack: PolicyPackClient;
  beforeAll(async () => {
    pack = await startPolicyPack(fixture("echo-pack"));
    await pack.configureStack({ stack: "dev", project: "proj", tags: { team: "platform", env: "dev" } });
  });
  afterAll(() => pack?.close());
  beforeEach(() => pack.configure({}));

  /** The echo-resource diagnostic of an analysis; it fails the test when there is none. */
  function echo(diagnostics: Diagnostic[]): Diagnostic {
    const d = diagnostics.find((x) => x.policyName === "echo-resource");
    if (!d) {
      throw new Error(`no echo-resource diagnostic in ${JSON.stringify(diagnostics)}`);
    }
    return d;
  }

  /** What echo-resource saw: the JSON after the description line of its message. */
  async function seen(resource: ResourceToAnalyze): Promise<Record<string, unknown>> {
    const message = echo((await pack.analyze(resource)).diagnostics).message;
    return JSON.parse(message.slice(message.indexOf("\n") + 1));
  }

  test("getAnalyzerInfo round-trips policy metadata and the pack's initialConfig", async () => {
    const info = await pack.getAnalyzerInfo();
    expect(info).toMatchObject({ name: "echo-pack", displayName: "Echo pack", version: "0.0.1" });
    expect(info.policies[0]).toEqual({
      name: "echo-resource",
      displayName: "Echo resource",
      description: "Echoes one resource.",
      enforcementLevel: "mandatory",
      severity: "high",
      policyType: "resource",
      framework: { name: "echo", version: "1.0", reference: "E-1", specification: "Echo everything." },
      tags: ["echo", "test"],
      remediationSteps: "Nothing to do.",
      url: "https://example.com/echo",
      configSchema: {
        properties: { greeting: { type: "string", default: "hello" }, limit: { type: "number", default: 3 } },
        required: [],
      },
    });
    expect(info.initialConfig).toEqual({ "echo-resource": { enforcementLevel: "mandatory", limit: 5 } });
  });

  test("an empty config keeps the policy's level, schema defaults and initialConfig", async () => {
    const d = echo((await pack.analyze(bucket)).diagnostics);
    expect(d).toMatchObject({ enforcementLevel: "mandatory", severity: "high", policyPackName: "echo-pack" });
    expect((await seen(bucket)).config).toEqual({ greeting: "hello", limit: 5 });
  });

  test("configure sets the enforcement level and the policy's options", async () => {
    await pack.configure({ "echo-resource": { enforcementLevel: "advisory", greeting: "hey" } });
    expect(echo((await pack.analyze(bucket)).diagnostics).enforcementLevel).toBe("advisory");
    expect((await seen(bucket)).config).toEqual({ greeting: "hey", limit: 5 });
  });

  test("a disabled policy reports nothing", async () => {
    await pack.configure({ "echo-resource": { enforcementLevel: "disabled" } });
    expect((await pack.analyze(bucket)).diagnostics).toEqual([]);
    await pack.configure({ all: { enforcementLevel: "disabled" } });
    expect((await pack.analyzeStack([bucket])).diagnostics).toEqual([]);
  });

  test("stack tags from configureStack reach the policy", async () => {
    expect((await seen(bucket)).tags).toEqual({ team: "platform", env: "dev" });
  });

  test("an unknown value yields the SDK's advisory \"can't be known during preview\"", async () => {
    const d = echo((await pack.analyze({ ...bucket, properties: { bucket: UNKNOWN } })).diagnostics);
    expect(d.enforcementLevel).toBe("advisory");
    expect(d.message).toMatch(/string value at \.bucket can't be known during preview/);
  });

  test("secrets arrive unwrapped, nulls as null, and internal keys not at all", async () => {
    const props = { password: secret("hunter2"), nothing: null, __internal: 1, nested: { __hidden: 1, ok: true } };
    const echoed = await seen({ ...bucket, properties: props });
    expect(echoed.props).toEqual({ password: "hunter2", nothing: null, nested: { ok: true } });
    expect(echoed.hasNull).toBe(true);
  });

  test("resource options and the provider reach the policy", async () => {
    const echoed = await seen({
      ...bucket,
      parent: "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev",
      protect: true,
      ignoreChanges: ["tags"],
      deleteBeforeReplace: true,
      customTimeouts: { create: 60 },
      provider: { type: "pulumi:providers:aws", name: "default", urn: "urn:pulumi:dev::proj::pulumi:providers:aws::default", properties: { region: "eu-west-1", __internal: 1 } },
    });
    expect(echoed.opts).toMatchObject({
      protect: true,
      ignoreChanges: ["tags"],
      deleteBeforeReplace: true,
      parent: "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev",
      customTimeouts: { createSeconds: 60, updateSeconds: 0, deleteSeconds: 0 },
    });
    expect(echoed.provider).toEqual({
      type: "pulumi:providers:aws",
      urn: "urn:pulumi:dev::proj::pulumi:providers:aws::default",
      props: { region: "eu-west-1" },
    });
  });

  test("analyzeStack passes parent, dependencies and property dependencies", async () => {
    const role: ResourceToAnalyze = { type: "aws:iam/role:Role", name: "r", urn: "urn:pulumi:dev::proj::aws:iam/role:Role::r", properties: {} };
    const trail: ResourceToAnalyze = {
      type: "aws:cloudtrail/trail:Trail",
      name: "t",
      urn: "urn:pulumi:dev::proj::aws:cloudtrail/trail:Trail::t",
      properties: { isMultiRegionTrail: true },
      parent: bucket.urn,
      dependencies: [bucket.urn, role.urn],
      propertyDependencies: { s3BucketName: [bucket.urn], cloudWatchLogsRoleArn: [role.urn], name: [] },
    };
    const d = (await pack.analyzeStack([bucket, role, trail])).diagnostics;
    expect(d.map((x) => [x.policyName, x.enforcementLevel])).toEqual([["echo-stack", "advisory"]]);
    const resources = JSON.parse(d[0].message.slice(d[0].message.indexOf("\n") + 1));
    expect(resources[2]).toEqual({
      urn: trail.urn,
      parent: bucket.urn,
      dependencies: [bucket.urn, role.urn],
      propertyDependencies: { s3BucketName: [bucket.urn], cloudWatchLogsRoleArn: [role.urn] },
    });
  });

  test("remediate returns the new properties, with secrets still wrapped", async () => {
    await pack.configure({ "echo-resource": { enforcementLevel: "remediate" } });
    const [r, ...rest] = await pack.remediate({ ...bucket, properties: { bucket: "logs", password: secret("hunter2") } });
    expect(rest).toEqual([]);
    expect(r).toMatchObject({ policyName: "echo-resource", description: "Echoes one resource." });
    expect(r.properties).toEqual({ bucket: "logs", password: { [SIG_KEY]: SECRET_SIG, value: "HUNTER2" }, remediated: true });
  });

  test("without the remediate level, remediate changes nothing", async () => {
    await expect(pack.remediate(bucket)).resolves.toEqual([]);
  });

  test("an unknown enforcement level is refused before it is sent", async () => {
    // @ts-expect-error: a level the protocol does not have
    await expect(pack.configure({ "echo-resource": { enforcementLevel: "strict" } })).rejects.toThrow(/unknown enforcement level "strict"/);
  });

  test("a policy that throws fails the call with an AnalyzerCallError", async () => {
    const err = await pack.analyze({ ...bucket, properties: { explode: true } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AnalyzerCallError);
    expect(err).toMatchObject({ method: "Analyze", code: grpc.status.UNKNOWN });
    expect((err as Error).message).toMatch(/Analyze failed: .*echo-resource was asked to explode/s);
  });
});

describe("packs that fail to start", () => {
  test("a pack whose index.js throws rejects with the pack's stderr", async () => {
    await expect(startPolicyPack(fixture("broken-pack"))).rejects.toThrow(/exited \(code \d+\) before printing its port[\s\S]*broken-pack cannot load/);
  });

  test("a pack slower than startTimeoutMs rejects with a timeout", async () => {
    await expect(startPolicyPack(fixture("bare-pack"), { startTimeoutMs: 50 })).rejects.toThrow(/printed no port within 50 ms/);
  });

  test("a directory without @pulumi/pulumi in reach is refused before spawning", async () => {
    await expect(startPolicyPack("/")).rejects.toThrow(/cannot find @pulumi\/pulumi\/cmd\/run-policy-pack from \//);
  });
});
