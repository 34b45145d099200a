// The --policy-pack-config file, read and checked the way the CLI's flag is: a JSON object of
// {policyName: "level" | {enforcementLevel?, ...options}}, "all" setting every policy's level.

import Ajv, { ErrorObject } from "ajv";
import * as fs from "fs";

import { AnalyzerInfo, EnforcementLevel, PolicyConfig } from "../analyzer/types";
import { PreviewError, errorMessage, firstLine, jsonSyntaxError } from "./errors";

export const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

function isLevel(v: unknown): v is EnforcementLevel {
  return typeof v === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(v);
}

function levels(): string {
  return ENFORCEMENT_LEVELS.join(", ");
}

/** Parses and checks the file's structure; the policies it names are checked against the pack later. */
export function parsePolicyPackConfig(text: string, file: string): Record<string, PolicyConfig> {
  // As the CLI does, an empty file is no config at all.
  if (text.trim() === "") {
    return {};
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PreviewError(`policy pack config ${file} is not valid JSON: ${jsonSyntaxError(err)}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new PreviewError(`policy pack config ${file} must be a JSON object of policy names`);
  }
  const { environments, ...policies } = doc as Record<string, unknown>;
  if (environments !== undefined) {
    // The CLI reads "environments" as Pulumi ESC environments to open for the pack; with no backend
    // to open them it stops, and so does this preview.
    if (!Array.isArray(environments) || !environments.every((e) => typeof e === "string")) {
      throw new PreviewError(`policy pack config ${file}: "environments" must be an array of strings`);
    }
    throw new PreviewError(`policy pack config ${file} lists ESC environments, which the offline preview cannot open`);
  }
  const out: Record<string, PolicyConfig> = {};
  for (const [name, entry] of Object.entries(policies)) {
    if (typeof entry === "string") {
      if (!isLevel(entry)) {
        throw new PreviewError(`policy pack config ${file}: ${name} has enforcement level "${entry}" (expected one of ${levels()})`);
      }
      out[name] = { enforcementLevel: entry };
      continue;
    }
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw new PreviewError(`policy pack config ${file}: ${name} must be an enforcement level or an object`);
    }
    const { enforcementLevel, ...options } = entry as Record<string, unknown>;
    if (enforcementLevel !== undefined && !isLevel(enforcementLevel)) {
      throw new PreviewError(
        `policy pack config ${file}: ${name} has enforcementLevel ${JSON.stringify(enforcementLevel)} (expected one of ${levels()})`,
      );
    }
    if (name === "all" && Object.keys(options).length > 0) {
      throw new PreviewError(`policy pack config ${file}: "all" takes only an enforcement level`);
    }
    out[name] = enforcementLevel === undefined ? { ...options } : { enforcementLevel, ...options };
  }
  return out;
}

export function readPolicyPackConfig(file: string): Record<string, PolicyConfig> {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new PreviewError(
      code === "ENOENT" ? `policy pack config ${file} does not exist` : `cannot read policy pack config ${file}: ${firstLine(errorMessage(err))}`,
    );
  }
  return parsePolicyPackConfig(text, file);
}

/** Where in a policy's options an error is: `scope`, `exemptTrails.0`, as the CLI writes it. */
function field(e: ErrorObject): string {
  return e.instancePath.replace(/^\//, "").replace(/\//g, ".");
}

function jsonType(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v;
}

/** One schema error in the words of the CLI's validator, which lists an enum's allowed values. */
function describeSchemaError(e: ErrorObject): string {
  const at = field(e);
  const where = at === "" ? "" : `${at}: `;
  switch (e.keyword) {
    case "enum": {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ");
      return `${at || "the value"} must be one of the following: ${allowed}`;
    }
    case "type":
      return `${where}invalid type: expected ${(e.params as { type: string }).type}, given ${jsonType(e.data)}`;
    case "required":
      return `${where}${(e.params as { missingProperty: string }).missingProperty} is required`;
    case "additionalProperties":
      return `${where}${(e.params as { additionalProperty: string }).additionalProperty} is not an allowed property`;
    default:
      return `${where}${e.message ?? "is invalid"}`;
  }
}

const ajv = new Ajv({ strict: false, allErrors: true, verbose: true });

/**
 * Checks the config against the pack as the CLI does, and more where the CLI passes a mistake over.
 * As in the CLI (pkg/resource/analyzer/config.go), every policy's options over its schema defaults
 * must satisfy its config schema ({type: object, properties, required}), and every error is
 * reported, enum errors with the allowed values. The CLI also accepts, and ignores, a policy name
 * the pack does not have and an option a policy does not define; here both are errors, since a
 * misspelt name or option would silently do nothing.
 */
export function checkPolicyPackConfig(info: AnalyzerInfo, config: Record<string, PolicyConfig>, file: string): void {
  if (!info.supportsConfig) {
    // As the CLI: a config file for a pack that takes none is an error.
    throw new PreviewError(`policy pack ${info.name} does not support config, but ${file} was given`);
  }
  const policies = new Map(info.policies.map((p) => [p.name, p]));
  const problems: string[] = [];
  for (const name of Object.keys(config)) {
    if (name !== "all" && !policies.has(name)) {
      problems.push(`${name}: ${info.name} has no such policy (its policies: ${[...policies.keys()].sort().join(", ")})`);
    }
  }
  for (const policy of info.policies) {
    const { enforcementLevel: _level, ...options } = config[policy.name] ?? {};
    void _level;
    const properties = policy.configSchema?.properties ?? {};
    const known = Object.keys(properties);
    for (const option of Object.keys(options)) {
      if (!known.includes(option)) {
        problems.push(
          `${policy.name}: ${option} is not an option of this policy` +
            (known.length > 0 ? ` (its options: ${[...known].sort().join(", ")})` : " (it takes none)"),
        );
      }
    }
    if (!policy.configSchema) {
      continue;
    }
    const defaults: Record<string, unknown> = {};
    for (const [key, s] of Object.entries(properties)) {
      if (s && typeof s === "object" && "default" in s) {
        defaults[key] = (s as { default: unknown }).default;
      }
    }
    const validate = ajv.compile({ type: "object", properties, required: policy.configSchema.required ?? [] });
    if (!validate({ ...defaults, ...options })) {
      for (const e of validate.errors ?? []) {
        problems.push(`${policy.name}: ${describeSchemaError(e)}`);
      }
    }
  }
  if (problems.length > 0) {
    throw new PreviewError(`policy pack config ${file} is invalid: ${[...new Set(problems)].sort().join("; ")}`);
  }
}
