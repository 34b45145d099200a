// One CloudTrail trail, read from a resource's properties into a model both provider kinds share,
// with every problem AWS would reject or that breaks the expected types, named by property path.

import { Malformed, Unknown, Value, isUnknownSentinel, unwrap } from "./values";

export const CLASSIC_TRAIL_TYPE = "aws:cloudtrail/trail:Trail";
export const NATIVE_TRAIL_TYPE = "aws-native:cloudtrail:Trail";
export const TRAIL_TYPES: readonly string[] = [CLASSIC_TRAIL_TYPE, NATIVE_TRAIL_TYPE];

export type TrailKind = "aws" | "aws-native";

export function trailKindOf(type: string): TrailKind | undefined {
  if (type === CLASSIC_TRAIL_TYPE) return "aws";
  if (type === NATIVE_TRAIL_TYPE) return "aws-native";
  return undefined;
}

export const MANAGEMENT_SOURCES_AWS_CAN_EXCLUDE = ["kms.amazonaws.com", "rdsdata.amazonaws.com"] as const;
export type ExcludableSource = (typeof MANAGEMENT_SOURCES_AWS_CAN_EXCLUDE)[number];

const READ_WRITE_TYPES = ["ReadOnly", "WriteOnly", "All"];
/** AWS accepts at most five basic event selectors on a trail (PutEventSelectors). */
export const MAX_BASIC_SELECTORS = 5;
/** AWS accepts at most 500 condition values in all the advanced event selectors of a trail. */
export const MAX_ADVANCED_CONDITION_VALUES = 500;
/** Lengths AWS accepts (AdvancedFieldSelector, AdvancedEventSelector). */
export const MAX_FIELD_LENGTH = 1000;
export const MAX_OPERAND_LENGTH = 2048;
export const MAX_SELECTOR_NAME_LENGTH = 1000;
/** The fields AWS accepts in an advanced selector for management events. */
export const MANAGEMENT_FIELDS: readonly string[] = ["eventCategory", "readOnly", "eventSource"];

export type Operator = "equals" | "notEquals" | "startsWith" | "notStartsWith" | "endsWith" | "notEndsWith";
const OPERATORS: readonly Operator[] = ["equals", "notEquals", "startsWith", "notStartsWith", "endsWith", "notEndsWith"];

/** Property names that differ between the classic (Terraform-based) and the aws-native provider. */
export interface PropertyNames {
  logging: string;
  cloudWatchLogsGroupArn: string;
  operators: Record<Operator, string>;
}

export const PROPERTY_NAMES: Record<TrailKind, PropertyNames> = {
  aws: {
    logging: "enableLogging",
    cloudWatchLogsGroupArn: "cloudWatchLogsGroupArn",
    operators: {
      equals: "equals", notEquals: "notEquals", startsWith: "startsWiths",
      notStartsWith: "notStartsWiths", endsWith: "endsWiths", notEndsWith: "notEndsWiths",
    },
  },
  "aws-native": {
    logging: "isLogging",
    cloudWatchLogsGroupArn: "cloudWatchLogsLogGroupArn",
    operators: {
      equals: "equals", notEquals: "notEquals", startsWith: "startsWith",
      notStartsWith: "notStartsWith", endsWith: "endsWith", notEndsWith: "notEndsWith",
    },
  },
};

export type Strings = Value<Value<string>[]>;

export interface BasicSelector {
  path: string;
  readWriteType: Value<string>;
  includeManagementEvents: Value<boolean>;
  excludedSources: Strings;
}

export interface FieldCondition {
  operator: Operator;
  values: Strings;
}

export interface FieldSelector {
  path: string;
  field: Value<string>;
  conditions: FieldCondition[];
}

export interface AdvancedSelector {
  path: string;
  fieldSelectors: Value<Value<FieldSelector>[]>;
}

export interface Trail {
  kind: TrailKind;
  names: PropertyNames;
  logging: Value<boolean>;
  multiRegion: Value<boolean>;
  globalServiceEvents: Value<boolean>;
  organization: Value<boolean>;
  logFileValidation: Value<boolean>;
  kmsKeyId: Value<string> | undefined;
  cloudWatchLogsGroupArn: Value<string> | undefined;
  basicSelectors: Value<Value<BasicSelector>[]>;
  advancedSelectors: Value<Value<AdvancedSelector>[]>;
}

/** One kind of problem per code, each with its own message. */
export type ProblemCode =
  | "unknown-properties" | "wrong-type" | "null-entry" | "required"
  | "both-selector-kinds" | "too-many-basic-selectors" | "multi-region-without-global-events"
  | "read-write-type" | "excluded-source" | "no-field-selectors" | "no-event-category"
  | "event-category-operator" | "read-only-operator" | "read-only-value" | "management-field"
  | "management-event-source" | "too-many-condition-values" | "too-long";

export interface Problem {
  code: ProblemCode;
  path: string;
  /** One plain sentence, naming the property. */
  message: string;
}

/** An unknown value that AWS would reject for some of its values, and the rule it could break. */
export interface Undecided {
  path: string;
  /** Reads after "may be rejected by AWS: ": a clause naming the rule. */
  rule: string;
}

export interface ParsedTrail {
  trail: Trail;
  /** Configurations AWS rejects, or values of the wrong type: the trail cannot be trusted. */
  problems: Problem[];
  /** Unknown values that could still make the configuration one AWS rejects. */
  undecided: Undecided[];
  /**
   * No property is set at all: the lookup arguments of a resource read with `get`, which the engine
   * records as its inputs, not a trail's configuration (every trail has an s3BucketName).
   */
  lookupOnly: boolean;
}

/** Reads a trail's properties (inputs or outputs) without trusting their shape. */
export function parseTrail(kind: TrailKind, props: unknown): ParsedTrail {
  const reader = new Reader();
  const names = PROPERTY_NAMES[kind];
  const root = reader.object(props, "properties");
  const source = root instanceof Malformed || root instanceof Unknown ? {} : root;
  const field = (key: string) => source[key];
  const trail: Trail = {
    kind,
    names,
    // The classic provider fills the Terraform default (true); aws-native requires the property.
    logging: kind === "aws"
      ? reader.flag(field(names.logging), names.logging, true)
      : reader.requiredFlag(field(names.logging), names.logging),
    multiRegion: reader.flag(field("isMultiRegionTrail"), "isMultiRegionTrail", false),
    globalServiceEvents: reader.flag(field("includeGlobalServiceEvents"), "includeGlobalServiceEvents", true),
    organization: reader.flag(field("isOrganizationTrail"), "isOrganizationTrail", false),
    logFileValidation: reader.flag(field("enableLogFileValidation"), "enableLogFileValidation", false),
    kmsKeyId: reader.optionalString(field("kmsKeyId"), "kmsKeyId"),
    cloudWatchLogsGroupArn: reader.optionalString(field(names.cloudWatchLogsGroupArn), names.cloudWatchLogsGroupArn),
    basicSelectors: reader.list(field("eventSelectors"), "eventSelectors", (v, p) => reader.basicSelector(v, p)),
    advancedSelectors: reader.list(field("advancedEventSelectors"), "advancedEventSelectors",
      (v, p) => reader.advancedSelector(v, p, names)),
  };
  if (root instanceof Unknown) {
    reader.problem("unknown-properties", "properties", "The trail's properties are unknown as a whole, so its settings cannot be read.");
  }
  const undecided = checkCombinations(trail, reader);
  const lookupOnly = !(root instanceof Unknown || root instanceof Malformed)
    && Object.values(root).every((v) => unwrap(v) === null || unwrap(v) === undefined);
  return { trail, problems: reader.problems, undecided, lookupOnly };
}

/** Rules AWS applies across properties, which no single property's type shows. */
function checkCombinations(trail: Trail, reader: Reader): Undecided[] {
  const undecided: Undecided[] = [];
  const basic = trail.basicSelectors;
  const advanced = trail.advancedSelectors;
  if (Array.isArray(basic) && basic.length > 0 && Array.isArray(advanced) && advanced.length > 0) {
    reader.problem("both-selector-kinds", "advancedEventSelectors",
      "eventSelectors and advancedEventSelectors are both set, but AWS accepts only one kind of selector on a trail.");
  }
  if (Array.isArray(basic) && basic.length > MAX_BASIC_SELECTORS) {
    reader.problem("too-many-basic-selectors", "eventSelectors",
      `eventSelectors has ${basic.length} selectors, but AWS accepts at most ${MAX_BASIC_SELECTORS} on a trail.`);
  }
  const values = conditionValueCount(advanced);
  if (values > MAX_ADVANCED_CONDITION_VALUES) {
    reader.problem("too-many-condition-values", "advancedEventSelectors",
      `advancedEventSelectors has ${values} condition values in all, but AWS accepts at most ` +
      `${MAX_ADVANCED_CONDITION_VALUES} on a trail.`);
  }
  const multi = trail.multiRegion;
  const global = trail.globalServiceEvents;
  if (multi === true && global === false) {
    reader.problem("multi-region-without-global-events", "includeGlobalServiceEvents",
      "includeGlobalServiceEvents is false on a multi-region trail, which AWS rejects.");
  } else if ((multi === true || multi instanceof Unknown) && (global === false || global instanceof Unknown)) {
    const rule = "a multi-region trail must include global service events";
    if (multi instanceof Unknown) undecided.push({ path: multi.path, rule });
    if (global instanceof Unknown) undecided.push({ path: global.path, rule });
  }
  const bothKinds = "a trail accepts one kind of event selector, not both";
  if (basic instanceof Unknown && !(Array.isArray(advanced) && advanced.length === 0)) {
    undecided.push({ path: basic.path, rule: bothKinds });
  } else if (advanced instanceof Unknown && Array.isArray(basic) && basic.length > 0) {
    undecided.push({ path: advanced.path, rule: bothKinds });
  }
  return undecided;
}

/** Condition values in all advanced selectors; unknown lists count for nothing yet. */
function conditionValueCount(advanced: Value<Value<AdvancedSelector>[]>): number {
  if (!Array.isArray(advanced)) return 0;
  let count = 0;
  for (const selector of advanced) {
    if (selector instanceof Unknown || selector instanceof Malformed || !Array.isArray(selector.fieldSelectors)) continue;
    for (const field of selector.fieldSelectors) {
      if (field instanceof Unknown || field instanceof Malformed) continue;
      for (const condition of field.conditions) if (Array.isArray(condition.values)) count += condition.values.length;
    }
  }
  return count;
}

/**
 * The trail with each unknown that AWS's cross-property rules leave only one accepted value for
 * set to that value: an unknown cannot rescue a trail by taking a value AWS would reject. Beside
 * known selectors of one kind, the other kind can only be empty; a multi-region trail can only
 * include global service events; a trail without them can only be single-region.
 */
export function withAcceptedValues(trail: Trail): Trail {
  const pinned = { ...trail };
  const nonEmpty = (list: Value<unknown[]>) => Array.isArray(list) && list.length > 0;
  if (pinned.basicSelectors instanceof Unknown && nonEmpty(pinned.advancedSelectors)) pinned.basicSelectors = [];
  if (pinned.advancedSelectors instanceof Unknown && nonEmpty(pinned.basicSelectors)) pinned.advancedSelectors = [];
  if (pinned.globalServiceEvents instanceof Unknown && pinned.multiRegion === true) pinned.globalServiceEvents = true;
  if (pinned.multiRegion instanceof Unknown && pinned.globalServiceEvents === false) pinned.multiRegion = false;
  return pinned;
}

type RawObject = Record<string, unknown>;

class Reader {
  readonly problems: Problem[] = [];

  problem(code: ProblemCode, path: string, message: string): void {
    this.problems.push({ code, path, message });
  }

  /** Common first step: unwrap wire forms, spot unknowns, treat null like absent. */
  raw(value: unknown, path: string): unknown | Unknown | undefined {
    const plain = unwrap(value);
    if (plain === null || plain === undefined) return undefined;
    if (isUnknownSentinel(plain)) return new Unknown(path);
    return plain;
  }

  private wrongType(path: string, expected: string, value: unknown): Malformed {
    this.problem("wrong-type", path, `${path} must be ${expected}, not ${describeType(value)}.`);
    return new Malformed(path);
  }

  object(value: unknown, path: string): RawObject | Unknown | Malformed {
    const raw = this.raw(value, path);
    if (raw === undefined) return {};
    if (raw instanceof Unknown) return raw;
    if (typeof raw !== "object" || Array.isArray(raw)) return this.wrongType(path, "an object", raw);
    return raw as RawObject;
  }

  flag(value: unknown, path: string, absent: boolean): Value<boolean> {
    const raw = this.raw(value, path);
    if (raw === undefined) return absent;
    if (raw instanceof Unknown || typeof raw === "boolean") return raw;
    return this.wrongType(path, "a boolean", raw);
  }

  requiredFlag(value: unknown, path: string): Value<boolean> {
    if (this.raw(value, path) === undefined) return this.missing(path);
    return this.flag(value, path, false);
  }

  optionalString(value: unknown, path: string): Value<string> | undefined {
    if (this.raw(value, path) === undefined) return undefined;
    return this.string(value, path);
  }

  string(value: unknown, path: string): Value<string> {
    const raw = this.raw(value, path);
    if (raw instanceof Unknown || typeof raw === "string") return raw;
    if (raw === undefined) return this.missing(path);
    return this.wrongType(path, "a string", raw);
  }

  /** An absent or null list is an empty one, as the providers report unset lists. */
  list<T>(value: unknown, path: string, item: (value: unknown, path: string) => Value<T>): Value<Value<T>[]> {
    const raw = this.raw(value, path);
    if (raw === undefined) return [];
    if (raw instanceof Unknown) return raw;
    if (!Array.isArray(raw)) return this.wrongType(path, "a list", raw);
    const items: Value<T>[] = [];
    for (let i = 0; i < raw.length; i++) {
      const itemPath = `${path}[${i}]`;
      const element = unwrap(raw[i]);
      if (element === null || element === undefined) {
        this.problem("null-entry", itemPath, `${itemPath} is null, but list entries must not be null.`);
        items.push(new Malformed(itemPath));
      } else {
        items.push(item(element, itemPath));
      }
    }
    return items;
  }

  strings(value: unknown, path: string): Strings {
    return this.list(value, path, (v, p) => this.string(v, p));
  }

  basicSelector(value: unknown, path: string): Value<BasicSelector> {
    const obj = this.object(value, path);
    if (obj instanceof Unknown || obj instanceof Malformed) return obj;
    const readWriteType = this.optionalString(obj.readWriteType, `${path}.readWriteType`) ?? "All";
    const excludedSources = this.strings(obj.excludeManagementEventSources, `${path}.excludeManagementEventSources`);
    const selector: BasicSelector = {
      path,
      readWriteType,
      includeManagementEvents: this.flag(obj.includeManagementEvents, `${path}.includeManagementEvents`, true),
      excludedSources,
    };
    if (typeof readWriteType === "string" && !READ_WRITE_TYPES.includes(readWriteType)) {
      this.problem("read-write-type", `${path}.readWriteType`,
        `${path}.readWriteType must be exactly ReadOnly, WriteOnly or All, which AWS compares case-sensitively.`);
      selector.readWriteType = new Malformed(`${path}.readWriteType`);
    }
    if (Array.isArray(excludedSources)) {
      selector.excludedSources = excludedSources.map((source, i) => {
        if (typeof source !== "string" || (MANAGEMENT_SOURCES_AWS_CAN_EXCLUDE as readonly string[]).includes(source)) {
          return source;
        }
        const sourcePath = `${path}.excludeManagementEventSources[${i}]`;
        this.problem("excluded-source", sourcePath,
          `${sourcePath} names a source AWS cannot exclude: only kms.amazonaws.com and rdsdata.amazonaws.com can be.`);
        return new Malformed(sourcePath);
      });
    }
    this.list(obj.dataResources, `${path}.dataResources`, (v, p) => this.dataResource(v, p));
    return selector;
  }

  /** Data resources select data events only; they are read just to check their shape. */
  private dataResource(value: unknown, path: string): Value<true> {
    const obj = this.object(value, path);
    if (obj instanceof Unknown || obj instanceof Malformed) return obj;
    this.optionalString(obj.type, `${path}.type`);
    this.strings(obj.values, `${path}.values`);
    return true;
  }

  advancedSelector(value: unknown, path: string, names: PropertyNames): Value<AdvancedSelector> {
    const obj = this.object(value, path);
    if (obj instanceof Unknown || obj instanceof Malformed) return obj;
    this.limitLength(this.optionalString(obj.name, `${path}.name`), `${path}.name`, MAX_SELECTOR_NAME_LENGTH);
    const fieldSelectors = this.list(obj.fieldSelectors, `${path}.fieldSelectors`,
      (v, p) => this.fieldSelector(v, p, names));
    if (Array.isArray(fieldSelectors)) {
      if (fieldSelectors.length === 0) {
        this.problem("no-field-selectors", `${path}.fieldSelectors`,
          `${path}.fieldSelectors is empty, but AWS requires at least an eventCategory field selector.`);
      } else if (!fieldSelectors.some((f) => !(f instanceof Malformed) && (f instanceof Unknown
        || f.field instanceof Unknown || f.field === "eventCategory"))) {
        this.problem("no-event-category", `${path}.fieldSelectors`,
          `${path}.fieldSelectors has no eventCategory field selector, which AWS requires.`);
      } else if (fieldSelectors.some((f) => !(f instanceof Unknown || f instanceof Malformed) && selectsManagement(f))) {
        this.checkManagementFields(fieldSelectors, names);
      }
    }
    return { path, fieldSelectors };
  }

  /** A management selector may use only eventCategory, readOnly and eventSource (excluding kms or rdsdata). */
  private checkManagementFields(fields: Value<FieldSelector>[], names: PropertyNames): void {
    for (const f of fields) {
      if (f instanceof Unknown || f instanceof Malformed || typeof f.field !== "string") continue;
      if (!MANAGEMENT_FIELDS.includes(f.field)) {
        this.problem("management-field", `${f.path}.field`,
          `${f.path}.field ${fieldPhrase(f.field)} AWS rejects in a management event selector, ` +
          "where it accepts only eventCategory, readOnly and eventSource.");
      } else if (f.field === "eventSource" && !f.conditions.every((c) => c.operator === "notEquals"
        && Array.isArray(c.values) && c.values.every((v) => typeof v !== "string"
          || (MANAGEMENT_SOURCES_AWS_CAN_EXCLUDE as readonly string[]).includes(v)))) {
        this.problem("management-event-source", f.path,
          `${f.path} filters eventSource other than with ${names.operators.notEquals} kms.amazonaws.com or ` +
          "rdsdata.amazonaws.com, which AWS rejects in a management event selector.");
      }
    }
  }

  private limitLength(value: Value<string> | undefined, path: string, most: number): void {
    if (typeof value === "string" && value.length > most) {
      this.problem("too-long", path, `${path} is ${value.length} characters long, but AWS accepts at most ${most}.`);
    }
  }

  private fieldSelector(value: unknown, path: string, names: PropertyNames): Value<FieldSelector> {
    const obj = this.object(value, path);
    if (obj instanceof Unknown || obj instanceof Malformed) return obj;
    const field = this.raw(obj.field, `${path}.field`) === undefined
      ? this.missing(`${path}.field`)
      : this.string(obj.field, `${path}.field`);
    this.limitLength(field, `${path}.field`, MAX_FIELD_LENGTH);
    const conditions: FieldCondition[] = [];
    for (const operator of OPERATORS) {
      const key = names.operators[operator];
      const values = this.strings(obj[key], `${path}.${key}`);
      if (Array.isArray(values)) values.forEach((v, i) => this.limitLength(v, `${path}.${key}[${i}]`, MAX_OPERAND_LENGTH));
      // Providers report unset operators as empty lists: those add no condition.
      if (!(Array.isArray(values) && values.length === 0)) conditions.push({ operator, values });
    }
    const selector: FieldSelector = { path, field, conditions };
    if (field === "eventCategory" && conditions.some((c) => c.operator !== "equals")) {
      this.problem("event-category-operator", path,
        `${path} uses an operator other than equals on eventCategory, which AWS rejects.`);
    }
    if (field === "readOnly") {
      if (conditions.some((c) => c.operator !== "equals")) {
        this.problem("read-only-operator", path, `${path} uses an operator other than equals on readOnly, which AWS rejects.`);
      }
      this.checkReadOnlyValues(selector, names);
    }
    return selector;
  }

  private missing(path: string): Malformed {
    this.problem("required", path, `${path} is required but not set.`);
    return new Malformed(path);
  }

  private checkReadOnlyValues(selector: FieldSelector, names: PropertyNames): void {
    for (const condition of selector.conditions) {
      if (!Array.isArray(condition.values)) continue;
      condition.values.forEach((v, i) => {
        if (typeof v === "string" && v !== "true" && v !== "false") {
          const valuePath = `${selector.path}.${names.operators[condition.operator]}[${i}]`;
          this.problem("read-only-value", valuePath, `${valuePath} must be "true" or "false" for the readOnly field.`);
        }
      });
    }
  }
}

/** Whether a field selector is eventCategory equals Management (with or without other categories). */
export function selectsManagement(field: FieldSelector): boolean {
  return field.field === "eventCategory" && field.conditions.some((c) => c.operator === "equals"
    && Array.isArray(c.values) && c.values.includes("Management"));
}

/** The fields AWS documents for advanced event selectors (AdvancedFieldSelector.Field). */
const AWS_FIELDS = new Set([
  "eventCategory", "eventSource", "eventName", "eventType", "readOnly", "resources.type", "resources.ARN",
  "sessionCredentialFromConsole", "userIdentity.arn", "errorCode", "vpcEndpointId",
]);

/** "is eventName, a field": a field is named only when AWS documents it, as the value may be a secret. */
function fieldPhrase(field: string): string {
  return AWS_FIELDS.has(field) ? `is ${field}, a field` : "names a field AWS does not document, which";
}

function describeType(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "symbol") return "a value that cannot be read";
  return `a ${typeof value}`;
}
