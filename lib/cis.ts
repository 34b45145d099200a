// The CIS AWS Foundations control "Ensure CloudTrail is enabled in all regions", judged for one
// trail and for a whole stack, with verdicts that say what is missing and how to fix it.

import {
  ALL_MANAGEMENT, Assumption, OTHER, READ, SOURCE_CLASSES, WRITE, managementCoverage,
} from "./coverage";
import { ExcludableSource, ParsedTrail, Trail, withAcceptedValues } from "./trail";
import { Unknown } from "./values";

export interface Requirements {
  /** Management event sources a team excludes on purpose (kms, rdsdata). */
  allowedExcludedSources: readonly ExcludableSource[];
  requireGlobalServiceEvents: boolean;
}

export const CIS_REQUIREMENTS: Requirements = { allowedExcludedSources: [], requireGlobalServiceEvents: true };

export type GapCode = "malformed" | "not-logging" | "single-region" | "no-global-events" | "management-events";

export interface Gap {
  code: GapCode;
  /** Reads after "trail X": "is single-region". */
  text: string;
  fix: string;
}

export type TrailVerdict =
  | { status: "compliant" }
  | { status: "noncompliant"; gaps: Gap[] }
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
  const missable = ALL_MANAGEMENT & ~requiredCoverage(requirements);
  const pessimistic = new Assumption(false, missable);
  if (gapsOf(trail, requirements, pessimistic).length === 0) return { status: "compliant" };
  const optimisticGaps = gapsOf(trail, requirements, new Assumption(true, missable));
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
}

export type StackVerdict =
  | { status: "no-trail" }
  | { status: "compliant"; trail: TrailInStack }
  | { status: "unknown"; candidates: { trail: TrailInStack; unknowns: string[] }[] }
  | { status: "noncompliant"; closest: TrailInStack; gaps: Gap[]; trailCount: number };

/**
 * CIS asks for one trail that meets every requirement on its own: read events on one trail and
 * write events on another do not add up. The closest trail is the one missing the fewest things.
 */
export function judgeStack(trails: TrailInStack[], requirements: Requirements = CIS_REQUIREMENTS): StackVerdict {
  if (trails.length === 0) return { status: "no-trail" };
  const candidates: { trail: TrailInStack; unknowns: string[] }[] = [];
  let closest: { trail: TrailInStack; gaps: Gap[] } | undefined;
  for (const trail of trails) {
    const verdict = judgeTrail(trail.parsed, requirements);
    if (verdict.status === "compliant") return { status: "compliant", trail };
    if (verdict.status === "unknown") candidates.push({ trail, unknowns: verdict.unknowns });
    else if (!closest || verdict.gaps.length < closest.gaps.length) closest = { trail, gaps: verdict.gaps };
  }
  if (candidates.length > 0) return { status: "unknown", candidates };
  const found = closest as { trail: TrailInStack; gaps: Gap[] };
  return { status: "noncompliant", closest: found.trail, gaps: found.gaps, trailCount: trails.length };
}

/** "a, b and c", or "a, b, c and 4 more" past `most` items. */
export function listOf(items: readonly string[], most = items.length): string {
  const shown = items.slice(0, most);
  const rest = items.length - shown.length;
  if (rest > 0) return `${shown.join(", ")} and ${rest} more`;
  if (shown.length <= 1) return shown.join("");
  return `${shown.slice(0, -1).join(", ")} and ${shown[shown.length - 1]}`;
}

/** "is single-region and records only read management events". */
export function describeGaps(gaps: readonly Gap[]): string {
  return listOf(gaps.map((g) => g.text));
}

export function describeFixes(gaps: readonly Gap[]): string {
  return gaps.map((g) => g.fix).join("; ");
}
