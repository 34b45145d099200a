// Reads a stack's deployed state from `pulumi stack export` (or a backend checkpoint file), for an
// audit: Analyze over each resource's recorded inputs, AnalyzeStack over the recorded outputs.
//
// As in the engine's own analysis of a snapshot, every resource that is not pending deletion is
// analyzed, the root stack and provider resources included.

import * as fs from "fs";

import { ProviderResource, SECRET_SIG, SIG_KEY, UNKNOWN } from "../analyzer/types";
import { PreviewError, errorMessage, firstLine, jsonSyntaxError } from "./errors";
import { engineProperties, isObject, isProviderType, parseUrn, PreviewResource } from "./resources";

export interface StateRun {
  file: string;
  stack: string;
  project: string;
  organization?: string;
  version: number;
  resources: PreviewResource[];
  warnings: string[];
}

/**
 * A secret as the state file stores it, as the engine hands it to a pack: a decrypted ("plaintext",
 * JSON-encoded) value is kept; an encrypted one ("ciphertext") cannot be read here and is unknown.
 */
export function stateValue(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(stateValue);
  }
  if (!isObject(value)) {
    return value;
  }
  if (value[SIG_KEY] === SECRET_SIG) {
    if ("value" in value) {
      return { [SIG_KEY]: SECRET_SIG, value: stateValue(value.value) };
    }
    if (typeof value.plaintext === "string") {
      let decoded: unknown;
      try {
        decoded = JSON.parse(value.plaintext);
      } catch {
        decoded = value.plaintext;
      }
      return { [SIG_KEY]: SECRET_SIG, value: stateValue(decoded) };
    }
    return { [SIG_KEY]: SECRET_SIG, value: UNKNOWN };
  }
  if (typeof value[SIG_KEY] === "string") {
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = stateValue(v);
  }
  return out;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

export function parseStateExport(text: string, file: string): StateRun {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PreviewError(`${file} is not valid JSON: ${jsonSyntaxError(err)}`);
  }
  if (!isObject(doc)) {
    throw new PreviewError(`${file} is not a stack export: expected a JSON object`);
  }
  // `pulumi stack export` writes {version, deployment}; a backend checkpoint holds {version, checkpoint: {latest}}.
  const checkpoint = isObject(doc.checkpoint) ? doc.checkpoint : undefined;
  const deployment = isObject(doc.deployment)
    ? doc.deployment
    : checkpoint && isObject(checkpoint.latest)
      ? checkpoint.latest
      : checkpoint;
  if (!deployment) {
    throw new PreviewError(`${file} is not a stack export: it has no deployment`);
  }
  const version = typeof doc.version === "number" ? doc.version : 3;
  if (version < 1 || version > 4) {
    throw new PreviewError(`${file} is a version ${version} deployment, which preview does not read (versions 1 to 4)`);
  }
  const list = deployment.resources ?? [];
  if (!Array.isArray(list)) {
    throw new PreviewError(`${file} is not a stack export: deployment.resources is not a list`);
  }

  const warnings: string[] = [];
  const states = list.map((raw, i) => {
    if (!isObject(raw) || typeof raw.urn !== "string") {
      throw new PreviewError(`${file} is malformed: resource ${i + 1} has no urn`);
    }
    const parsed = parseUrn(raw.urn);
    if (!parsed) {
      throw new PreviewError(`${file} is malformed: resource ${i + 1} has an invalid urn ${raw.urn}`);
    }
    if (raw.type !== undefined && typeof raw.type !== "string") {
      throw new PreviewError(`${file} is malformed: resource ${raw.urn} has a type that is not a string`);
    }
    for (const key of ["inputs", "outputs"]) {
      if (raw[key] !== undefined && raw[key] !== null && !isObject(raw[key])) {
        throw new PreviewError(`${file} is malformed: ${key} of ${raw.urn} is not an object`);
      }
    }
    return { raw, parsed };
  });

  const live = states.filter(({ raw }) => raw.delete !== true);
  const providers = new Map<string, ProviderResource>();
  for (const { raw, parsed } of live) {
    const type = (raw.type as string | undefined) ?? parsed.type;
    if (isProviderType(type)) {
      providers.set(raw.urn as string, {
        type,
        name: parsed.name,
        urn: raw.urn as string,
        properties: engineProperties(stateValue(raw.inputs ?? {})),
      });
    }
  }

  const resources: PreviewResource[] = live.map(({ raw, parsed }) => {
    let provider: ProviderResource | undefined;
    if (typeof raw.provider === "string" && raw.provider !== "") {
      const urn = raw.provider.slice(0, raw.provider.lastIndexOf("::"));
      provider = providers.get(urn);
      if (!provider) {
        warnings.push(`${raw.urn} names provider ${urn}, which is not in the export`);
      }
    }
    const propertyDependencies: Record<string, string[]> = {};
    if (isObject(raw.propertyDependencies)) {
      for (const [k, v] of Object.entries(raw.propertyDependencies)) {
        propertyDependencies[k] = strings(v);
      }
    }
    return {
      urn: raw.urn as string,
      type: (raw.type as string | undefined) ?? parsed.type,
      name: parsed.name,
      custom: raw.custom === true,
      parent: typeof raw.parent === "string" && raw.parent !== "" ? raw.parent : undefined,
      provider,
      dependencies: strings(raw.dependencies),
      propertyDependencies,
      inputs: engineProperties(stateValue(raw.inputs ?? {})),
      outputs: engineProperties(stateValue(raw.outputs ?? {})),
      analyze: true,
      protect: raw.protect === true || undefined,
    };
  });

  const first = states[0]?.parsed;
  const stackName = checkpoint && typeof checkpoint.stack === "string" ? checkpoint.stack : undefined;
  const organization = stackName && stackName.split("/").length === 3 ? stackName.split("/")[0] : undefined;
  return {
    file,
    stack: first?.stack ?? stackName?.split("/").pop() ?? "stack",
    project: first?.project ?? "project",
    organization,
    version,
    resources,
    warnings,
  };
}

export function readStateExport(file: string): StateRun {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code;
    throw new PreviewError(code === "ENOENT" ? `no such file: ${file}` : `cannot read ${file}: ${firstLine(errorMessage(err))}`);
  }
  return parseStateExport(text, file);
}
