// Which AWS accounts a stack deploys to, from its provider resources as the engine reports them in
// AnalyzeStack (pulumi:providers:aws and pulumi:providers:aws-native, default and explicit): region,
// profile, assumed roles, the CloudTrail and STS endpoints, static credentials and region
// validation. Whatever a provider leaves out falls back to the SDK's standard configuration, as the
// provider itself does. Pure: no SDK here, so the pack can tell its targets without loading it.

import { createHash } from "crypto";

import { quoted } from "../lib/text";
import { isUnknownSentinel, unwrap } from "../lib/values";
import { isRegionName } from "./bounds";

export const PROVIDER_TYPES = ["pulumi:providers:aws", "pulumi:providers:aws-native"];

export interface RoleToAssume {
  roleArn: string;
  sessionName: string;
  externalId?: string;
}

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** One account and region to read, and the provider resources that deploy there. */
export interface AccountTarget {
  providers: string[];
  /** Undefined: the SDK's configured region (AWS_REGION, the profile's). */
  region?: string;
  profile?: string;
  /** Assumed in turn, each with the previous one's credentials. */
  roles: RoleToAssume[];
  cloudTrailEndpoint?: string;
  stsEndpoint?: string;
  /** A provider's accessKey, secretKey and token: used, never printed. */
  credentials?: StaticCredentials;
  /** Why the target cannot be read as configured (a malformed or unknown setting), said in a message. */
  problem?: string;
}

export const SESSION_NAME = "cis-cloudtrail-check";
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
/** What the SDK can put in a host name for a region the provider does not validate. */
const REGION_LABEL = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** Provider inputs the SDK serializes as JSON text (lists, objects, booleans), or the values themselves. */
function structured(value: unknown): unknown {
  const plain = unwrap(value);
  if (typeof plain !== "string" || !/^\s*[[{]|^(true|false)$/.test(plain)) return plain;
  try {
    return JSON.parse(plain);
  } catch {
    return plain;
  }
}

function text(value: unknown): string | undefined {
  const plain = unwrap(value);
  return typeof plain === "string" && plain !== "" ? plain : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function endpointsOf(value: unknown, problems: string[]): { cloudtrail?: string; sts?: string } {
  const list = structured(value);
  const entries = Array.isArray(list) ? list : isRecord(list) ? [list] : [];
  const found: { cloudtrail?: string; sts?: string } = {};
  for (const entry of entries.filter(isRecord)) {
    for (const service of ["cloudtrail", "sts"] as const) {
      const url = text(entry[service]);
      if (url === undefined) continue;
      if (!isUrl(url)) problems.push(`its endpoints.${service} ${quoted(url.slice(0, 100))} is not an http or https URL`);
      else found[service] = url;
    }
  }
  return found;
}

function isUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}

/** assumeRoles (aws 7: a list) or assumeRole (aws 6 and aws-native: one), in the order the provider assumes them. */
function rolesOf(props: Record<string, unknown>, problems: string[]): RoleToAssume[] {
  const many = structured(props.assumeRoles);
  const one = structured(props.assumeRole);
  const listed = Array.isArray(many) ? many : isRecord(one) ? [one] : [];
  const roles: RoleToAssume[] = [];
  for (const role of listed.filter(isRecord)) {
    const roleArn = text(role.roleArn);
    if (roleArn === undefined) continue; // the provider ignores a role without an ARN
    if (isUnknownSentinel(roleArn)) {
      problems.push("its assumed role's ARN is unknown until deploy");
    } else if (!ROLE_ARN.test(roleArn)) {
      problems.push(`its assumeRole roleArn ${quoted(roleArn.slice(0, 100))} is not an IAM role ARN`);
    } else {
      const externalId = text(role.externalId);
      roles.push({ roleArn, sessionName: text(role.sessionName) ?? SESSION_NAME, ...(externalId ? { externalId } : {}) });
    }
  }
  return roles;
}

function regionOf(props: Record<string, unknown>, problems: string[]): string | undefined {
  const region = text(props.region);
  if (region === undefined) return undefined;
  if (isUnknownSentinel(region)) {
    problems.push("its region is unknown until deploy");
    return undefined;
  }
  // The classic provider's default is to skip validation (for new regions and AWS look-alikes).
  const validate = structured(props.skipRegionValidation) === false;
  const ok = validate ? isRegionName(region) : REGION_LABEL.test(region);
  if (!ok) problems.push(`its region ${quoted(region.slice(0, 100))} is not a region name such as eu-west-1`);
  return ok ? region : undefined;
}

/** One provider resource's target; `name` is its logical name. */
export function targetOf(name: string, props: Record<string, unknown>): AccountTarget {
  const problems: string[] = [];
  const region = regionOf(props, problems);
  const profile = text(props.profile);
  const endpoints = endpointsOf(props.endpoints, problems);
  const accessKeyId = text(props.accessKey);
  const secretAccessKey = text(props.secretKey);
  const sessionToken = text(props.token);
  const target: AccountTarget = {
    providers: [name],
    ...(region !== undefined ? { region } : {}),
    ...(profile !== undefined && !isUnknownSentinel(profile) ? { profile } : {}),
    roles: rolesOf(props, problems),
    ...(endpoints.cloudtrail ? { cloudTrailEndpoint: endpoints.cloudtrail } : {}),
    ...(endpoints.sts ? { stsEndpoint: endpoints.sts } : {}),
  };
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    if ([accessKeyId, secretAccessKey, sessionToken].some(isUnknownSentinel)) problems.push("its credentials are unknown until deploy");
    else target.credentials = { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }
  if (problems.length > 0) target.problem = problems.join("; ");
  return target;
}

/** What makes two targets the same account and region; credentials enter only as a digest. */
export function targetKey(target: AccountTarget): string {
  const { providers: _names, credentials, ...settings } = target;
  void _names;
  const secret = credentials ? createHash("sha256").update(JSON.stringify(credentials)).digest("base64") : undefined;
  return JSON.stringify({ ...settings, secret });
}

/** The distinct targets of the stack's AWS providers, each naming every provider that deploys there. */
export function targetsOf(providers: readonly { name: string; props: Record<string, unknown> }[]): AccountTarget[] {
  const byKey = new Map<string, AccountTarget>();
  for (const provider of providers) {
    const target = targetOf(provider.name, provider.props);
    const key = targetKey(target);
    const seen = byKey.get(key);
    if (seen) seen.providers.push(provider.name);
    else byKey.set(key, target);
  }
  return [...byKey.values()];
}

/** The account a target's last assumed role is in, when it assumes one. */
export function roleAccount(target: AccountTarget): string | undefined {
  const last = target.roles[target.roles.length - 1];
  return last?.roleArn.split(":")[4];
}
