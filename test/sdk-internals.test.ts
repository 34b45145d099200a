// The @pulumi/policy behaviours outside its typed API that the pack relies on
// (policies/sdk-internals.ts). Each test fails with a message saying what changed and what to do.
import * as fs from "fs";
import * as path from "path";
import { PolicyPackClient, startPolicyPack } from "../tools/analyzer/client";
import { UNKNOWN } from "../tools/analyzer/types";
import { Secret } from "@pulumi/policy";
import { PROXY_TARGET_KEY, holdsSecret, proxyTarget, remediateInputs } from "../policies/sdk-internals";

const ROOT = path.join(__dirname, "..");
const MEETS = "aws-cloudtrail-trail-meets-cis";

/** Fails with the message itself, not a generic diff: these break on SDK upgrades, not on our changes. */
function sdkStillDoes(ok: boolean, what: string): void {
  if (!ok) throw new Error(`@pulumi/policy ${sdkVersion()} no longer ${what}. Update policies/sdk-internals.ts before upgrading.`);
}

function sdkVersion(): string {
  return JSON.parse(fs.readFileSync(require.resolve("@pulumi/policy/package.json"), "utf8")).version;
}

describe("@pulumi/policy internals the pack uses", () => {
  test("package.json pins @pulumi/policy to the exact version installed", () => {
    const pinned = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).dependencies["@pulumi/policy"];
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(sdkVersion().replace(/^v/, "")).toBe(pinned);
  });

  test("its unknown-checking proxy hands out its target under __getSpecialProxyTarget", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const proxy = require("@pulumi/policy/proxy") as { getSpecialProxyTarget?: unknown; unknownCheckingProxy?: (o: object) => object };
    sdkStillDoes(proxy.getSpecialProxyTarget === PROXY_TARGET_KEY, `names its proxy target key "${PROXY_TARGET_KEY}"`);
    sdkStillDoes(typeof proxy.unknownCheckingProxy === "function", "has unknownCheckingProxy in proxy.js");
    const props = { isMultiRegionTrail: UNKNOWN, eventSelectors: [{ readWriteType: "All" }] };
    const wrapped = proxy.unknownCheckingProxy!(props);
    sdkStillDoes(proxyTarget(wrapped) === props, `returns the proxied object for ${PROXY_TARGET_KEY}`);
    expect(proxyTarget(props)).toBeUndefined();
  });

  test("its server deserializes every request through the exports of deserialize.js, which the envelope guard wraps", () => {
    const server = fs.readFileSync(require.resolve("@pulumi/policy/server.js"), "utf8");
    const calls = server.match(/deserialize_1\.deserializeProperties\(/g) ?? [];
    sdkStillDoes(calls.length >= 4, `calls deserialize_1.deserializeProperties( for Analyze, AnalyzeStack, providers and Remediate (found ${calls.length})`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const deserialize = require("@pulumi/policy/deserialize") as { deserializeProperties?: unknown };
    sdkStillDoes(typeof deserialize.deserializeProperties === "function", "exports deserializeProperties from deserialize.js");
  });

  test("Remediate's props are the unknown-checking proxy over the secret-preserving proxy, secrets still Secret inside", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const proxy = require("@pulumi/policy/proxy") as { unknownCheckingProxy: (o: object) => object };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const secrets = require("@pulumi/policy/secret") as { secretsPreservingProxy?: (o: object) => object };
    sdkStillDoes(typeof secrets.secretsPreservingProxy === "function", "has secretsPreservingProxy in secret.js");
    const inputs = { eventSelectors: [{ dataResources: [{ values: [new Secret("arn:aws:s3:::b/")] }] }] };
    const props = proxy.unknownCheckingProxy(secrets.secretsPreservingProxy!(inputs));
    sdkStillDoes(remediateInputs(props) === inputs, "wraps Remediate's inputs in two proxies that hand out their targets");
    expect(holdsSecret(inputs.eventSelectors)).toBe(true);
    expect(holdsSecret([{ values: ["plain"] }])).toBe(false);
  });

  describe("over the Analyzer protocol", () => {
    let pack: PolicyPackClient;
    beforeAll(async () => {
      pack = await startPolicyPack(ROOT);
    });
    afterAll(async () => {
      await pack?.close();
    });

    test("reportViolation's object form sets the level: an unknown stays advisory in a mandatory policy", async () => {
      await pack.configure({ [MEETS]: { enforcementLevel: "mandatory" } });
      const result = await pack.analyze({
        type: "aws:cloudtrail/trail:Trail", name: "main", urn: "urn:pulumi:dev::audit::aws:cloudtrail/trail:Trail::main",
        properties: { s3BucketName: "logs", isMultiRegionTrail: UNKNOWN },
      });
      const [d, ...others] = result.diagnostics.filter((x) => x.policyName === MEETS);
      expect(others).toEqual([]);
      sdkStillDoes(d?.message.startsWith('The trail "main" cannot be judged at preview') === true,
        `takes reportViolation({message}) as the whole message (got ${JSON.stringify(d?.message)})`);
      sdkStillDoes(d.enforcementLevel === "advisory", `honours reportViolation({enforcementLevel}) (got ${d.enforcementLevel})`);
    });
  });
});
