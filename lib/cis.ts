// The CIS AWS Foundations control "Ensure CloudTrail is enabled in all regions", judged for one
// trail and for a whole stack, with verdicts that say what is missing and how to fix it.

import {
  ALL_BUCKETS, ALL_MANAGEMENT, Assumption, BucketTarget, OTHER, READ, S3Access, SOURCE_CLASSES, WRITE, managementCoverage,
  s3ObjectCoverage,
} from "./coverage";
import { ExcludableSource, ParsedTrail, Trail, withAcceptedValues } from "./trail";
import { listOf, quoted } from "./text";
import { Unknown } from "./values";

export { listOf };

export interface Requirements {
  /** Management event sources a team excludes on purpose (kms, rdsdata). */
  allowedExcludedSources: readonly ExcludableSource[];
  requireGlobalServiceEvents: boolean;
}

export const CIS_REQUIREMENTS: Requirements = { allowedExcludedSources: [], requireGlobalServiceEvents: true };

export type GapCode = "malformed" | "not-logging" | "single-region" | "no-global-events" | "management-events";

export interface Gap<C extends string = GapCode> {
  code: C;
  /** Reads after "trail X": "is single-region". */
  text: string;
  fix: string;
}

export type TrailVerdict<C extends string = GapCode> =
  | { status: "compliant" }
  | { status: "noncompliant"; gaps: Gap<C | "malformed">[] }
  | { status: "unknown"; unknowns: string[] };

/** The management event classes the requirements ask for. */
export function requiredCoverage(requirements: Requirements): number {
  let required = ALL_MANAGEMENT;
  for (const source of requirements.allowedExcludedSources) required &= ~(SOURCE_CLASSES.get(source) ?? 0);
  return required;
}

/**
 * Judges one trail: compliant whatever its unknown values turn out to be, non-compliant even if
 * they all turn out well, or undecided until deploy (naming the unknown properties that decide).
 */
export function judgeTrail(parsed: ParsedTrail, requirements: Requirements = CIS_REQUIREMENTS): TrailVerdict {
  const missable = ALL_MANAGEMENT & ~requiredCoverage(requirements);
  return judgeWith(parsed, (trail, optimistic) => {
    const assumption = new Assumption(optimistic, missable);
    return { gaps: gapsOf(trail, requirements, assumption), consulted: assumption.consulted };
  });
}

/**
 * The verdict from a trail's gaps judged twice: with every unknown turning out badly, then well.
 * A malformed trail is never judged: it has the one gap of being malformed.
 */
function judgeWith<C extends string>(
  parsed: ParsedTrail, gapsOf: (trail: Trail, optimistic: boolean) => { gaps: Gap<C>[]; consulted: Unknown[] },
): TrailVerdict<C> {
  if (parsed.problems.length > 0) {
    const paths = [...new Set(parsed.problems.map((p) => p.path))];
    return {
      status: "noncompliant",
      gaps: [{
        code: "malformed",
        text: `has a configuration AWS rejects or cannot read (${listOf(paths, 3)})`,
        fix: "fix the properties named by the aws-cloudtrail-trail-valid-configuration policy",
      }],
    };
  }
  // An unknown only decides if a value AWS would accept for it changes the verdict.
  const trail = withAcceptedValues(parsed.trail);
  const pessimistic = gapsOf(trail, false);
  if (pessimistic.gaps.length === 0) return { status: "compliant" };
  const optimisticGaps = gapsOf(trail, true).gaps;
  if (optimisticGaps.length > 0) return { status: "noncompliant", gaps: optimisticGaps };
  return { status: "unknown", unknowns: [...new Set(pessimistic.consulted.map((u: Unknown) => u.path))] };
}

function gapsOf(trail: Trail, requirements: Requirements, assumption: Assumption): Gap[] {
  const gaps: Gap[] = [];
  const { logging } = trail.names;
  if (!assumption.holds(trail.logging)) {
    gaps.push({ code: "not-logging", text: "is not logging", fix: `set ${logging}: true` });
  }
  if (!assumption.holds(trail.multiRegion)) {
    gaps.push({ code: "single-region", text: "is single-region", fix: "set isMultiRegionTrail: true" });
  }
  if (requirements.requireGlobalServiceEvents && !assumption.holds(trail.globalServiceEvents)) {
    gaps.push({
      code: "no-global-events",
      text: "excludes global service events (IAM, STS, CloudFront)",
      fix: "set includeGlobalServiceEvents: true",
    });
  }
  const required = requiredCoverage(requirements);
  const covered = managementCoverage(trail, assumption);
  const missing = required & ~covered;
  if (missing !== 0) {
    gaps.push({ code: "management-events", text: describeMissing(covered & required, missing), fix: MANAGEMENT_FIX });
  }
  return gaps;
}

const MANAGEMENT_FIX =
  "record all management events, read and write: remove the event selectors, or use one basic selector " +
  "{ readWriteType: \"All\", includeManagementEvents: true } without excludeManagementEventSources, or an " +
  "advanced selector whose only field selector is eventCategory equals [\"Management\"]";

/** Says in words which management events a trail misses, from the coverage bit masks. */
export function describeMissing(covered: number, missing: number): string {
  if (covered === 0) return "records no management events";
  if ((covered & READ) === covered && (missing & WRITE) === missing) return "records only read management events";
  if ((covered & WRITE) === covered && (missing & READ) === missing) return "records only write management events";
  const phrases: string[] = [];
  const general = missing & OTHER;
  if (general !== 0) phrases.push(`does not record ${kindOf(general)} management events`);
  for (const [source, mask] of SOURCE_CLASSES) {
    const sourceMissing = missing & mask;
    // Already said when the general phrase names the same kinds of event.
    if (sourceMissing === 0 || (general !== 0 && kindOf(sourceMissing) === kindOf(general))) continue;
    phrases.push(`does not record ${kindOf(sourceMissing)} management events from ${source}`);
  }
  return phrases.join(" and ");
}

function kindOf(mask: number): string {
  const read = (mask & READ) !== 0;
  const write = (mask & WRITE) !== 0;
  if (read && write) return "read or write";
  return read ? "read" : "write";
}

export interface TrailInStack {
  urn: string;
  name: string;
  parsed: ParsedTrail;
  /** URNs of the resources the trail's selector properties depend on (property dependencies). */
  selectorDependencies?: readonly string[];
}

export type StackVerdict<C extends string = GapCode> =
  | { status: "no-trail" }
  | { status: "compliant"; trail: TrailInStack }
  | { status: "unknown"; candidates: { trail: TrailInStack; unknowns: string[] }[] }
  | { status: "noncompliant"; closest: TrailInStack; gaps: Gap<C | "malformed">[]; trailCount: number };

/**
 * CIS asks for one trail that meets every requirement on its own: read events on one trail and
 * write events on another do not add up. The closest trail is the one missing the fewest things.
 */
export function judgeStack(trails: TrailInStack[], requirements: Requirements = CIS_REQUIREMENTS): StackVerdict {
  return judgeStackWith(trails, (trail) => judgeTrail(trail.parsed, requirements));
}

function judgeStackWith<C extends string>(trails: TrailInStack[], judge: (trail: TrailInStack) => TrailVerdict<C>): StackVerdict<C> {
  if (trails.length === 0) return { status: "no-trail" };
  const candidates: { trail: TrailInStack; unknowns: string[] }[] = [];
  let closest: { trail: TrailInStack; gaps: Gap<C | "malformed">[] } | undefined;
  for (const trail of trails) {
    const verdict = judge(trail);
    if (verdict.status === "compliant") return { status: "compliant", trail };
    if (verdict.status === "unknown") candidates.push({ trail, unknowns: verdict.unknowns });
    else if (!closest || verdict.gaps.length < closest.gaps.length) closest = { trail, gaps: verdict.gaps };
  }
  if (candidates.length > 0) return { status: "unknown", candidates };
  const found = closest as { trail: TrailInStack; gaps: Gap<C | "malformed">[] };
  return { status: "noncompliant", closest: found.trail, gaps: found.gaps, trailCount: trails.length };
}

// ---- S3 object-level logging (CIS v3.0.0 3.8 write events, 3.9 read events) ----

export type ObjectGapCode = "not-logging" | "single-region" | "object-events";
/** Which buckets a trail must record: every current and future one (CIS), or each the stack declares. */
export type ObjectScope = "all-buckets" | "declared-buckets";

/** A bucket the stack declares: its logical name, and its bucket name (unknown at preview when generated). */
export interface BucketInStack {
  urn: string;
  name: string;
  bucketName: string | undefined;
}

/**
 * Judges a stack for one access of S3 object-level events: CIS asks for one logging, multi-region
 * trail that records them for every current and future bucket, or, with scope declared-buckets,
 * for each bucket the stack declares.
 */
export function judgeObjectLogging(
  trails: TrailInStack[], access: S3Access, scope: ObjectScope, declaredBuckets: readonly BucketInStack[] = [],
): StackVerdict<ObjectGapCode> {
  const buckets = scope === "declared-buckets" ? declaredBuckets : undefined;
  return judgeStackWith(trails, (trail) => judgeWith(trail.parsed, (parsed, optimistic) => {
    const assumption = new Assumption(optimistic);
    return { gaps: objectGaps(trail, parsed, access, buckets, declaredBuckets, assumption), consulted: assumption.consulted };
  }));
}

function objectGaps(
  inStack: TrailInStack, trail: Trail, access: S3Access, buckets: readonly BucketInStack[] | undefined,
  declaredBuckets: readonly BucketInStack[], assumption: Assumption,
): Gap<ObjectGapCode>[] {
  const gaps: Gap<ObjectGapCode>[] = [];
  if (!assumption.holds(trail.logging)) {
    gaps.push({ code: "not-logging", text: "is not logging", fix: `set ${trail.names.logging}: true` });
  }
  // A single-region trail records the data events of its own region's buckets only.
  if (!assumption.holds(trail.multiRegion)) {
    gaps.push({ code: "single-region", text: "is single-region", fix: "set isMultiRegionTrail: true" });
  }
  const events = `S3 object-level ${access} events`;
  const fix = objectEventsFix(access);
  if (!buckets) {
    const coverage = s3ObjectCoverage(trail, access, allBucketsTarget(inStack, declaredBuckets), assumption);
    if (!coverage.covered) {
      let text = `records no ${events}`;
      if (coverage.selected) {
        const missed = declaredBuckets.filter((b) => !s3ObjectCoverage(trail, access, bucketTarget(inStack, b), assumption).covered);
        text = `records ${events} only for some buckets or objects (narrowed by ${listOf([...new Set(coverage.narrowedBy)], 3)}), ` +
          "not for every current and future bucket" + (missed.length > 0 ? `, and leaves out ${bucketList(missed)}` : "");
      }
      gaps.push({ code: "object-events", text, fix });
    }
    return gaps;
  }
  const missed = buckets.filter((b) => !s3ObjectCoverage(trail, access, bucketTarget(inStack, b), assumption).covered);
  if (missed.length > 0) {
    gaps.push({
      code: "object-events",
      text: `does not record ${events} for ${bucketList(missed)}`,
      fix,
    });
  }
  return gaps;
}

/** Every bucket as a coverage target: an unknown selector value that depends on a declared bucket names only that one. */
function allBucketsTarget(trail: TrailInStack, buckets: readonly BucketInStack[]): BucketTarget {
  const linked = buckets.some((b) => trail.selectorDependencies?.includes(b.urn) ?? false);
  return linked ? { all: true, linked } : ALL_BUCKETS;
}

/** A declared bucket as a coverage target; an unknown selector value that depends on its resource names it. */
export function bucketTarget(trail: TrailInStack, bucket: BucketInStack): BucketTarget {
  return { all: false, name: bucket.bucketName, linked: trail.selectorDependencies?.includes(bucket.urn) ?? false };
}

/**
 * Whether the account's buckets matter to the verdict: for read or write events, no trail records
 * every bucket, but some trail records some buckets. Then the buckets it leaves out can be named.
 */
export function bucketsMatter(trails: readonly ParsedTrail[]): boolean {
  return (["write", "read"] as const).some((access) => {
    let partial = false;
    for (const parsed of trails) {
      if (parsed.problems.length > 0) continue;
      const coverage = s3ObjectCoverage(withAcceptedValues(parsed.trail), access, ALL_BUCKETS, new Assumption(false));
      if (coverage.covered) return false;
      partial ||= coverage.selected;
    }
    return partial;
  });
}

/** `bucket "a"`, `buckets "a" and "b"`: logical names, never a bucket's name, which could be a secret. */
function bucketList(buckets: readonly BucketInStack[]): string {
  return `${buckets.length === 1 ? "bucket" : "buckets"} ${listOf(buckets.map((b) => quoted(b.name)), 5)}`;
}

function objectEventsFix(access: S3Access): string {
  const readOnly = access === "read" ? "true" : "false";
  const readWriteType = access === "read" ? "ReadOnly" : "WriteOnly";
  return `record S3 object-level ${access} events for all buckets: add an advanced selector whose field selectors are ` +
    `eventCategory equals ["Data"], resources.type equals ["AWS::S3::Object"] and readOnly equals ["${readOnly}"] ` +
    "(or no readOnly, for read and write), beside the management selector, or a basic selector with dataResources " +
    `[{ type: "AWS::S3::Object", values: ["arn:aws:s3"] }] and readWriteType "All" (or "${readWriteType}" beside ` +
    "a selector that records all management events)";
}

/** "is single-region and records only read management events". */
export function describeGaps(gaps: readonly Gap<string>[]): string {
  return listOf(gaps.map((g) => g.text));
}

export function describeFixes(gaps: readonly Gap<string>[]): string {
  return gaps.map((g) => g.fix).join("; ");
}
