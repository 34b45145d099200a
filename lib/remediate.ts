// Rewrites a trail's inputs so that it meets CIS 3.1, changing only what stands in the way:
// the three flags, management-event selectors and exclusions. Buckets, keys, tags and data-event
// selectors stay as written; values unknown at preview are left alone; a trail AWS would reject
// is not touched (the validity policy names its problems instead), except a multi-region trail
// without global service events, whose fix is that one flag.

import { MANAGEMENT_SOURCES_AWS_CAN_EXCLUDE, MAX_BASIC_SELECTORS, PROPERTY_NAMES, TrailKind, parseTrail } from "./trail";
import { isUnknownSentinel, unwrap } from "./values";

export interface Remediation {
  /** Top-level properties to replace, with their new values. */
  changes: Record<string, unknown>;
  /** What was done, in words, for the diagnostic and the docs. */
  actions: string[];
}

type Raw = Record<string, unknown>;

export function remediateTrail(kind: TrailKind, props: unknown, allowedExcludedSources: readonly string[]): Remediation | undefined {
  const parsed = parseTrail(kind, props);
  // A multi-region trail without global service events has one obvious fix, made below; any
  // other problem is the validity policy's to name, and a lookup has no configuration to fix.
  if (parsed.lookupOnly || parsed.problems.some((p) => p.code !== "multi-region-without-global-events")) return undefined;
  const raw = (unwrap(props) ?? {}) as Raw;
  const names = PROPERTY_NAMES[kind];
  const changes: Raw = {};
  const actions: string[] = [];
  const setFlag = (key: string, absentMeans: boolean) => {
    const value = unwrap(raw[key]);
    if (isUnknownSentinel(value)) return;
    if (value === true || ((value === undefined || value === null) && absentMeans)) return;
    changes[key] = true;
    actions.push(`set ${key} to true`);
  };
  setFlag(names.logging, kind === "aws");
  setFlag("isMultiRegionTrail", false);
  setFlag("includeGlobalServiceEvents", true);

  const basic = unwrap(raw.eventSelectors);
  const advanced = unwrap(raw.advancedEventSelectors);
  if (isUnknownSentinel(basic) || isUnknownSentinel(advanced)) return finish(changes, actions);
  const basicList = Array.isArray(basic) ? basic : [];
  const advancedList = Array.isArray(advanced) ? advanced : [];
  const allowed = new Set(allowedExcludedSources);
  if (basicList.length > 0) {
    const widened = widenBasic(basicList, allowed, actions);
    if (widened) changes.eventSelectors = widened;
  } else if (advancedList.length > 0) {
    const widened = widenAdvanced(advancedList, allowed, names.operators.notEquals, actions);
    if (widened) changes.advancedEventSelectors = widened;
  }
  return finish(changes, actions);
}

function finish(changes: Raw, actions: string[]): Remediation | undefined {
  return actions.length > 0 ? { changes, actions } : undefined;
}

/** Management selectors become All with no disallowed exclusions; data-only selectors stay. */
function widenBasic(selectors: unknown[], allowed: Set<string>, actions: string[]): unknown[] | undefined {
  let changed = false;
  let recordsManagement = false;
  const result = selectors.map((entry, i) => {
    const selector = unwrap(entry) as Raw;
    const include = unwrap(selector.includeManagementEvents);
    if (include === false || isUnknownSentinel(include)) return entry;
    recordsManagement = true;
    const next: Raw = { ...selector };
    const readWrite = unwrap(selector.readWriteType);
    if (readWrite === "ReadOnly" || readWrite === "WriteOnly") {
      next.readWriteType = "All";
      actions.push(`set eventSelectors[${i}].readWriteType to All`);
      changed = true;
    }
    const excluded = unwrap(selector.excludeManagementEventSources);
    if (Array.isArray(excluded)) {
      const kept = excluded.filter((s) => isUnknownSentinel(unwrap(s)) || allowed.has(unwrap(s) as string));
      if (kept.length !== excluded.length) {
        next.excludeManagementEventSources = kept;
        actions.push(`removed excluded management event sources from eventSelectors[${i}]`);
        changed = true;
      }
    }
    return next;
  });
  if (!recordsManagement) {
    if (result.length < MAX_BASIC_SELECTORS) {
      result.push({ readWriteType: "All", includeManagementEvents: true });
      actions.push("added an event selector for all management events");
    } else {
      const first = unwrap(result[0]) as Raw;
      result[0] = { ...first, includeManagementEvents: true, readWriteType: "All" };
      actions.push("included management events in eventSelectors[0]");
    }
    changed = true;
  }
  return changed ? result : undefined;
}

/**
 * A management selector keeps its eventCategory condition and allowed exclusions; conditions
 * that narrow it (readOnly, other event sources, other fields) go. Data selectors stay as written.
 */
function widenAdvanced(selectors: unknown[], allowed: Set<string>, notEqualsKey: string, actions: string[]): unknown[] | undefined {
  let changed = false;
  let management = false;
  const result = selectors.map((entry, i) => {
    const selector = unwrap(entry) as Raw;
    const fields = (unwrap(selector.fieldSelectors) as unknown[]).map((f) => unwrap(f) as Raw);
    if (!fields.some(isManagementCategory)) return entry;
    management = true;
    const kept = fields.filter((field) => isManagementCategory(field) || isAllowedExclusion(field, allowed, notEqualsKey));
    if (kept.length === fields.length) return entry;
    // A condition that is unknown at preview is not ours to drop: `pulumi up` judges it.
    if (fields.some((field) => !kept.includes(field) && containsUnknown(field))) return entry;
    changed = true;
    actions.push(`removed conditions narrowing management events from advancedEventSelectors[${i}]`);
    return { ...selector, fieldSelectors: kept };
  });
  if (!management) {
    result.push({ name: "Management events", fieldSelectors: [{ field: "eventCategory", equals: ["Management"] }] });
    actions.push("added an advanced event selector for all management events");
    changed = true;
  }
  return changed ? result : undefined;
}

function isManagementCategory(field: Raw): boolean {
  const equals = unwrap(field.equals);
  return unwrap(field.field) === "eventCategory" && Array.isArray(equals) && equals.some((v) => unwrap(v) === "Management");
}

/** An eventSource notEquals that excludes only sources the configuration allows. */
function isAllowedExclusion(field: Raw, allowed: Set<string>, notEqualsKey: string): boolean {
  if (unwrap(field.field) !== "eventSource") return false;
  const excluded = unwrap(field[notEqualsKey]);
  const otherOperators = Object.keys(field).filter((k) => k !== "field" && k !== notEqualsKey)
    .some((k) => { const v = unwrap(field[k]); return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null; });
  return !otherOperators && Array.isArray(excluded) && excluded.every((s) =>
    allowed.has(unwrap(s) as string) && (MANAGEMENT_SOURCES_AWS_CAN_EXCLUDE as readonly string[]).includes(unwrap(s) as string));
}

function containsUnknown(value: unknown): boolean {
  const plain = unwrap(value);
  if (isUnknownSentinel(plain)) return true;
  if (Array.isArray(plain)) return plain.some(containsUnknown);
  if (plain !== null && typeof plain === "object") return Object.values(plain).some(containsUnknown);
  return false;
}
