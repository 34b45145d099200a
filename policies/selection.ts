// Choosing policies for an organization's own pack, with the criteria of Pulumi's policy manager
// (@pulumi/compliance-policy-manager's selectPolicies): vendors, services, severities, topics and
// frameworks, and an enforcement level that replaces each policy's default. Everything a policy is
// selected by is read from the policy itself, so a policy added to the list is selectable at once.

import { EnforcementLevel, Severity } from "@pulumi/policy";
import { CIS_NAME } from "./common";
import { Policy, policies } from "./index";

/** Each criterion matches any of its values (case-insensitive); a policy must match every criterion given. */
export interface PolicySelection {
  /** The provider a policy's name starts with: `aws`. */
  vendors?: string[];
  /** The service that follows it in the name: `cloudtrail` in `aws-cloudtrail-...`. */
  services?: string[];
  severities?: Severity[];
  /** What a policy is about, from its tags: `logging`, `encryption`, `monitoring`, `integrity`, `validation`. */
  topics?: string[];
  /** The compliance frameworks it maps to: `cis`, `securityhub`. */
  frameworks?: string[];
}

export interface PolicyMetadata {
  vendors: string[];
  services: string[];
  severity: Severity | undefined;
  topics: string[];
  frameworks: string[];
}

const CRITERIA = ["vendors", "services", "severities", "topics", "frameworks"] as const;
const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];
const SEVERITIES: readonly Severity[] = ["low", "medium", "high", "critical"];
/** The short names of the frameworks a policy's `framework` names. */
const FRAMEWORK_IDS: Readonly<Record<string, string>> = { [CIS_NAME]: "cis" };

/**
 * What a policy is selected by. Its name says vendor and service (`aws-<service>-...`); a tag with a
 * digit after a dash is a control reference whose framework comes before the first dash
 * (`cis-v1.4.0-3.1`, `securityhub-cloudtrail.1`); every other tag but the service is a topic, `s3` too.
 */
export function policyMetadata(policy: Policy): PolicyMetadata {
  const [vendor, service] = policy.name.split("-");
  const tags = policy.tags ?? [];
  const references = tags.filter((tag) => /-.*\d/.test(tag));
  const frameworks = new Set(references.map((tag) => tag.split("-")[0]));
  const named = policy.framework && FRAMEWORK_IDS[policy.framework.name];
  if (named) frameworks.add(named);
  return {
    vendors: [vendor],
    services: service ? [service] : [],
    severity: policy.severity,
    topics: tags.filter((tag) => !references.includes(tag) && tag !== vendor && tag !== service),
    frameworks: [...frameworks],
  };
}

function matches(wanted: string[] | undefined, has: readonly (string | undefined)[]): boolean {
  if (!wanted || wanted.length === 0) return true;
  const lower = new Set(has.filter((h) => h !== undefined).map((h) => h.toLowerCase()));
  return wanted.some((w) => lower.has(w.toLowerCase()));
}

function checkSelection(selection: unknown, enforcementLevel: unknown): PolicySelection {
  const where = "selectPolicies";
  if (selection === null || typeof selection !== "object" || Array.isArray(selection)) {
    throw new TypeError(`${where}: the selection must be an object with any of ${CRITERIA.join(", ")}`);
  }
  for (const [key, value] of Object.entries(selection)) {
    if (!(CRITERIA as readonly string[]).includes(key)) {
      throw new TypeError(`${where}: unknown criterion "${key}"; the criteria are ${CRITERIA.join(", ")}`);
    }
    if (value !== undefined && !(Array.isArray(value) && value.every((v) => typeof v === "string"))) {
      throw new TypeError(`${where}: ${key} must be a list of strings`);
    }
  }
  const severities = (selection as PolicySelection).severities ?? [];
  const unknownSeverity = severities.find((s) => !SEVERITIES.includes(s.toLowerCase() as Severity));
  if (unknownSeverity !== undefined) {
    throw new TypeError(`${where}: unknown severity "${unknownSeverity}"; the severities are ${SEVERITIES.join(", ")}`);
  }
  if (enforcementLevel !== undefined && !LEVELS.includes(enforcementLevel as EnforcementLevel)) {
    throw new TypeError(`${where}: unknown enforcement level "${String(enforcementLevel)}"; the levels are ${LEVELS.join(", ")}`);
  }
  return selection as PolicySelection;
}

/**
 * The policies that match the selection, in the pack's order, as copies: with enforcementLevel
 * given, each copy has that level (`remediate` only where the policy can remediate, `mandatory`
 * elsewhere, which is what the engine makes of it). No criterion selects every policy. Each call
 * selects from all the policies, so two calls with overlapping criteria return a policy twice.
 * Throws a TypeError naming the mistake for an unknown criterion, severity or level.
 */
export function selectPolicies(selection: PolicySelection = {}, enforcementLevel?: EnforcementLevel): Policy[] {
  const { vendors, services, severities, topics, frameworks } = checkSelection(selection, enforcementLevel);
  return policies
    .filter((policy) => {
      const meta = policyMetadata(policy);
      return matches(vendors, meta.vendors) && matches(services, meta.services) &&
        matches(severities, [meta.severity]) && matches(topics, meta.topics) && matches(frameworks, meta.frameworks);
    })
    .map((policy) => {
      if (enforcementLevel === undefined) return { ...policy };
      const canRemediate = "remediateResource" in policy && policy.remediateResource !== undefined;
      const level = enforcementLevel === "remediate" && !canRemediate ? "mandatory" : enforcementLevel;
      return { ...policy, enforcementLevel: level };
    });
}
