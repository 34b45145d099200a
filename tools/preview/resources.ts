// The resources a preview hands to the policy pack, whether they come from a program run under mocks
// or from a stack export, and how the engine would present each one to the Analyzer.

import { ProviderResource, RESOURCE_SIG, ResourceToAnalyze, SECRET_SIG, SIG_KEY, UNKNOWN, isObject } from "../analyzer/types";
import { checkedInputs, plannedOutputs } from "./planned-outputs";
import { Registration, SourceLocation, TypeProperties } from "./protocol";

export const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

export interface PreviewResource {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent?: string;
  provider?: ProviderResource;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /** What Analyze gets: the resource's inputs. */
  inputs: Record<string, unknown>;
  /** What AnalyzeStack gets: the resource's outputs (planned outputs in a preview). */
  outputs: Record<string, unknown>;
  /** False where the engine skips Analyze (reads and imports); AnalyzeStack still sees the resource. */
  analyze: boolean;
  protect?: boolean;
  /** Where a program declares the resource (file relative to the project directory), when known. */
  declaredAt?: SourceLocation;
}

/** The resource as Analyze (inputs) or AnalyzeStack (outputs) receives it. */
export function toAnalyzerResource(r: PreviewResource, view: "inputs" | "outputs"): ResourceToAnalyze {
  const out: ResourceToAnalyze = { type: r.type, name: r.name, urn: r.urn, properties: r[view] };
  if (r.parent) {
    out.parent = r.parent;
  }
  if (r.provider) {
    out.provider = r.provider;
  }
  if (view === "outputs") {
    out.dependencies = r.dependencies;
    out.propertyDependencies = r.propertyDependencies;
  }
  if (r.protect) {
    out.protect = true;
  }
  return out;
}

/** URN parts: urn:pulumi:<stack>::<project>::<qualified type>::<name>. */
export function parseUrn(urn: string): { stack: string; project: string; qualifiedType: string; type: string; name: string } | undefined {
  if (!urn.startsWith("urn:pulumi:")) {
    return undefined;
  }
  const parts = urn.slice("urn:pulumi:".length).split("::");
  if (parts.length < 4) {
    return undefined;
  }
  const [stack, project, qualifiedType, ...name] = parts;
  const type = qualifiedType.split("$").pop() ?? qualifiedType;
  return { stack, project, qualifiedType, type, name: name.join("::") };
}

export function rootStackUrn(stack: string, project: string): string {
  return `urn:pulumi:${stack}::${project}::${ROOT_STACK_TYPE}::${project}-${stack}`;
}

export function isProviderType(type: string): boolean {
  return type.startsWith("pulumi:providers:");
}

/**
 * A property value as the engine marshals it for an analyzer: unknowns and secrets kept, internal
 * keys (`__defaults`, `__meta`, ...) dropped, resource references replaced by their id (or URN for
 * a component).
 */
export function engineValue(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(engineValue);
  }
  if (!isObject(value)) {
    return value;
  }
  if (value[SIG_KEY] === RESOURCE_SIG) {
    if ("id" in value) {
      return value.id === "" || value.id === undefined || value.id === null ? UNKNOWN : value.id;
    }
    return value.urn;
  }
  if (value[SIG_KEY] === SECRET_SIG) {
    return { [SIG_KEY]: SECRET_SIG, value: engineValue(value.value) };
  }
  if (typeof value[SIG_KEY] === "string") {
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k.startsWith("__")) {
      continue;
    }
    out[k] = engineValue(v);
  }
  return out;
}

export function engineProperties(value: unknown): Record<string, unknown> {
  const v = engineValue(value ?? {});
  return isObject(v) ? v : {};
}

/** The name the engine gives a package's default provider: default_7_48_0 for version 7.48.0. */
export function defaultProviderName(version: string | undefined): string {
  return version ? `default_${version.replace(/[^A-Za-z0-9]/g, "_")}` : "default";
}

export interface RecordContext {
  stack: string;
  project: string;
  /** Stack configuration, "namespace:key" to string; a default provider's inputs are its namespace. */
  config: Record<string, string>;
  types: Record<string, TypeProperties>;
}

/**
 * Turns a program's registrations into the resources the engine would analyze. Resources without an
 * explicit provider get their package's default provider, which is itself a resource (registered just
 * before its first user), as in the engine.
 */
export function fromRegistrations(registrations: Registration[], ctx: RecordContext): PreviewResource[] {
  const byUrn = new Map<string, Registration>();
  for (const r of registrations) {
    byUrn.set(r.urn, r);
  }
  const out: PreviewResource[] = [];
  const defaults = new Map<string, PreviewResource>();

  const providerOf = (r: Registration): ProviderResource | undefined => {
    if (r.providerRef) {
      const urn = r.providerRef.slice(0, r.providerRef.lastIndexOf("::"));
      const p = byUrn.get(urn);
      const parsed = parseUrn(urn);
      return {
        type: p?.type ?? parsed?.type ?? "",
        name: p?.name ?? parsed?.name ?? "",
        urn,
        properties: engineProperties(p?.inputs),
      };
    }
    const pkg = r.type.split(":")[0];
    if (!r.custom || isProviderType(r.type) || pkg === "pulumi") {
      return undefined;
    }
    const name = defaultProviderName(r.version);
    const key = `${pkg}::${name}`;
    let provider = defaults.get(key);
    if (!provider) {
      const properties: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(ctx.config)) {
        if (k.startsWith(`${pkg}:`)) {
          properties[k.slice(pkg.length + 1)] = v;
        }
      }
      if (r.version) {
        properties.version = r.version;
      }
      const type = `pulumi:providers:${pkg}`;
      provider = {
        urn: `urn:pulumi:${ctx.stack}::${ctx.project}::${type}::${name}`,
        type,
        name,
        custom: true,
        dependencies: [],
        propertyDependencies: {},
        inputs: properties,
        outputs: properties,
        analyze: true,
      };
      defaults.set(key, provider);
      out.push(provider);
    }
    return { type: provider.type, name: provider.name, urn: provider.urn, properties: provider.inputs };
  };

  for (const r of registrations) {
    const provider = providerOf(r);
    let inputs = engineProperties(r.inputs);
    let outputs = engineProperties(r.outputs);
    const props = ctx.types[r.type];
    if (r.custom && !isProviderType(r.type)) {
      if (r.kind === "read" || r.importId) {
        // Read or imported: the state comes from the cloud, which preview cannot see.
        outputs = { ...outputs };
        for (const k of props?.all ?? []) {
          if (!(k in outputs)) {
            outputs[k] = UNKNOWN;
          }
        }
        outputs.id = r.id ?? r.importId;
      } else {
        // A create planned in preview, as the resource's provider reports it.
        inputs = checkedInputs(r.type, inputs);
        outputs = plannedOutputs(r.type, inputs, props);
      }
    }
    out.push({
      urn: r.urn,
      type: r.type,
      name: r.name,
      custom: r.custom,
      parent: r.parent,
      provider,
      dependencies: r.dependencies,
      // The engine leaves out properties that depend on nothing.
      propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).filter(([, urns]) => urns.length > 0)),
      inputs,
      outputs,
      analyze: r.kind === "register" && !r.importId,
      protect: r.protect,
      declaredAt: r.declaredAt,
    });
  }
  return out;
}
