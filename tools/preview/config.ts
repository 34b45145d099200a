// The --policy-pack-config file, read and checked the way the CLI's flag is: a JSON object of
// {policyName: "level" | {enforcementLevel?, ...options}}, "all" setting every policy's level.

import * as fs from "fs";
import { createRequire } from "module";

import { AnalyzerInfo, EnforcementLevel, PolicyConfig } from "../analyzer/types";
import { PreviewError, errorMessage, firstLine } from "./errors";

export const ENFORCEMENT_LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

function isLevel(v: unknown): v is EnforcementLevel {
  return typeof v === "string" && (ENFORCEMENT_LEVELS as readonly string[]).includes(v);
}

function levels(): string {
  return ENFORCEMENT_LEVELS.join(", ");
}

/** Parses and checks the file's structure; the policies it names are checked against the pack later. */
export function parsePolicyPackConfig(text: string, file: string): Record<string, PolicyConfig> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PreviewError(`policy pack config ${file} is not valid JSON: ${firstLine(errorMessage(err))}`);
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new PreviewError(`policy pack config ${file} must be a JSON object of policy names`);
  }
  const out: Record<string, PolicyConfig> = {};
  for (const [name, entry] of Object.entries(doc as Record<string, unknown>)) {
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

type Validator = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
type AjvLike = { compile(schema: unknown): Validator };

function ajv(): AjvLike | undefined {
  try {
    const mod = createRequire(__filename)("ajv") as { default?: new (o: unknown) => AjvLike } & (new (o: unknown) => AjvLike);
    const Ajv = mod.default ?? mod;
    return new Ajv({ strict: false, allErrors: false });
  } catch {
    return undefined;
  }
}

/**
 * Checks the config against the pack as the CLI does: each policy's options, over its schema
 * defaults, must satisfy its config schema ({type: object, properties, required}). Like the CLI,
 * names the pack does not have are not an error; they come back as warnings.
 */
export function checkPolicyPackConfig(info: AnalyzerInfo, config: Record<string, PolicyConfig>, file: string): string[] {
  const policies = new Map(info.policies.map((p) => [p.name, p]));
  const warnings: string[] = [];
  const validator = ajv();
  for (const [name, entry] of Object.entries(config)) {
    if (name === "all") {
      continue;
    }
    const policy = policies.get(name);
    if (!policy) {
      warnings.push(`policy pack config ${file} names ${name}, which ${info.name} does not have`);
      continue;
    }
    const schema = policy.configSchema;
    if (!schema || !validator) {
      continue;
    }
    const { enforcementLevel: _level, ...options } = entry;
    void _level;
    const defaults: Record<string, unknown> = {};
    for (const [key, s] of Object.entries(schema.properties ?? {})) {
      if (s && typeof s === "object" && "default" in s) {
        defaults[key] = (s as { default: unknown }).default;
      }
    }
    const validate = validator.compile({ type: "object", properties: schema.properties ?? {}, required: schema.required ?? [] });
    if (!validate({ ...defaults, ...options })) {
      const e = validate.errors?.[0];
      const where = e?.instancePath ? e.instancePath.replace(/^\//, "").replace(/\//g, ".") + " " : "";
      throw new PreviewError(`policy pack config ${file}: ${name} ${where}${e?.message ?? "is invalid"}`);
    }
  }
  return warnings;
}
