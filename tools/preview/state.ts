// Reads a stack's deployed state from `pulumi stack export` (or a backend checkpoint file), for an
// audit: Analyze over each resource's recorded inputs, AnalyzeStack over the recorded outputs.
//
// As in the engine's own analysis of a snapshot, every resource that is not pending deletion is
// analyzed, the root stack and provider resources included.

import * as fs from "fs";

import { ARCHIVE_SIG, ASSET_SIG, OUTPUT_SIG, ProviderResource, RESOURCE_SIG, SECRET_SIG, SIG_KEY, UNKNOWN, isObject } from "../analyzer/types";
import { decodePlaintext } from "../../lib/values";
import { PreviewError, errorMessage, firstLine, jsonErrorAt } from "./errors";
import { engineProperties, isProviderType, parseUrn, PreviewResource } from "./resources";

export interface StateRun {
  file: string;
  stack: string;
  project: string;
  organization?: string;
  version: number;
  resources: PreviewResource[];
  warnings: string[];
}

/** Deeper property trees are refused: the pack's protobuf decoder could not read them back either. */
export const MAX_DEPTH = 100;

/** Larger exports are refused unread: parsing one takes several times its size in memory. */
export const MAX_STATE_BYTES = 256 * 1024 * 1024;


/** A property value the export holds that no engine would send: the message says where and why. */
class BadValue extends Error {
  constructor(
    readonly path: string,
    readonly why: string,
  ) {
    super(why);
  }
}

function childPath(path: string, key: string | number): string {
  return typeof key === "number" ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

/**
 * A value as the state file stores it, as the engine hands it to a pack: a decrypted ("plaintext",
 * JSON-encoded) secret keeps its value, an encrypted one ("ciphertext") cannot be read here and is
 * unknown; a resource reference is its id (its URN for a component), an output value its value.
 * Assets and archives pass as they are. Any other signature, or a tree deeper than MAX_DEPTH, is
 * refused with the property's path.
 */
export function stateValue(value: unknown, path = "", depth = 0): unknown {
  if (depth > MAX_DEPTH) {
    throw new BadValue(path, `is nested more than ${MAX_DEPTH} levels deep`);
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => stateValue(v, childPath(path, i), depth + 1));
  }
  if (!isObject(value)) {
    return value;
  }
  const sig = value[SIG_KEY];
  if (sig === SECRET_SIG) {
    if ("value" in value) {
      return { [SIG_KEY]: SECRET_SIG, value: stateValue(value.value, path, depth + 1) };
    }
    if (typeof value.plaintext === "string") {
      return { [SIG_KEY]: SECRET_SIG, value: stateValue(decodePlaintext(value.plaintext), path, depth + 1) };
    }
    return { [SIG_KEY]: SECRET_SIG, value: UNKNOWN };
  }
  if (sig === ASSET_SIG || sig === ARCHIVE_SIG) {
    return value;
  }
  if (sig === RESOURCE_SIG) {
    return typeof value.id === "string" && value.id !== "" ? value.id : value.urn;
  }
  if (sig === OUTPUT_SIG) {
    const inner = "value" in value ? stateValue(value.value, path, depth + 1) : UNKNOWN;
    return value.secret === true ? { [SIG_KEY]: SECRET_SIG, value: inner } : inner;
  }
  if (sig !== undefined) {
    throw new BadValue(path, `has an unknown special signature ${JSON.stringify(String(sig)).slice(0, 80)} (key ${SIG_KEY})`);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = stateValue(v, childPath(path, k), depth + 1);
  }
  return out;
}

/**
 * A resource's inputs or outputs as the engine sends them to a pack; what stateValue cannot read is
 * refused, naming the resource and property.
 */
function readProperties(raw: Record<string, unknown>, key: "inputs" | "outputs", file: string): Record<string, unknown> {
  if (raw[key] !== undefined && raw[key] !== null && !isObject(raw[key])) {
    throw new PreviewError(`${file} is malformed: ${key} of ${String(raw.urn)} is not an object`);
  }
  try {
    return engineProperties(stateValue(raw[key] ?? {}));
  } catch (err) {
    if (err instanceof BadValue) {
      const where = err.path ? `property ${err.path}` : key;
      throw new PreviewError(`${file} is malformed: ${where} of ${String(raw.urn)} (${key}) ${err.why}`);
    }
    throw err;
  }
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

export function parseStateExport(text: string, file: string): StateRun {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new PreviewError(`${file} is not valid JSON ${jsonErrorAt(text, err)}`);
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
    // Each resource's properties are read once, here, so that a bad one stops the run before any analysis.
    return { raw, parsed, inputs: readProperties(raw, "inputs", file), outputs: readProperties(raw, "outputs", file) };
  });

  const live = states.filter(({ raw }) => raw.delete !== true);
  // The engine refuses a snapshot in which two live resources share a URN; so does the audit.
  const urns = new Set<string>();
  for (const { raw } of live) {
    if (urns.has(raw.urn as string)) {
      throw new PreviewError(`${file} is an invalid export: two resources have the URN ${raw.urn as string}`);
    }
    urns.add(raw.urn as string);
  }
  const providers = new Map<string, ProviderResource>();
  for (const { raw, parsed, inputs } of live) {
    const type = (raw.type as string | undefined) ?? parsed.type;
    if (isProviderType(type)) {
      providers.set(raw.urn as string, {
        type,
        name: parsed.name,
        urn: raw.urn as string,
        properties: inputs,
      });
    }
  }

  const resources: PreviewResource[] = live.map(({ raw, parsed, inputs, outputs }) => {
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
      inputs,
      outputs,
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

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function tooLarge(file: string, size: string): PreviewError {
  return new PreviewError(`${file} is ${size}, larger than the ${mib(MAX_STATE_BYTES)} a stack export may be here; not read`);
}

/** The file's text, refused unread when it is larger than MAX_STATE_BYTES (a pipe or device as it is read). */
function readBounded(file: string): string {
  const fd = fs.openSync(file, "r");
  try {
    const stat = fs.fstatSync(fd);
    if (stat.size > MAX_STATE_BYTES) throw tooLarge(file, mib(stat.size));
    if (stat.isFile()) return fs.readFileSync(fd, "utf8");
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(1024 * 1024);
      const n = fs.readSync(fd, chunk);
      if (n === 0) return Buffer.concat(chunks).toString("utf8");
      total += n;
      if (total > MAX_STATE_BYTES) throw tooLarge(file, `more than ${mib(MAX_STATE_BYTES)}`);
      chunks.push(chunk.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
}

export function readStateExport(file: string): StateRun {
  let text: string;
  try {
    text = readBounded(file);
  } catch (err) {
    if (err instanceof PreviewError) throw err;
    const code = (err as { code?: string }).code;
    throw new PreviewError(code === "ENOENT" ? `no such file: ${file}` : `cannot read ${file}: ${firstLine(errorMessage(err))}`);
  }
  return parseStateExport(text, file);
}
