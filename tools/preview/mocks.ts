// The mocks a program runs against: resources echo their inputs (so in preview mode everything a
// provider would compute stays unknown), and the AWS lookups programs from the registry docs use most
// answer with realistic values for a made-up account.

import { createHash } from "crypto";

export const ACCOUNT_ID = "123456789012";
export const USER_ID = "AIDACKCEVSQ6C2EXAMPLE";
export const DEFAULT_REGION = "us-east-1";

export interface MockContext {
  /** Stack configuration, "namespace:key" to string. */
  config: Record<string, string>;
  env: Record<string, string | undefined>;
  /** Inputs of an explicit provider resource, by URN. */
  providers: { get(urn: string): Record<string, unknown> | undefined };
  /** Stack transforms the program registered (pulumi.runtime.registerResourceTransform). */
  stackTransforms: unknown[];
}

interface MockResourceArgs {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  provider?: string;
  custom?: boolean;
  id?: string;
}

interface MockCallArgs {
  token: string;
  inputs: Record<string, unknown>;
  provider?: string;
}

export function createMocks(context: MockContext) {
  return {
    newResource(args: MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
      // No id for a new resource: the SDK makes it unknown, like every output the state leaves out.
      return { id: args.id || undefined, state: args.inputs };
    },
    call(args: MockCallArgs): Record<string, unknown> {
      return answerInvoke(args.token, args.inputs ?? {}, regionFor(context, args.provider, args.inputs));
    },
    // Applied where registrations are recorded (worker/monitor.ts), before the mocks see the inputs.
    registerTransform(transform: unknown): void {
      context.stackTransforms.push(transform);
    },
  };
}

/** The region an AWS call runs in: its own region argument, its provider's, else the stack's. */
export function regionFor(context: MockContext, providerRef: string | undefined, inputs?: Record<string, unknown>): string {
  if (typeof inputs?.region === "string" && inputs.region !== "") {
    return inputs.region;
  }
  if (providerRef) {
    const urn = providerRef.slice(0, providerRef.lastIndexOf("::"));
    const region = context.providers.get(urn)?.region;
    if (typeof region === "string" && region !== "" && !region.startsWith("04da6b54-")) {
      return region;
    }
  }
  return context.config["aws:region"] || context.env.AWS_REGION || context.env.AWS_DEFAULT_REGION || DEFAULT_REGION;
}

export function partitionOf(region: string): { partition: string; dnsSuffix: string; reverseDnsPrefix: string } {
  if (region.startsWith("cn-")) {
    return { partition: "aws-cn", dnsSuffix: "amazonaws.com.cn", reverseDnsPrefix: "cn.com.amazonaws" };
  }
  if (region.startsWith("us-gov-")) {
    return { partition: "aws-us-gov", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
  }
  return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" };
}

const REGION_NAMES: Record<string, string> = {
  "us-east-1": "US East (N. Virginia)",
  "us-east-2": "US East (Ohio)",
  "us-west-1": "US West (N. California)",
  "us-west-2": "US West (Oregon)",
  "ca-central-1": "Canada (Central)",
  "eu-central-1": "Europe (Frankfurt)",
  "eu-west-1": "Europe (Ireland)",
  "eu-west-2": "Europe (London)",
  "eu-west-3": "Europe (Paris)",
  "eu-north-1": "Europe (Stockholm)",
  "ap-northeast-1": "Asia Pacific (Tokyo)",
  "ap-southeast-1": "Asia Pacific (Singapore)",
  "ap-southeast-2": "Asia Pacific (Sydney)",
  "ap-south-1": "Asia Pacific (Mumbai)",
  "sa-east-1": "South America (Sao Paulo)",
};

/** Zone id prefix as AWS spells it: us-east-1 -> use1, ap-southeast-2 -> apse2. */
function zonePrefix(region: string): string {
  const short: Record<string, string> = {
    east: "e",
    west: "w",
    north: "n",
    south: "s",
    central: "c",
    northeast: "ne",
    northwest: "nw",
    southeast: "se",
    southwest: "sw",
  };
  const parts = region.split("-");
  const number = parts.pop() ?? "";
  const head = parts.shift() ?? "";
  return head + parts.map((p) => short[p] ?? p.slice(0, 1)).join("") + number;
}

export function answerInvoke(token: string, inputs: Record<string, unknown>, region: string): Record<string, unknown> {
  const { partition, dnsSuffix, reverseDnsPrefix } = partitionOf(region);
  switch (token) {
    case "aws:index/getCallerIdentity:getCallerIdentity":
      return {
        accountId: ACCOUNT_ID,
        arn: `arn:${partition}:iam::${ACCOUNT_ID}:user/preview`,
        id: ACCOUNT_ID,
        userId: USER_ID,
      };
    case "aws:index/getPartition:getPartition":
      return { partition, dnsSuffix, reverseDnsPrefix, id: partition };
    case "aws:index/getRegion:getRegion":
      return {
        region,
        name: region,
        id: region,
        description: REGION_NAMES[region] ?? region,
        endpoint: `ec2.${region}.${dnsSuffix}`,
      };
    case "aws:index/getAvailabilityZones:getAvailabilityZones": {
      const letters = ["a", "b", "c"];
      return {
        ...inputs,
        id: region,
        region,
        names: letters.map((l) => `${region}${l}`),
        zoneIds: letters.map((_, i) => `${zonePrefix(region)}-az${i + 1}`),
        groupNames: [region],
      };
    }
    case "aws:iam/getPolicyDocument:getPolicyDocument": {
      const document = renderPolicyDocument(inputs);
      const json = JSON.stringify(document, null, 2);
      return {
        ...inputs,
        json,
        minifiedJson: JSON.stringify(document),
        id: String(parseInt(createHash("sha256").update(json).digest("hex").slice(0, 8), 16)),
      };
    }
    case "aws:s3/getBucket:getBucket": {
      const bucket = String(inputs.bucket ?? "");
      return {
        ...inputs,
        bucket,
        id: bucket,
        arn: `arn:${partition}:s3:::${bucket}`,
        region,
        bucketRegion: region,
        bucketDomainName: `${bucket}.s3.${dnsSuffix}`,
        bucketRegionalDomainName: `${bucket}.s3.${region}.${dnsSuffix}`,
      };
    }
    default:
      return { ...inputs };
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface StatementInput {
  sid?: string;
  effect?: string;
  actions?: string[];
  notActions?: string[];
  resources?: string[];
  notResources?: string[];
  principals?: { type: string; identifiers: string[] }[];
  notPrincipals?: { type: string; identifiers: string[] }[];
  conditions?: { test: string; variable: string; values: string[] }[];
}

/** One value as a string, several as a list: how IAM policy JSON is usually written. */
function oneOrMany(values: string[]): Json {
  return values.length === 1 ? values[0] : values;
}

function principalBlock(principals: { type: string; identifiers: string[] }[]): Json {
  if (principals.length === 1 && principals[0].type === "*") {
    return "*";
  }
  const block: Record<string, string[]> = {};
  for (const p of principals) {
    block[p.type] = [...(block[p.type] ?? []), ...(p.identifiers ?? [])];
  }
  const out: Record<string, Json> = {};
  for (const [type, ids] of Object.entries(block)) {
    out[type] = oneOrMany(ids);
  }
  return out;
}

function renderStatement(s: StatementInput): Record<string, Json> {
  const out: Record<string, Json> = {};
  if (s.sid) {
    out.Sid = s.sid;
  }
  out.Effect = s.effect || "Allow";
  if (s.actions?.length) {
    out.Action = oneOrMany(s.actions);
  }
  if (s.notActions?.length) {
    out.NotAction = oneOrMany(s.notActions);
  }
  if (s.resources?.length) {
    out.Resource = oneOrMany(s.resources);
  }
  if (s.notResources?.length) {
    out.NotResource = oneOrMany(s.notResources);
  }
  if (s.principals?.length) {
    out.Principal = principalBlock(s.principals);
  }
  if (s.notPrincipals?.length) {
    out.NotPrincipal = principalBlock(s.notPrincipals);
  }
  if (s.conditions?.length) {
    const condition: Record<string, Record<string, Json>> = {};
    for (const c of s.conditions) {
      condition[c.test] = { ...(condition[c.test] ?? {}), [c.variable]: oneOrMany(c.values ?? []) };
    }
    out.Condition = condition;
  }
  return out;
}

function parseStatements(doc: unknown): Record<string, Json>[] {
  if (typeof doc !== "string" || doc.trim() === "") {
    return [];
  }
  try {
    const parsed = JSON.parse(doc) as { Statement?: unknown };
    const st = parsed.Statement;
    return (Array.isArray(st) ? st : st ? [st] : []) as Record<string, Json>[];
  } catch {
    return [];
  }
}

/** Merges by Sid: a later statement with the same Sid replaces the earlier one. */
function mergeBySid(into: Record<string, Json>[], statements: Record<string, Json>[]): void {
  for (const st of statements) {
    const i = typeof st.Sid === "string" && st.Sid !== "" ? into.findIndex((x) => x.Sid === st.Sid) : -1;
    if (i >= 0) {
      into[i] = st;
    } else {
      into.push(st);
    }
  }
}

/** The IAM policy document aws:iam/getPolicyDocument renders from its arguments. */
export function renderPolicyDocument(inputs: Record<string, unknown>): Record<string, Json> {
  const statements: Record<string, Json>[] = [];
  for (const src of [inputs.sourceJson, ...((inputs.sourcePolicyDocuments as unknown[]) ?? [])]) {
    mergeBySid(statements, parseStatements(src));
  }
  mergeBySid(statements, ((inputs.statements as StatementInput[]) ?? []).map(renderStatement));
  for (const src of [inputs.overrideJson, ...((inputs.overridePolicyDocuments as unknown[]) ?? [])]) {
    mergeBySid(statements, parseStatements(src));
  }
  const doc: Record<string, Json> = { Version: typeof inputs.version === "string" ? inputs.version : "2012-10-17" };
  if (typeof inputs.policyId === "string") {
    doc.Id = inputs.policyId;
  }
  doc.Statement = statements;
  return doc;
}
