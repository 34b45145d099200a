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
/** AWS accepts at most five basic event selectors on a trail. */
export const MAX_BASIC_SELECTORS = 5;

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

export interface Problem {
  path: string;
  message: string;
}

export interface ParsedTrail {
  trail: Trail;
  /** Configurations AWS rejects, or values of the wrong type: the trail cannot be trusted. */
  problems: Problem[];
  /** Unknown values that could still make the configuration one AWS rejects. */
  undecided: Unknown[];
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
  if (root instanceof Unknown) reader.problem("properties", "are unknown as a whole; a trail's settings cannot be read");
  const undecided = checkCombinations(trail, reader);
  return { trail, problems: reader.problems, undecided };
}

/** Rules AWS applies across properties, which no single property's type shows. */
function checkCombinations(trail: Trail, reader: Reader): Unknown[] {
  const undecided: Unknown[] = [];
  const basic = trail.basicSelectors;
  const advanced = trail.advancedSelectors;
  if (Array.isArray(basic) && basic.length > 0 && Array.isArray(advanced) && advanced.length > 0) {
    reader.problem("advancedEventSelectors",
      "eventSelectors and advancedEventSelectors are both set; AWS accepts one kind of selector per trail, not both");
  }
  if (Array.isArray(basic) && basic.length > MAX_BASIC_SELECTORS) {
    reader.problem("eventSelectors", `has ${basic.length} basic event selectors; AWS accepts at most ${MAX_BASIC_SELECTORS}`);
  }
  const multi = trail.multiRegion;
  const global = trail.globalServiceEvents;
  if (multi === true && global === false) {
    reader.problem("includeGlobalServiceEvents",
      "is false on a multi-region trail; AWS rejects a multi-region trail without global service events");
  } else if ((multi === true || multi instanceof Unknown) && (global === false || global instanceof Unknown)) {
    if (multi instanceof Unknown) undecided.push(multi);
    if (global instanceof Unknown) undecided.push(global);
  }
  return undecided;
}

type RawObject = Record<string, unknown>;

class Reader {
  readonly problems: Problem[] = [];

  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  /** Common first step: unwrap wire forms, spot unknowns, treat null like absent. */
  raw(value: unknown, path: string): unknown | Unknown | undefined {
    const plain = unwrap(value);
    if (plain === null || plain === undefined) return undefined;
    if (isUnknownSentinel(plain)) return new Unknown(path);
    return plain;
  }

  private wrongType(path: string, expected: string, value: unknown): Malformed {
    this.problem(path, `must be ${expected}, got ${describeType(value)}`);
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
    if (raw === undefined) {
      this.problem(path, "is null; a string is expected");
      return new Malformed(path);
    }
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
        this.problem(itemPath, "is null; list entries must not be null");
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
      this.problem(`${path}.readWriteType`, "must be exactly ReadOnly, WriteOnly or All (AWS compares case-sensitively)");
      selector.readWriteType = new Malformed(`${path}.readWriteType`);
    }
    if (Array.isArray(excludedSources)) {
      selector.excludedSources = excludedSources.map((source, i) => {
        if (typeof source !== "string" || (MANAGEMENT_SOURCES_AWS_CAN_EXCLUDE as readonly string[]).includes(source)) {
          return source;
        }
        const sourcePath = `${path}.excludeManagementEventSources[${i}]`;
        this.problem(sourcePath, "names a source AWS cannot exclude; only kms.amazonaws.com and rdsdata.amazonaws.com are accepted");
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
    this.optionalString(obj.name, `${path}.name`);
    const fieldSelectors = this.list(obj.fieldSelectors, `${path}.fieldSelectors`,
      (v, p) => this.fieldSelector(v, p, names));
    if (Array.isArray(fieldSelectors)) {
      if (fieldSelectors.length === 0) {
        this.problem(`${path}.fieldSelectors`, "is empty; AWS requires at least an eventCategory field selector");
      } else if (!fieldSelectors.some((f) => !(f instanceof Malformed) && (f instanceof Unknown
        || f.field instanceof Unknown || f.field === "eventCategory"))) {
        this.problem(`${path}.fieldSelectors`, "has no eventCategory field selector; AWS requires one");
      }
    }
    return { path, fieldSelectors };
  }

  private fieldSelector(value: unknown, path: string, names: PropertyNames): Value<FieldSelector> {
    const obj = this.object(value, path);
    if (obj instanceof Unknown || obj instanceof Malformed) return obj;
    const field = this.raw(obj.field, `${path}.field`) === undefined
      ? this.missing(`${path}.field`)
      : this.string(obj.field, `${path}.field`);
    const conditions: FieldCondition[] = [];
    for (const operator of OPERATORS) {
      const key = names.operators[operator];
      const values = this.strings(obj[key], `${path}.${key}`);
      // Providers report unset operators as empty lists: those add no condition.
      if (!(Array.isArray(values) && values.length === 0)) conditions.push({ operator, values });
    }
    const selector: FieldSelector = { path, field, conditions };
    if (field === "eventCategory" && conditions.some((c) => c.operator !== "equals")) {
      this.problem(`${path}`, "uses an operator other than equals on eventCategory; AWS accepts only equals there");
    }
    if (field === "readOnly") this.checkReadOnlyValues(selector, names);
    return selector;
  }

  private missing(path: string): Malformed {
    this.problem(path, "is required and not set");
    return new Malformed(path);
  }

  private checkReadOnlyValues(selector: FieldSelector, names: PropertyNames): void {
    for (const condition of selector.conditions) {
      if (!Array.isArray(condition.values)) continue;
      condition.values.forEach((v, i) => {
        if (typeof v === "string" && v !== "true" && v !== "false") {
          this.problem(`${selector.path}.${names.operators[condition.operator]}[${i}]`,
            "must be \"true\" or \"false\" for the readOnly field");
        }
      });
    }
  }
}

function describeType(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "symbol") return "a value that cannot be read";
  return `a ${typeof value}`;
}
