// Which management events a trail records, by AWS's rules: no selectors means all of them,
// selectors are a union, and each selector covers an event class only if it matches all of it.
//
// Management events are split into six classes: read or write, from kms.amazonaws.com, from
// rdsdata.amazonaws.com (the two sources AWS lets a trail exclude) or from any other source.
// A coverage is a bit mask of the classes recorded in full.

import { AdvancedSelector, BasicSelector, FieldCondition, FieldSelector, S3_OBJECT_TYPE, Trail } from "./trail";
import { Malformed, Unknown, Value } from "./values";

export const READ_KMS = 1 << 0;
export const READ_RDSDATA = 1 << 1;
export const READ_OTHER = 1 << 2;
export const WRITE_KMS = 1 << 3;
export const WRITE_RDSDATA = 1 << 4;
export const WRITE_OTHER = 1 << 5;
export const READ = READ_KMS | READ_RDSDATA | READ_OTHER;
export const WRITE = WRITE_KMS | WRITE_RDSDATA | WRITE_OTHER;
export const ALL_MANAGEMENT = READ | WRITE;
export const KMS = READ_KMS | WRITE_KMS;
export const RDSDATA = READ_RDSDATA | WRITE_RDSDATA;
export const OTHER = READ_OTHER | WRITE_OTHER;

/** The classes of the two sources a trail may exclude (a Map: no inherited keys like "toString"). */
export const SOURCE_CLASSES: ReadonlyMap<string, number> = new Map([
  ["kms.amazonaws.com", KMS],
  ["rdsdata.amazonaws.com", RDSDATA],
]);

/**
 * Decides unknown values one way for a whole evaluation: optimistic (the unknown turns out
 * compliant) or pessimistic. Judging a trail both ways tells whether an unknown matters.
 * Malformed values are never given the benefit of the doubt.
 */
export class Assumption {
  readonly consulted: Unknown[] = [];

  /** `missable`: the source classes the requirements let a trail leave out (allowed exclusions). */
  constructor(readonly optimistic: boolean, readonly missable = 0) {}

  /** True when the value is known true, or unknown and assumed true. */
  holds(value: Value<boolean>): boolean {
    if (value instanceof Unknown) return this.assume(value);
    return value === true;
  }

  assume(unknown: Unknown): boolean {
    this.consulted.push(unknown);
    return this.optimistic;
  }

  /**
   * The classes an unknown excluded source leaves out. AWS accepts only the two excludable
   * sources there, so it always excludes one: at best one the requirements let the trail miss.
   */
  excludedBy(unknown: Unknown): number {
    if (!this.assume(unknown)) return KMS | RDSDATA;
    for (const mask of SOURCE_CLASSES.values()) if ((mask & this.missable) === mask) return mask;
    return KMS;
  }
}

/** The management event classes a trail records in full. */
export function managementCoverage(trail: Trail, assumption: Assumption): number {
  const basic = trail.basicSelectors;
  const advanced = trail.advancedSelectors;
  if (basic instanceof Malformed || advanced instanceof Malformed) return 0;
  if (basic instanceof Unknown || advanced instanceof Unknown) {
    // Either list could turn out empty, or hold anything.
    const unknown = basic instanceof Unknown ? basic : (advanced as Unknown);
    return assumption.assume(unknown) ? ALL_MANAGEMENT : 0;
  }
  if (basic.length === 0 && advanced.length === 0) return ALL_MANAGEMENT;
  // A trail with both kinds is rejected by AWS; it records nothing.
  if (basic.length > 0 && advanced.length > 0) return 0;
  let covered = 0;
  for (const selector of basic) {
    covered |= covering(selector, assumption, basicCoverage);
    if (covered === ALL_MANAGEMENT) break;
  }
  for (const selector of advanced) {
    covered |= covering(selector, assumption, advancedCoverage);
    if (covered === ALL_MANAGEMENT) break;
  }
  return covered;
}

function covering<T>(selector: Value<T>, assumption: Assumption, cover: (s: T, a: Assumption) => number): number {
  if (selector instanceof Malformed) return 0;
  if (selector instanceof Unknown) return assumption.assume(selector) ? ALL_MANAGEMENT : 0;
  return cover(selector, assumption);
}

function basicCoverage(selector: BasicSelector, assumption: Assumption): number {
  if (!assumption.holds(selector.includeManagementEvents)) return 0;
  const covered = readWriteCoverage(selector.readWriteType, assumption);
  const excluded = selector.excludedSources;
  if (excluded instanceof Malformed) return 0;
  if (excluded instanceof Unknown) return assumption.assume(excluded) ? covered : covered & OTHER;
  return covered & ~excludedClasses(excluded, assumption);
}

/** The classes a list of excluded sources leaves out; malformed entries leave out everything. */
function excludedClasses(sources: Value<string>[], assumption: Assumption): number {
  let excluded = 0;
  for (const source of sources) {
    if (source instanceof Malformed) return ALL_MANAGEMENT;
    // A source AWS cannot exclude was reported; it would narrow the other sources.
    excluded |= source instanceof Unknown ? assumption.excludedBy(source) : (SOURCE_CLASSES.get(source) ?? OTHER);
  }
  return excluded;
}

function readWriteCoverage(readWriteType: Value<string>, assumption: Assumption): number {
  if (readWriteType instanceof Unknown) return assumption.assume(readWriteType) ? ALL_MANAGEMENT : 0;
  if (readWriteType === "All") return ALL_MANAGEMENT;
  if (readWriteType === "ReadOnly") return READ;
  if (readWriteType === "WriteOnly") return WRITE;
  return 0;
}

/** An advanced selector is an AND of its field selectors: each must accept a whole class. */
function advancedCoverage(selector: AdvancedSelector, assumption: Assumption): number {
  const fields = selector.fieldSelectors;
  if (fields instanceof Malformed) return 0;
  if (fields instanceof Unknown) return assumption.assume(fields) ? ALL_MANAGEMENT : 0;
  let covered = ALL_MANAGEMENT;
  for (const field of fields) {
    if (field instanceof Malformed) return 0;
    if (field instanceof Unknown) {
      if (!assumption.assume(field)) return 0;
      continue;
    }
    covered &= fieldCoverage(field, assumption);
    if (covered === 0) return 0;
  }
  return covered;
}

/** The classes one field selector accepts in full. */
function fieldCoverage(selector: FieldSelector, assumption: Assumption): number {
  const field = selector.field;
  if (field instanceof Malformed) return 0;
  if (field instanceof Unknown) return assumption.assume(field) ? ALL_MANAGEMENT : 0;
  if (selector.conditions.length === 0) return ALL_MANAGEMENT;
  switch (field) {
    case "eventCategory":
      // AWS accepts only equals here; anything else was reported and records nothing.
      if (selector.conditions.some((c) => c.operator !== "equals")) return 0;
      return accepts(selector.conditions, "Management", assumption) ? ALL_MANAGEMENT : 0;
    case "readOnly":
      return readOnlyCoverage(selector.conditions, assumption);
    case "eventSource":
      if (selector.conditions.every((c) => c.operator === "notEquals" && Array.isArray(c.values))) {
        // The form AWS accepts for management events: exclusions of the two excludable sources.
        return ALL_MANAGEMENT & ~excludedClasses(selector.conditions.flatMap((c) => c.values as Value<string>[]), assumption);
      }
      return (accepts(selector.conditions, "kms.amazonaws.com", assumption) ? KMS : 0)
        | (accepts(selector.conditions, "rdsdata.amazonaws.com", assumption) ? RDSDATA : 0)
        | (acceptsEveryOtherSource(selector.conditions, assumption) ? OTHER : 0);
    default:
      // Any other field (eventName, resources.type, ...) narrows the events a selector matches.
      return 0;
  }
}

/**
 * readOnly takes only equals "true" or "false" (anything else was reported). One unknown value is
 * one of the two, never both: it can complete a known one, but alone it leaves one kind out.
 */
function readOnlyCoverage(conditions: FieldCondition[], assumption: Assumption): number {
  let covered = ALL_MANAGEMENT;
  for (const condition of conditions) {
    const values = condition.values;
    if (values instanceof Malformed) return 0;
    if (values instanceof Unknown) {
      if (!assumption.assume(values)) return 0;
      continue;
    }
    let accepted = (values.includes("true") ? READ : 0) | (values.includes("false") ? WRITE : 0);
    const unknowns = values.filter((v): v is Unknown => v instanceof Unknown);
    if (unknowns.length > 0 && accepted !== ALL_MANAGEMENT && assumption.assume(unknowns[0])) {
      // Two unknowns can be both values; one can add the missing kind, or alone be either kind.
      accepted = unknowns.length > 1 || accepted !== 0 ? ALL_MANAGEMENT : READ;
    }
    covered &= accepted;
  }
  return covered;
}

/** Every other source passes only conditions that exclude nothing but the two named sources. */
function acceptsEveryOtherSource(conditions: FieldCondition[], assumption: Assumption): boolean {
  for (const condition of conditions) {
    if (condition.operator !== "notEquals") return false;
    const values = condition.values;
    if (values instanceof Malformed) return false;
    if (values instanceof Unknown) {
      if (!assumption.assume(values)) return false;
      continue;
    }
    for (const value of values) {
      if (value instanceof Malformed) return false;
      if (value instanceof Unknown) {
        if (!assumption.assume(value)) return false;
      } else if (!SOURCE_CLASSES.has(value)) {
        return false;
      }
    }
  }
  return true;
}

/** Whether a value passes every condition of a field selector. */
function accepts(conditions: FieldCondition[], value: string, assumption: Assumption): boolean {
  return conditions.every((condition) => conditionHolds(condition, value, assumption));
}

type Test = (value: string, operand: string) => boolean;

const TESTS: Record<FieldCondition["operator"], { test: Test; negated: boolean }> = {
  equals: { test: (v, o) => v === o, negated: false },
  notEquals: { test: (v, o) => v === o, negated: true },
  startsWith: { test: (v, o) => v.startsWith(o), negated: false },
  notStartsWith: { test: (v, o) => v.startsWith(o), negated: true },
  endsWith: { test: (v, o) => v.endsWith(o), negated: false },
  notEndsWith: { test: (v, o) => v.endsWith(o), negated: true },
};

/**
 * A positive operator holds when some operand matches the value; a negated one when none does.
 * Unknown operands are decided by the assumption; malformed ones never help the trail.
 */
function conditionHolds(condition: FieldCondition, value: string, assumption: Assumption): boolean {
  const operands = condition.values;
  if (operands instanceof Malformed) return false;
  if (operands instanceof Unknown) return assumption.assume(operands);
  const { test, negated } = TESTS[condition.operator];
  let unknown: Unknown | undefined;
  for (const operand of operands) {
    if (operand instanceof Unknown) unknown ??= operand;
    else if (operand instanceof Malformed) {
      if (negated) return false;
    } else if (test(value, operand)) {
      return !negated;
    }
  }
  return unknown ? assumption.assume(unknown) : negated;
}

// ---- S3 object-level data events (CIS 3.8 and 3.9 in v3.0.0) ----

export type S3Access = "read" | "write";

/**
 * What a coverage question is about: every current and future bucket, or one bucket, by name or,
 * when its name is unknown at preview, as a bucket no known value names. `linked`: the trail's
 * selectors depend on that bucket's resource (for every bucket: on some bucket's resource), so an
 * unknown value in them is derived from it and names that one bucket.
 */
export type BucketTarget = { all: true; linked: boolean } | { all: false; name: string | undefined; linked: boolean };

export const ALL_BUCKETS: BucketTarget = { all: true, linked: false };

/** The partitions whose S3 ARNs a selector may name (arn:aws:s3:::, arn:aws-cn:s3:::, ...). */
const PARTITIONS = ["aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"];
/** Bucket names never hold a NUL: a name no value can mention. */
const UNNAMED = "\u0000";

export interface ObjectCoverage {
  /** Every object of the target is recorded, for this access. */
  covered: boolean;
  /** Some selector records S3 object events of this access, perhaps not for the whole target. */
  selected: boolean;
  /** Paths of the values and conditions that narrowed such selectors. */
  narrowedBy: string[];
}

/**
 * Whether a trail records the S3 object-level events of one access (read: GetObject...; write:
 * PutObject, DeleteObject...) for every object of the target. Selectors are a union, as for
 * management events; a data resource value is a prefix of object ARNs, as is startsWith.
 */
export function s3ObjectCoverage(trail: Trail, access: S3Access, target: BucketTarget, assumption: Assumption): ObjectCoverage {
  const result: ObjectCoverage = { covered: false, selected: false, narrowedBy: [] };
  const basic = trail.basicSelectors;
  const advanced = trail.advancedSelectors;
  if (basic instanceof Malformed || advanced instanceof Malformed) return result;
  if (basic instanceof Unknown || advanced instanceof Unknown) {
    const unknown = basic instanceof Unknown ? basic : (advanced as Unknown);
    result.covered = result.selected = assumption.assume(unknown);
    return result;
  }
  // A trail with both kinds is rejected by AWS; it records nothing.
  if (basic.length > 0 && advanced.length > 0) return result;
  for (const selector of basic) {
    if (selector instanceof Malformed) continue;
    if (selector instanceof Unknown) {
      if (assumption.assume(selector)) result.covered = result.selected = true;
    } else {
      basicObjects(selector, access, target, assumption, result);
    }
  }
  const byPrefix: PrefixSelector[] = [];
  for (const selector of advanced) {
    if (selector instanceof Malformed) continue;
    if (selector instanceof Unknown) {
      if (assumption.assume(selector)) result.covered = result.selected = true;
    } else {
      const prefixes = advancedObjects(selector, access, target, assumption, result);
      if (prefixes) byPrefix.push(prefixes);
    }
  }
  if (!result.covered && byPrefix.length > 1 && prefixUnionCovers(byPrefix, target)) result.covered = true;
  return result;
}

function recordsAccess(readWriteType: Value<string>, access: S3Access, assumption: Assumption): boolean {
  if (readWriteType instanceof Unknown) return assumption.assume(readWriteType);
  return readWriteType === "All" || readWriteType === (access === "read" ? "ReadOnly" : "WriteOnly");
}

/** includeManagementEvents does not matter here: data resources select data events whatever it says. */
function basicObjects(selector: BasicSelector, access: S3Access, target: BucketTarget, assumption: Assumption, result: ObjectCoverage): void {
  const resources = selector.dataResources;
  if (resources instanceof Malformed || !recordsAccess(selector.readWriteType, access, assumption)) return;
  if (resources instanceof Unknown) {
    if (assumption.assume(resources)) result.covered = result.selected = true;
    return;
  }
  for (const resource of resources) {
    if (resource instanceof Malformed) continue;
    if (resource instanceof Unknown) {
      if (assumption.assume(resource)) result.covered = result.selected = true;
      continue;
    }
    const type = resource.type;
    if (type instanceof Malformed || (type instanceof Unknown ? !assumption.assume(type) : type !== S3_OBJECT_TYPE)) continue;
    result.selected = true;
    if (arnConditionCovers({ operator: "startsWith", values: resource.values }, target, assumption)) result.covered = true;
    else result.narrowedBy.push(`${resource.path}.values`);
  }
}

/**
 * The resources.ARN conditions of a selector narrowed by nothing else, each startsWith or
 * notStartsWith with known operands: the field selectors hold together, so an object is recorded
 * when it meets every one.
 */
type PrefixSelector = { operator: "startsWith" | "notStartsWith"; prefixes: string[] }[];

/**
 * An advanced selector records S3 objects when eventCategory is Data and resources.type is
 * AWS::S3::Object; readOnly splits read from write; resources.ARN and every other field narrow it.
 * A selector narrowed by resources.ARN prefixes alone is returned, for the union with the others.
 */
function advancedObjects(
  selector: AdvancedSelector, access: S3Access, target: BucketTarget, assumption: Assumption, result: ObjectCoverage,
): PrefixSelector | undefined {
  const fields = selector.fieldSelectors;
  if (fields instanceof Malformed) return;
  if (fields instanceof Unknown) {
    if (assumption.assume(fields)) result.covered = result.selected = true;
    return;
  }
  const narrowedBy: string[] = [];
  const byPrefix: PrefixSelector = [];
  let prefixesOnly = true;
  for (const field of fields) {
    if (field instanceof Malformed) return;
    if (field instanceof Unknown) {
      if (!assumption.assume(field)) return;
      continue;
    }
    const name = field.field;
    if (name instanceof Malformed || (name instanceof Unknown && !assumption.assume(name))) return;
    if (name instanceof Unknown || field.conditions.length === 0) continue;
    if (name === "eventCategory" || name === "resources.type" || name === "readOnly") {
      const wanted = name === "eventCategory" ? "Data" : name === "resources.type" ? S3_OBJECT_TYPE : access === "read" ? "true" : "false";
      if (field.conditions.some((c) => c.operator !== "equals") || !accepts(field.conditions, wanted, assumption)) return;
    } else if (name !== "resources.ARN" || !field.conditions.every((c) => arnConditionCovers(c, target, assumption))) {
      // eventName, eventSource, userIdentity.arn, ...: any condition leaves some object events out.
      narrowedBy.push(field.path);
      for (const { operator, values } of field.conditions) {
        if (name !== "resources.ARN" || (operator !== "startsWith" && operator !== "notStartsWith") || !Array.isArray(values)
          || !values.every((v): v is string => typeof v === "string")) {
          prefixesOnly = false;
        } else {
          byPrefix.push({ operator, prefixes: values });
        }
      }
    }
  }
  result.selected = true;
  if (narrowedBy.length === 0) result.covered = true;
  else result.narrowedBy.push(...narrowedBy);
  return narrowedBy.length > 0 && prefixesOnly ? byPrefix : undefined;
}

/**
 * Whether selectors narrowed by resources.ARN prefixes record every object of the target together
 * (one records all but the log bucket, another the log bucket). The prefixes split the target's
 * ARNs into classes that each meet the same conditions; one ARN per class, the prefix followed by a
 * character no operand holds, stands for its class, and each must be recorded by some selector.
 */
function prefixUnionCovers(selectors: PrefixSelector[], target: BucketTarget): boolean {
  const starts = objectPrefixes(target);
  const operands = selectors.flatMap((s) => s.flatMap((c) => c.prefixes));
  const classes = [...starts, ...operands.filter((p) => starts.some((t) => p.startsWith(t)))].map((p) => `${p}${UNNAMED}`);
  const records = (selector: PrefixSelector, arn: string) => selector.every(({ operator, prefixes }) =>
    prefixes.some((p) => arn.startsWith(p)) === (operator === "startsWith"));
  return classes.every((arn) => selectors.some((selector) => records(selector, arn)));
}

/** The ARN prefixes every object of the target starts with, one per partition. */
function objectPrefixes(target: BucketTarget): string[] {
  const bucket = target.all ? "" : `${target.name ?? UNNAMED}/`;
  return PARTITIONS.map((p) => `arn:${p}:s3:::${bucket}`);
}

/**
 * Whether a resources.ARN condition holds for every object of the target. equals and endsWith name
 * single objects or suffixes and never hold for all; notEndsWith always leaves some object out.
 * An unknown operand derived from the target bucket names it; any other is decided by the assumption.
 */
function arnConditionCovers(condition: FieldCondition, target: BucketTarget, assumption: Assumption): boolean {
  const { operator, values } = condition;
  if (operator === "equals" || operator === "endsWith" || operator === "notEndsWith" || values instanceof Malformed) return false;
  const positive = operator === "startsWith";
  // Derived from one bucket, the unknown names that bucket: it is the target bucket, never all of them.
  const unknownHolds = (unknown: Unknown) => (target.linked ? positive && !target.all : assumption.assume(unknown));
  if (values instanceof Unknown) return unknownHolds(values);
  const prefixes = objectPrefixes(target);
  // startsWith: some operand is a prefix of every object ARN; the negations: no operand touches any.
  const touches = (v: string) => operator === "notEquals"
    ? prefixes.some((p) => v.startsWith(p) && v.length > p.length)
    : prefixes.some((p) => p.startsWith(v) || v.startsWith(p));
  let unknown: Unknown | undefined;
  for (const v of values) {
    if (v instanceof Malformed) {
      if (!positive) return false;
    } else if (v instanceof Unknown) {
      unknown ??= v;
    } else if (positive ? prefixes.some((p) => p.startsWith(v)) : touches(v)) {
      return positive;
    }
  }
  return unknown ? unknownHolds(unknown) : !positive;
}
