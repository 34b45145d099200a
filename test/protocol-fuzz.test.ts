// Random and adversarial property trees for both trail types, sent to the pack over the Analyzer
// protocol at each enforcement level, with a fixed seed: every Analyze, AnalyzeStack and Remediate
// is answered, with diagnostics rather than an RPC error, within a bound, and no message carries a
// secret's value.
import * as path from "path";

import { PolicyPackClient, startPolicyPack } from "../tools/analyzer/client";
import { EnforcementLevel, ResourceToAnalyze, SECRET_SIG, SIG_KEY, UNKNOWN } from "../tools/analyzer/types";

const ROOT = path.join(__dirname, "..");
const SEED = 0x14c15;
const CASES_PER_LEVEL = 60;
const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];
/** Each call must be answered within this; the pack answers such requests in milliseconds. */
const REPLY_BOUND_MS = 5000;

/** mulberry32: small, fast and the same on every machine. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TYPES = ["aws:cloudtrail/trail:Trail", "aws-native:cloudtrail:Trail"];
const KEYS = [
  "isMultiRegionTrail", "enableLogging", "isLogging", "includeGlobalServiceEvents", "isOrganizationTrail",
  "eventSelectors", "advancedEventSelectors", "insightSelectors", "s3BucketName", "kmsKeyId",
  "cloudWatchLogsGroupArn", "cloudWatchLogsRoleArn", "enableLogFileValidation", "name", "tags",
  "readWriteType", "includeManagementEvents", "excludeManagementEventSources", "fieldSelectors",
  "field", "equals", "notEquals", "startsWith", "dataResources", "type", "values", "__meta", "",
];
const STRINGS = ["All", "ReadOnly", "WriteOnly", "eventCategory", "Management", "kms.amazonaws.com", "readOnly", "", "true", "x".repeat(300)];

/** The envelopes that broke the SDK's deserializer, and every other kind of value. */
function generator(next: () => number) {
  let secrets = 0;
  const secretValues: string[] = [];
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const value = (depth: number): unknown => {
    const r = next();
    if (depth > 6 || r < 0.3) {
      return pick<unknown>([null, true, false, 0, -1, 1.5, 1e308, UNKNOWN, ...STRINGS]);
    }
    if (r < 0.4) {
      const s = `secret-value-${secrets++}-${Math.floor(next() * 1e9)}`;
      secretValues.push(s);
      return { [SIG_KEY]: SECRET_SIG, value: next() < 0.5 ? s : [s, value(depth + 1)] };
    }
    if (r < 0.45) return { [SIG_KEY]: SECRET_SIG }; // a secret with no value
    if (r < 0.5) return { [SIG_KEY]: "deadbeef" }; // an unknown signature
    if (r < 0.53) return { [SIG_KEY]: "c44067f5952c0a294b673a41bacd8c17" }; // an asset with nothing in it
    if (r < 0.75) return Array.from({ length: Math.floor(next() * 4) }, () => value(depth + 1));
    const obj: Record<string, unknown> = {};
    for (let i = Math.floor(next() * 5); i > 0; i--) obj[pick(KEYS)] = value(depth + 1);
    return obj;
  };
  const resource = (i: number): ResourceToAnalyze => {
    const type = pick(TYPES);
    const properties: Record<string, unknown> = {};
    for (let k = Math.floor(next() * 8); k > 0; k--) properties[pick(KEYS)] = value(0);
    return { type, name: `trail-${i}`, urn: `urn:pulumi:dev::fuzz::${type}::trail-${i}`, properties };
  };
  return { resource, secretValues };
}

/** Whether a secret's value appears in a property tree outside a secret envelope. */
function leaksSecret(value: unknown, secrets: string[]): boolean {
  if (typeof value === "string") return secrets.some((s) => value.includes(s));
  if (Array.isArray(value)) return value.some((v) => leaksSecret(v, secrets));
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[SIG_KEY] === SECRET_SIG) return false;
    return Object.values(obj).some((v) => leaksSecret(v, secrets));
  }
  return false;
}

function within<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no reply within ${REPLY_BOUND_MS} ms`)), REPLY_BOUND_MS);
  });
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}

describe(`the pack over the Analyzer protocol, fuzzed (seed ${SEED}, ${CASES_PER_LEVEL} cases per level)`, () => {
  let pack: PolicyPackClient;
  beforeAll(async () => {
    pack = await startPolicyPack(ROOT, { requestTimeoutMs: REPLY_BOUND_MS });
    await pack.configureStack({ stack: "dev", project: "fuzz", organization: "acme" });
  });
  afterAll(() => pack?.close());

  test("the envelopes the SDK's deserializer rejects are answered with diagnostics", async () => {
    await pack.configure({ all: { enforcementLevel: "remediate" } });
    for (const bad of [{ [SIG_KEY]: SECRET_SIG }, { [SIG_KEY]: "deadbeef" }]) {
      const trail: ResourceToAnalyze = {
        type: "aws:cloudtrail/trail:Trail",
        name: "main",
        urn: "urn:pulumi:dev::fuzz::aws:cloudtrail/trail:Trail::main",
        properties: { s3BucketName: "logs", isMultiRegionTrail: bad, enableLogging: true },
      };
      const result = await within("Analyze", pack.analyze(trail));
      expect(result.diagnostics.some((d) => d.enforcementLevel === "mandatory" && /isMultiRegionTrail/.test(d.message))).toBe(true);
      await expect(within("Remediate", pack.remediate(trail))).resolves.toBeInstanceOf(Array);
      const stack = await within("AnalyzeStack", pack.analyzeStack([trail]));
      expect(stack.diagnostics.map((d) => d.policyName)).toContain("aws-cloudtrail-stack-has-cis-trail");
    }
  });

  test.each(LEVELS)("at level %s: every call answered, nothing secret in a message", async (level) => {
    await pack.configure({ all: { enforcementLevel: level } });
    const { resource, secretValues } = generator(random(SEED + LEVELS.indexOf(level)));
    const batch: ResourceToAnalyze[] = [];
    let answered = 0;
    for (let i = 0; i < CASES_PER_LEVEL; i++) {
      const r = resource(i);
      batch.push(r);
      const analyzed = await within(`Analyze ${i}`, pack.analyze(r));
      const fixes = await within(`Remediate ${i}`, pack.remediate(r));
      for (const d of analyzed.diagnostics) expect(leaksSecret(d.message, secretValues)).toBe(false);
      for (const f of fixes) {
        expect(leaksSecret(f.diagnostic ?? "", secretValues)).toBe(false);
        expect(leaksSecret(f.properties ?? {}, secretValues)).toBe(false);
      }
      answered++;
    }
    const stack = await within("AnalyzeStack", pack.analyzeStack(batch));
    for (const d of stack.diagnostics) expect(leaksSecret(d.message, secretValues)).toBe(false);
    expect(answered).toBe(CASES_PER_LEVEL);
    expect(secretValues.length).toBeGreaterThan(0);
  });
});
