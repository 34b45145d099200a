// Glue shared by the policies: reading props through the SDK's proxy, policy metadata, and
// reading each policy's configuration with its defaults.

import {
  PolicyComplianceFramework, PolicyConfigSchema, ReportViolation, ResourceValidation, ResourceValidationArgs, UnknownValueError,
} from "@pulumi/policy";
import { Requirements, TrailInStack, listOf } from "../lib/cis";
import { ExcludableSource, MANAGEMENT_SOURCES_AWS_CAN_EXCLUDE, ParsedTrail, TRAIL_TYPES, Trail, parseTrail, trailKindOf } from "../lib/trail";
import { UNSAFE_CHARACTERS, escapeCharacter, quoted } from "../lib/text";
import { UNKNOWN_VALUE, UNREADABLE_TAG, Unknown, Value, unreadableProperties } from "../lib/values";
import { proxyTarget, reportAdvisory } from "./sdk-internals";

/** Deeper than any trail's properties go; past it a value is treated as unreadable. */
const MAX_DEPTH = 32;
const UNREADABLE = Symbol("unreadable");

/**
 * Copies props out of @pulumi/policy's unknown-checking proxy into plain values. The proxy throws
 * on reading an unknown value, which would turn the whole policy into one vague advisory; here each
 * unknown becomes the engine's sentinel again, so the rules can tell whether it decides anything.
 */
export function plainProps(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== "object") return value;
  if (depth > MAX_DEPTH) return UNREADABLE;
  const read = (get: () => unknown): unknown => {
    try {
      return plainProps(get(), depth + 1);
    } catch (e) {
      return e instanceof UnknownValueError ? UNKNOWN_VALUE : UNREADABLE;
    }
  };
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = read(() => value[i]);
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = read(() => (value as Record<string, unknown>)[key]);
  return out;
}

/** Props as plain values, with unknowns as the engine's sentinel. */
export function readProps(props: unknown): unknown {
  // The proxy's target copies cheaply and whole; in Remediate its arrays break Array methods, so
  // the copy gives the rules plain values in every case.
  return plainProps(proxyTarget(props) ?? props);
}

/** The trail behind a resource, or undefined for any other resource type. */
export function trailOf(type: string, props: unknown): ParsedTrail | undefined {
  const kind = trailKindOf(type);
  return kind ? parseTrail(kind, readProps(props)) : undefined;
}

export const TRAIL_TYPE_LIST = TRAIL_TYPES.join(" or ");

/**
 * Why a per-trail policy does not apply to another resource, in the SDK's own wording. Said through
 * args.notApplicable, so the engine and Pulumi Cloud count the policy as not applicable to the
 * resource rather than passed.
 */
export const NOT_A_TRAIL = `Policy only applies to resources of type ${TRAIL_TYPES.map((t) => `'${t}'`).join(" or ")}`;
export const EXEMPT_TRAIL = "The trail is listed in this policy's exemptTrails";
/** A read resource (`.get()`) reaches Analyze with only its lookup arguments, no configuration. */
export const LOOKUP_ONLY = "The trail is read, not declared: its lookup carries no configuration, and the stack policy judges what was read";

export const CIS_V3 = "3.0.0";
export const CIS_NAME = "CIS Amazon Web Services Foundations Benchmark";

export function cisFramework(version: string, reference: string, specification: string): PolicyComplianceFramework {
  return { name: CIS_NAME, version, reference, specification };
}

/**
 * Reports that a value unknown at preview decides the verdict: advisory whatever the policy's
 * level, so a preview is never blocked on a guess, and never silent. (Throwing UnknownValueError
 * would also give an advisory, but one that names neither the trail nor what `pulumi up` does.)
 */
export function reportUnknown(report: ReportViolation, message: string, urn?: string): void {
  reportAdvisory(report, message, urn);
}

/**
 * Unknown values that were not a preview's: when the stack was read from AWS and every one of
 * `paths` could not be read (the caller says so through UNREADABLE_TAG), what could not be read and
 * the AWS error: "enableLogging could not be read (AccessDeniedException: ...)". Undefined for
 * values unknown at preview, which keep the preview's wording.
 */
export function couldNotBeRead(stackTags: ReadonlyMap<string, string>, urn: string, paths: readonly string[]): string | undefined {
  const reasons = unreadableProperties(stackTags.get(UNREADABLE_TAG), urn);
  return reasons ? describeUnread(reasons, paths) : undefined;
}

/** "eventSelectors could not be read (AccessDeniedException: ...)", from each property's reason; undefined unless every path has one. */
export function describeUnread(reasons: Readonly<Record<string, unknown>>, paths: readonly string[]): string | undefined {
  if (paths.length === 0) return undefined;
  const byReason = new Map<string, string[]>();
  for (const path of paths) {
    const why = reasons[path.split(/[.[]/)[0]];
    if (typeof why !== "string") return undefined;
    byReason.set(why, [...(byReason.get(why) ?? []), path]);
  }
  return [...byReason].map(([why, read]) => `${listOf(read, 5)} could not be read (${why.replace(UNSAFE_CHARACTERS, escapeCharacter)})`).join("; ");
}

/**
 * A stack policy's advisory when its verdict waits on values: unknown at preview, or, in an account
 * check, values that could not be read (then the AWS error, never a deploy). `goal` says what no
 * trail is known to do ("meet CIS 3.1"); `atDeploy` ends the preview's sentence.
 */
export function reportUndecidedStack(
  stackTags: ReadonlyMap<string, string>, report: ReportViolation, candidates: readonly { trail: TrailInStack; unknowns: string[] }[],
  goal: string, atDeploy = "",
): void {
  const [first, ...others] = candidates;
  const unread = couldNotBeRead(stackTags, first.trail.urn, first.unknowns);
  if (unread) {
    const alsoUnread = others.length === 0 ? ""
      : others.length === 1 ? "; the same holds for one more trail" : `; the same holds for ${others.length} more trails`;
    reportUnknown(report, `No trail is known to ${goal}: for ${trailLabel(first.trail.name)}, ${unread}${alsoUnread}.`, first.trail.urn);
    return;
  }
  const alsoUnknown = others.length === 0 ? ""
    : others.length === 1 ? " (so does one more trail)" : ` (so do ${others.length} more trails)`;
  reportUnknown(report,
    `No trail is known to ${goal} at preview: ${trailLabel(first.trail.name)} depends on ${listOf(first.unknowns, 5)}, ` +
    `unknown until deploy${alsoUnknown}. \`pulumi up\` runs this policy again with the real values${atDeploy}.`,
    first.trail.urn);
}

/**
 * `trail "main"`: the logical name, never a property value (which could be a secret), quoted with
 * its control characters escaped, since the CLI prints the message as it is.
 */
export function trailLabel(name: string): string {
  return `trail ${quoted(name)}`;
}

// ---- configuration ----

export const exemptTrailsSchema: PolicyConfigSchema["properties"][string] = {
  type: "array",
  items: { type: "string" },
  default: [],
  description: "Trails this policy skips, by logical resource name or URN (for example a data-events-only trail).",
};

/** The options that tune what CIS 3.1 asks of a trail, shared by the stack and per-trail policies. */
export const requirementsSchema: PolicyConfigSchema["properties"] = {
  allowedExcludedEventSources: {
    type: "array",
    items: { type: "string", enum: [...MANAGEMENT_SOURCES_AWS_CAN_EXCLUDE] },
    uniqueItems: true,
    default: [],
    description: "Management event sources a trail may exclude and still count (some teams exclude KMS events on purpose). AWS Config's multi-region-cloudtrail-enabled treats any exclusion as non-compliant.",
  },
  requireGlobalServiceEvents: {
    type: "boolean",
    default: true,
    description: "Require includeGlobalServiceEvents (IAM, STS, CloudFront events).",
  },
};

export function readRequirements(config: ConfigReader): Requirements {
  return {
    allowedExcludedSources: config.strings("allowedExcludedEventSources", [],
      MANAGEMENT_SOURCES_AWS_CAN_EXCLUDE) as ExcludableSource[],
    requireGlobalServiceEvents: config.boolean("requireGlobalServiceEvents", true),
  };
}

export interface ConfigReader {
  /** Problems with the configuration, reported as violations: a bad config never silently passes. */
  problems: string[];
  boolean(key: string, fallback: boolean): boolean;
  strings(key: string, fallback: string[], allowed?: readonly string[]): string[];
  choice<T extends string>(key: string, fallback: T, allowed: readonly T[]): T;
  string(key: string, fallback: string): string;
  number(key: string, fallback: number, min: number, max: number): number;
}

/** Reads options, applying the schema defaults the CLI fills only when a config is given. */
export function readConfig(args: { getConfig<T extends object>(): T }): ConfigReader {
  const config = args.getConfig<Record<string, unknown>>() ?? {};
  const problems: string[] = [];
  const get = (key: string) => config[key];
  return {
    problems,
    boolean(key, fallback) {
      const value = get(key);
      if (value === undefined || value === null) return fallback;
      if (typeof value === "boolean") return value;
      problems.push(`config option ${key} must be true or false`);
      return fallback;
    },
    strings(key, fallback, allowed) {
      const value = get(key);
      if (value === undefined || value === null) return fallback;
      if (Array.isArray(value) && value.every((v) => typeof v === "string" && (!allowed || allowed.includes(v)))) {
        return value as string[];
      }
      problems.push(`config option ${key} must be a list of ${allowed ? allowed.join(" or ") : "strings"}`);
      return fallback;
    },
    choice(key, fallback, allowed) {
      const value = get(key);
      if (value === undefined || value === null) return fallback;
      if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as typeof fallback;
      problems.push(`config option ${key} must be one of ${allowed.join(", ")}`);
      return fallback;
    },
    string(key, fallback) {
      const value = get(key);
      if (value === undefined || value === null) return fallback;
      if (typeof value === "string" && value.length > 0) return value;
      problems.push(`config option ${key} must be a non-empty string`);
      return fallback;
    },
    number(key, fallback, min, max) {
      const value = get(key);
      if (value === undefined || value === null) return fallback;
      if (typeof value === "number" && value >= min && value <= max) return value;
      problems.push(`config option ${key} must be a number from ${min} to ${max}`);
      return fallback;
    },
  };
}

/** Reports configuration problems; true when there were any (the policy then stops). */
export function reportConfigProblems(config: ConfigReader, report: ReportViolation, urn?: string): boolean {
  if (config.problems.length === 0) return false;
  report(`Invalid policy configuration: ${config.problems.join("; ")}.`, urn);
  return true;
}

export function isExempt(args: Pick<ResourceValidationArgs, "name" | "urn">, exempt: string[]): boolean {
  return exempt.includes(args.name) || exempt.includes(args.urn);
}

export function schema(properties: PolicyConfigSchema["properties"]): PolicyConfigSchema {
  return { properties };
}

/**
 * The trail a per-trail policy should judge, with the policy's options. Other resources, exempt
 * trails and a read resource's lookup (no configuration: AnalyzeStack judges what was read) are
 * not applicable (args.notApplicable throws, and the SDK reports it); none for a bad
 * configuration (reported), and for a malformed trail, which is
 * aws-cloudtrail-trail-valid-configuration's to report, once.
 */
export function trailToJudge<T>(
  args: ResourceValidationArgs, report: ReportViolation, readOptions: (config: ConfigReader) => T,
): { parsed: ParsedTrail; options: T } | undefined {
  const parsed = trailOf(args.type, args.props);
  if (!parsed) return args.notApplicable(NOT_A_TRAIL);
  if (parsed.lookupOnly) return args.notApplicable(LOOKUP_ONLY);
  if (parsed.problems.length > 0) return undefined;
  const config = readConfig(args);
  const options = readOptions(config);
  const exempt = config.strings("exemptTrails", []);
  if (reportConfigProblems(config, report)) return undefined;
  if (isExempt(args, exempt)) return args.notApplicable(EXEMPT_TRAIL);
  return { parsed, options };
}

/**
 * Shared body of the per-trail setting policies: report a missing setting, and an unknown one as
 * advisory.
 */
export function checkTrailSetting(
  setting: (trail: Trail) => Value<boolean>,
  missing: (label: string) => string,
): ResourceValidation {
  return (args, reportViolation) => {
    const judged = trailToJudge(args, reportViolation, () => undefined);
    if (!judged) return;
    const value = setting(judged.parsed.trail);
    const label = trailLabel(args.name);
    if (value instanceof Unknown) {
      const unread = couldNotBeRead(args.stackTags, args.urn, [value.path]);
      reportUnknown(reportViolation, unread ? `The ${label} cannot be judged: ${unread}.`
        : `The ${label} cannot be judged at preview: ${value.path} is unknown until deploy. \`pulumi up\` checks it again.`);
    } else if (value !== true) {
      reportViolation(missing(label));
    }
  };
}

/** A string setting counts as set when present, even if its value is only known at deploy. */
export function isSet(value: Value<string> | undefined): boolean {
  return value instanceof Unknown || (typeof value === "string" && value.length > 0);
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
