// The stack's configuration as the CLI builds it before running a program: Pulumi.yaml's config
// declarations, the values of Pulumi.<stack>.yaml over them (with the plaintext of secure values a
// --secret-config file gives), validated as `pulumi preview` validates them.

import * as path from "path";

import { isObject } from "../analyzer/types";
import { PreviewError } from "./errors";
import { readYaml } from "./yaml-file";

/** What the program sees in place of a secure config value: preview has no key to decrypt it. */
export const SECRET_PLACEHOLDER = "[secret]";

/** A config key in full "namespace:key" form; a bare key belongs to the project. */
function fullKey(key: string, project: string): string {
  return key.includes(":") ? key : `${project}:${key}`;
}

/** Whether a Pulumi.yaml config key is the project's own (bare, or in its namespace), as the CLI decides. */
function isProjectKey(key: string, project: string): boolean {
  return !key.includes(":") || key.startsWith(`${project}:`);
}

function isSecure(value: unknown): value is { secure: string } {
  return isObject(value) && Object.keys(value).length === 1 && typeof value.secure === "string";
}

/** Whether a stack value is, or holds, a `secure:` value. */
function holdsSecure(value: unknown): boolean {
  if (isSecure(value)) {
    return true;
  }
  if (Array.isArray(value)) {
    return value.some(holdsSecure);
  }
  return isObject(value) && Object.values(value).some(holdsSecure);
}

/** Replaces secure values (anywhere in a structured value) by the placeholder. */
function stripSecure(value: unknown): unknown {
  if (isSecure(value)) {
    return SECRET_PLACEHOLDER;
  }
  if (Array.isArray(value)) {
    return value.map(stripSecure);
  }
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, stripSecure(v)]));
  }
  return value;
}

/** Config values travel as strings; structured values as JSON, the way Config.getObject reads them. */
function configString(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** The value a declared type is checked against, as the CLI has it: a scalar as its string, a structure as itself. */
function configContent(value: unknown): unknown {
  return isObject(value) || Array.isArray(value) ? value : String(value);
}

const CONFIG_TYPES = ["string", "integer", "boolean", "array", "object"];

interface ItemsType {
  type: string;
  items?: ItemsType;
}

/** A config key Pulumi.yaml declares, in the CLI's terms (shorthand values already rewritten). */
interface Declaration {
  type?: string;
  items?: ItemsType;
  default?: unknown;
  value?: unknown;
  secret: boolean;
}

const DECLARATION_FIELDS = ["type", "items", "description", "secret", "default", "value"];

/** The CLI's full type name: array<integer>, array<array<string>>. */
function typeName(type: string, items: ItemsType | undefined): string {
  return items ? `array<${typeName(items.type, items.items)}>` : type;
}

/** Whether a value is of a declared type, by the CLI's rules: "true"/"false" are booleans, "42" an integer. */
function isOfType(type: string, items: ItemsType | undefined, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string";
    case "integer":
      return Number.isInteger(value) || (typeof value === "string" && /^[+-]?\d+$/.test(value));
    case "boolean":
      return typeof value === "boolean" || value === "true" || value === "false";
    case "object":
      return isObject(value);
    default:
      return Array.isArray(value) && items !== undefined && value.every((v) => isOfType(items.type, items.items, v));
  }
}

function itemsType(raw: unknown, where: string): ItemsType {
  if (!isObject(raw) || typeof raw.type !== "string" || !CONFIG_TYPES.includes(raw.type)) {
    throw new PreviewError(`${where}: items needs a type, one of ${CONFIG_TYPES.join(", ")}`);
  }
  if (raw.type === "array" && raw.items === undefined) {
    throw new PreviewError(`${where}: an array's items need their own items`);
  }
  return { type: raw.type, items: raw.items === undefined ? undefined : itemsType(raw.items, where) };
}

/**
 * Pulumi.yaml's config block, read and checked as the CLI's project loader does (sdk/go/common/workspace
 * project.go): a plain value is a default for a project key and a value for any other, and a
 * declaration's own mistakes are errors in the CLI's words.
 */
export function readDeclarations(config: unknown, project: string, file: string): Map<string, Declaration> {
  const declarations = new Map<string, Declaration>();
  if (config === undefined || config === null) {
    return declarations;
  }
  if (!isObject(config)) {
    throw new PreviewError(`${file}: config must be a mapping of configuration keys`);
  }
  for (const [key, raw] of Object.entries(config)) {
    const own = isProjectKey(key, project);
    const isDeclaration = isObject(raw) && Object.keys(raw).length > 0 && Object.keys(raw).every((k) => DECLARATION_FIELDS.includes(k));
    if (!isDeclaration) {
      declarations.set(key, own ? { default: raw, secret: false } : { value: raw, secret: false });
      continue;
    }
    const where = `${file}: config key ${key}`;
    if (raw.type !== undefined && (typeof raw.type !== "string" || !CONFIG_TYPES.includes(raw.type))) {
      throw new PreviewError(`${where} has type ${JSON.stringify(raw.type)} (expected one of ${CONFIG_TYPES.join(", ")})`);
    }
    if (raw.secret !== undefined && typeof raw.secret !== "boolean") {
      throw new PreviewError(`${where}: secret must be true or false`);
    }
    const d: Declaration = {
      type: raw.type as string | undefined,
      items: raw.items === undefined || raw.items === null ? undefined : itemsType(raw.items, where),
      default: raw.default ?? undefined,
      value: raw.value ?? undefined,
      secret: raw.secret === true,
    };
    if (d.default !== undefined && d.value !== undefined) {
      throw new PreviewError(`${file}: project config '${key}' cannot have both a 'default' and 'value' attribute`);
    }
    if (own) {
      if (d.type === "array" && !d.items) {
        throw new PreviewError(
          `${file}: The configuration key '${key}' declares an array but does not specify the underlying type via the 'items' attribute`,
        );
      }
      if (d.type && d.default !== undefined && !isOfType(d.type, d.items, d.default)) {
        throw new PreviewError(
          `${file}: The default value specified for configuration key '${key}' is not of the expected type '${typeName(d.type, d.items)}'`,
        );
      }
    } else if (d.type) {
      throw new PreviewError(`${file}: Configuration key '${key}' is not namespaced by the project and should not define a type`);
    } else if (d.default !== undefined) {
      throw new PreviewError(
        `${file}: Configuration key '${key}' is not namespaced by the project and should not define a default value. ` +
          "Did you mean to use the 'value' attribute instead of 'default'?",
      );
    } else if (d.value === undefined) {
      throw new PreviewError(`${file}: Configuration key '${key}' is namespaced and must provide an attribute 'value'`);
    }
    declarations.set(key, d);
  }
  return declarations;
}

/** The CLI's list of keys: 'a', 'a' and 'b', 'a', 'b' and 'c'. */
function quotedList(keys: string[]): string {
  const q = keys.map((k) => `'${k}'`);
  return q.length === 1 ? q[0] : `${q.slice(0, -1).join(", ")} and ${q[q.length - 1]}`;
}

/** One stack config value: from the stack file, a --secret-config file, or Pulumi.yaml. */
interface StackValue {
  raw: unknown;
  /** Encrypted in the stack file (or given for an encrypted value by --secret-config). */
  secure: boolean;
  /** A secure value nobody gave the plaintext of: the program sees the placeholder. */
  undecrypted: boolean;
}

/**
 * The project's config over the stack's, validated as `pulumi preview` validates them before it
 * runs anything (pkg/workspace/config.go): every project key declared without a default must be
 * set, a key declared secret must be encrypted, and a typed key's value must be of its type. A
 * value offline cannot decrypt is not type-checked.
 */
export function applyDeclarations(
  values: Map<string, StackValue>,
  declarations: Map<string, Declaration>,
  project: string,
  stack: string,
): void {
  const keys = [...declarations.keys()].sort();
  const missing: string[] = [];
  for (const key of keys) {
    const d = declarations.get(key) as Declaration;
    const full = fullKey(key, project);
    if (values.has(full)) {
      continue;
    }
    const given = d.default ?? d.value;
    if (given !== undefined) {
      values.set(full, { raw: given, secure: false, undecrypted: false });
    } else if (full.startsWith(`${project}:`)) {
      missing.push(key);
    }
  }
  if (missing.length > 0) {
    throw new PreviewError(
      `validating stack config: Stack '${stack}' is missing configuration value${missing.length > 1 ? "s" : ""} ${quotedList(missing)}`,
    );
  }
  for (const key of keys) {
    const d = declarations.get(key) as Declaration;
    const v = values.get(fullKey(key, project));
    if (!d.type || !v) {
      continue;
    }
    if (d.secret && !v.secure) {
      throw new PreviewError(`validating stack config: Stack '${stack}' with configuration key '${key}' must be encrypted as it's secret`);
    }
    if (!v.undecrypted && !isOfType(d.type, d.items, configContent(v.raw))) {
      throw new PreviewError(
        `validating stack config: Stack '${stack}' with configuration key '${key}' must be of type '${typeName(d.type, d.items)}'`,
      );
    }
  }
}

/** The stack's config values from its stack file, with the plaintext of secure values a --secret-config file gives. */
export function readStackValues(
  stackFile: string | undefined,
  secretConfigFile: string | undefined,
  project: string,
  stack: string,
  warnings: string[],
): Map<string, StackValue> {
  const values = new Map<string, StackValue>();
  if (stackFile) {
    const doc = readYaml(stackFile);
    if (doc !== undefined && doc !== null && !isObject(doc)) {
      throw new PreviewError(`${stackFile} is not a stack settings file`);
    }
    const config = isObject(doc) ? doc.config : undefined;
    if (config !== undefined && config !== null && !isObject(config)) {
      throw new PreviewError(`${stackFile}: config must be a mapping`);
    }
    for (const [key, raw] of Object.entries(config ?? {})) {
      if (raw !== null && raw !== undefined) {
        const secure = holdsSecure(raw);
        values.set(fullKey(key, project), { raw, secure, undecrypted: secure });
      }
    }
    if (isObject(doc) && doc.environment !== undefined) {
      warnings.push(`${path.basename(stackFile)} imports ESC environments; preview does not resolve them`);
    }
  }
  if (secretConfigFile !== undefined) {
    const doc = readYaml(secretConfigFile);
    if (!isObject(doc)) {
      throw new PreviewError(`--secret-config ${secretConfigFile} must be a mapping of config keys to their plaintext values`);
    }
    const secure = [...values].filter(([, v]) => v.secure).map(([k]) => k);
    for (const [key, plaintext] of Object.entries(doc)) {
      const full = fullKey(key, project);
      const target = values.get(full);
      if (!target?.secure) {
        const known = secure.length > 0 ? `its secure values: ${secure.join(", ")}` : "it has none";
        throw new PreviewError(`--secret-config ${secretConfigFile}: ${full} is not a secure value of stack ${stack} (${known})`);
      }
      if (plaintext === null || plaintext === undefined || holdsSecure(plaintext)) {
        throw new PreviewError(`--secret-config ${secretConfigFile}: ${full} needs its plaintext value`);
      }
      values.set(full, { raw: plaintext, secure: true, undecrypted: false });
    }
  }
  return values;
}

/** The config the program reads, "namespace:key" to string in key order, and which keys are secret or left encrypted. */
export function programConfig(values: Map<string, StackValue>): { config: Record<string, string>; secretKeys: string[]; undecrypted: string[] } {
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const undecrypted: string[] = [];
  for (const [key, v] of [...values].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    config[key] = configString(stripSecure(v.raw));
    if (v.secure) secretKeys.push(key);
    if (v.undecrypted) undecrypted.push(key);
  }
  return { config, secretKeys, undecrypted };
}
