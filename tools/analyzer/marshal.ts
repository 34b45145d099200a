// Converts between the plain shapes in types.ts and pulumirpc.Analyzer messages.
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type * as structTypes from "google-protobuf/google/protobuf/struct_pb";
import {
  AnalyzeResult,
  AnalyzerInfo,
  Diagnostic,
  EnforcementLevel,
  NotApplicable,
  PolicyConfig,
  PolicyInfo,
  ProviderResource,
  RemediateResult,
  Remediation,
  ResourceToAnalyze,
  SECRET_SIG,
  SIG_KEY,
  StackContext,
} from "./types";

// The messages built here go into @pulumi/pulumi's generated stubs, which serialize them with their
// own google-protobuf: package.json declares the same range as the SDK, so npm installs one copy
// (test/dependencies.test.ts checks that it does).
export { Empty } from "google-protobuf/google/protobuf/empty_pb";

type JsValue = structTypes.JavaScriptValue;
type JsObject = { [key: string]: JsValue };

/** Wraps a value the way a secret travels to a pack. */
export function secret(value: unknown): Record<string, unknown> {
  return { [SIG_KEY]: SECRET_SIG, value };
}

/**
 * Marshals a property bag as the engine does for a pack (pulumi/pulumi
 * sdk/go/common/resource/plugin/analyzer_plugin.go, MarshalProperties in rpc.go):
 * - null stays null: Analyze, AnalyzeStack and Remediate leave SkipNulls unset.
 * - "__" keys are dropped at every depth when skipInternalKeys is set: SkipInternalKeys is true for
 *   Analyze, AnalyzeStack and provider properties, false for Remediate.
 * - An unknown is the UNKNOWN sentinel string (KeepUnknowns), so the string passes through as is.
 * - A secret is {SIG_KEY: SECRET_SIG, value} (KeepSecrets), so that object passes through as is.
 * - undefined has no wire form: the key is left out; in an array it becomes null, as in JSON.
 */
export function toStruct(props: Record<string, unknown>, skipInternalKeys: boolean): structTypes.Struct {
  return Struct.fromJavaScript(plainObject(props, skipInternalKeys, ""));
}

function plainObject(obj: object, skipInternalKeys: boolean, path: string): JsObject {
  const out: JsObject = {};
  for (const [key, value] of Object.entries(obj)) {
    if (value === undefined || (skipInternalKeys && key.startsWith("__"))) {
      continue;
    }
    out[key] = plainValue(value, skipInternalKeys, path ? `${path}.${key}` : key);
  }
  return out;
}

function plainValue(value: unknown, skipInternalKeys: boolean, path: string): JsValue {
  if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
    return value;
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => (v === undefined ? null : plainValue(v, skipInternalKeys, `${path}[${i}]`)));
  }
  const proto = typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (proto === Object.prototype || proto === null) {
    return plainObject(value as object, skipInternalKeys, path);
  }
  throw new TypeError(`property ${path} is not JSON-like data (${Object.prototype.toString.call(value)})`);
}

const LEVELS: Record<EnforcementLevel, analyzerPb.EnforcementLevel> = {
  advisory: analyzerPb.EnforcementLevel.ADVISORY,
  mandatory: analyzerPb.EnforcementLevel.MANDATORY,
  remediate: analyzerPb.EnforcementLevel.REMEDIATE,
  disabled: analyzerPb.EnforcementLevel.DISABLED,
};

export function levelToProto(level: EnforcementLevel): analyzerPb.EnforcementLevel {
  const value = LEVELS[level];
  if (value === undefined) {
    throw new Error(`unknown enforcement level "${level}"`);
  }
  return value;
}

export function levelFromProto(value: analyzerPb.EnforcementLevel): EnforcementLevel {
  const entry = Object.entries(LEVELS).find(([, v]) => v === value);
  if (!entry) {
    throw new Error(`unknown enforcement level ${value}`);
  }
  return entry[0] as EnforcementLevel;
}

const SEVERITIES: Partial<Record<analyzerPb.PolicySeverity, string>> = {
  [analyzerPb.PolicySeverity.POLICY_SEVERITY_LOW]: "low",
  [analyzerPb.PolicySeverity.POLICY_SEVERITY_MEDIUM]: "medium",
  [analyzerPb.PolicySeverity.POLICY_SEVERITY_HIGH]: "high",
  [analyzerPb.PolicySeverity.POLICY_SEVERITY_CRITICAL]: "critical",
};

const POLICY_TYPES: Partial<Record<analyzerPb.PolicyType, PolicyInfo["policyType"]>> = {
  [analyzerPb.PolicyType.POLICY_TYPE_RESOURCE]: "resource",
  [analyzerPb.PolicyType.POLICY_TYPE_STACK]: "stack",
};

// The engine always sends options, with zero timeouts when none are set; @pulumi/policy throws without them.
function resourceOptions(r: ResourceToAnalyze): analyzerPb.AnalyzerResourceOptions {
  const timeouts = new analyzerPb.AnalyzerResourceOptions.CustomTimeouts()
    .setCreate(r.customTimeouts?.create ?? 0)
    .setUpdate(r.customTimeouts?.update ?? 0)
    .setDelete(r.customTimeouts?.delete ?? 0);
  return new analyzerPb.AnalyzerResourceOptions()
    .setProtect(r.protect ?? false)
    .setIgnorechangesList(r.ignoreChanges ?? [])
    .setDeletebeforereplace(r.deleteBeforeReplace ?? false)
    .setDeletebeforereplacedefined(r.deleteBeforeReplace !== undefined)
    .setAdditionalsecretoutputsList(r.additionalSecretOutputs ?? [])
    .setAliasesList(r.aliases ?? [])
    .setCustomtimeouts(timeouts)
    .setParent(r.parent ?? "");
}

// The engine skips internal keys in provider properties for every call, Remediate included.
function providerResource(p: ProviderResource): analyzerPb.AnalyzerProviderResource {
  return new analyzerPb.AnalyzerProviderResource()
    .setType(p.type)
    .setName(p.name)
    .setUrn(p.urn)
    .setProperties(toStruct(p.properties, true));
}

/** An Analyze or Remediate request; Analyze skips internal keys, Remediate keeps them. */
export function analyzeRequest(r: ResourceToAnalyze, skipInternalKeys: boolean): analyzerPb.AnalyzeRequest {
  const req = new analyzerPb.AnalyzeRequest()
    .setType(r.type)
    .setName(r.name)
    .setUrn(r.urn)
    .setProperties(toStruct(r.properties, skipInternalKeys))
    .setOptions(resourceOptions(r));
  if (r.provider) {
    req.setProvider(providerResource(r.provider));
  }
  return req;
}

export function analyzeStackRequest(resources: ResourceToAnalyze[]): analyzerPb.AnalyzeStackRequest {
  return new analyzerPb.AnalyzeStackRequest().setResourcesList(resources.map(stackResource));
}

function stackResource(r: ResourceToAnalyze): analyzerPb.AnalyzerResource {
  const res = new analyzerPb.AnalyzerResource()
    .setType(r.type)
    .setName(r.name)
    .setUrn(r.urn)
    .setProperties(toStruct(r.properties, true))
    .setOptions(resourceOptions(r))
    .setParent(r.parent ?? "")
    .setDependenciesList(r.dependencies ?? []);
  if (r.provider) {
    res.setProvider(providerResource(r.provider));
  }
  const propertyDeps = res.getPropertydependenciesMap();
  for (const [key, urns] of Object.entries(r.propertyDependencies ?? {})) {
    // The engine leaves out properties that have no dependencies.
    if (urns.length > 0) {
      propertyDeps.set(key, new analyzerPb.AnalyzerPropertyDependencies().setUrnsList(urns));
    }
  }
  return res;
}

/** Each policy's config as Configure takes it: a level (required on the wire) and the other options. */
export function configureRequest(config: Record<string, PolicyConfig>): analyzerPb.ConfigureAnalyzerRequest {
  const req = new analyzerPb.ConfigureAnalyzerRequest();
  const map = req.getPolicyconfigMap();
  for (const [name, { enforcementLevel, ...options }] of Object.entries(config)) {
    if (!enforcementLevel) {
      throw new Error(`policy "${name}" has no enforcement level to configure`);
    }
    // Properties go even when empty: @pulumi/policy reads them without checking.
    map.set(name, new analyzerPb.PolicyConfig()
      .setEnforcementlevel(levelToProto(enforcementLevel))
      .setProperties(toStruct(options, false)));
  }
  return req;
}

export function stackConfigureRequest(ctx: StackContext): analyzerPb.AnalyzerStackConfigureRequest {
  const req = new analyzerPb.AnalyzerStackConfigureRequest()
    .setStack(ctx.stack ?? "")
    .setProject(ctx.project ?? "")
    .setOrganization(ctx.organization ?? "")
    .setDryRun(ctx.dryRun ?? false)
    .setConfigSecretKeysList(ctx.configSecretKeys ?? []);
  for (const [k, v] of Object.entries(ctx.tags ?? {})) {
    req.getTagsMap().set(k, v);
  }
  for (const [k, v] of Object.entries(ctx.config ?? {})) {
    req.getConfigMap().set(k, v);
  }
  return req;
}

function diagnostic(d: analyzerPb.AnalyzeDiagnostic): Diagnostic {
  return {
    policyName: d.getPolicyname(),
    policyPackName: d.getPolicypackname(),
    policyPackVersion: d.getPolicypackversion(),
    description: d.getDescription(),
    message: d.getMessage(),
    urn: d.getUrn(),
    enforcementLevel: levelFromProto(d.getEnforcementlevel()),
    severity: SEVERITIES[d.getSeverity()],
  };
}

function notApplicable(resp: analyzerPb.AnalyzeResponse | analyzerPb.RemediateResponse): NotApplicable[] {
  return resp.getNotApplicableList().map((n) => ({ policyName: n.getPolicyName(), reason: n.getReason() }));
}

export function analyzeResult(resp: analyzerPb.AnalyzeResponse): AnalyzeResult {
  return { diagnostics: resp.getDiagnosticsList().map(diagnostic), notApplicable: notApplicable(resp) };
}

export function remediateResult(resp: analyzerPb.RemediateResponse): RemediateResult {
  return { remediations: remediations(resp), notApplicable: notApplicable(resp) };
}

// Properties come back as they travel: secrets stay wrapped, as the engine keeps them (KeepSecrets).
export function remediations(resp: analyzerPb.RemediateResponse): Remediation[] {
  return resp.getRemediationsList().map((r) => ({
    policyName: r.getPolicyname(),
    description: r.getDescription(),
    properties: r.getProperties()?.toJavaScript(),
    diagnostic: r.getDiagnostic() || undefined,
  }));
}

function policyInfo(p: analyzerPb.PolicyInfo): PolicyInfo {
  const framework = p.getFramework();
  const schema = p.getConfigschema();
  return {
    name: p.getName(),
    displayName: p.getDisplayname(),
    description: p.getDescription(),
    enforcementLevel: levelFromProto(p.getEnforcementlevel()),
    severity: SEVERITIES[p.getSeverity()],
    policyType: POLICY_TYPES[p.getPolicyType()],
    framework: framework && {
      name: framework.getName(),
      version: framework.getVersion(),
      reference: framework.getReference(),
      specification: framework.getSpecification(),
    },
    tags: p.getTagsList(),
    remediationSteps: p.getRemediationSteps(),
    url: p.getUrl(),
    configSchema: schema && {
      properties: schema.getProperties()?.toJavaScript() ?? {},
      required: schema.getRequiredList(),
    },
  };
}

export function analyzerInfo(resp: analyzerPb.AnalyzerInfo): AnalyzerInfo {
  const initialConfig: Record<string, PolicyConfig> = {};
  resp.getInitialconfigMap().forEach((c, name) => {
    // The wire cannot tell an unset level from advisory (0); the engine reads it as advisory too.
    initialConfig[name] = { ...c.getProperties()?.toJavaScript(), enforcementLevel: levelFromProto(c.getEnforcementlevel()) };
  });
  return {
    name: resp.getName(),
    displayName: resp.getDisplayname(),
    description: resp.getDescription() || undefined,
    version: resp.getVersion(),
    supportsConfig: resp.getSupportsconfig(),
    policies: resp.getPoliciesList().map(policyInfo),
    initialConfig,
  };
}

/**
 * The config the CLI hands to Configure (ReconcilePolicyPackConfig in pulumi/pulumi): every policy at
 * its own level with its schema defaults, then the pack's initialConfig, then the given config, where
 * an "all" entry's level applies to every policy. The CLI's schema validation is left out.
 */
export function reconcileConfig(info: AnalyzerInfo, config: Record<string, PolicyConfig>): Record<string, PolicyConfig> {
  const result: Record<string, PolicyConfig> = {};
  for (const p of info.policies) {
    const defaults: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(p.configSchema?.properties ?? {})) {
      if (schema && typeof schema === "object" && "default" in schema) {
        defaults[key] = schema.default;
      }
    }
    result[p.name] = { ...defaults, enforcementLevel: p.enforcementLevel };
  }
  for (const layer of [info.initialConfig, config]) {
    const all = layer.all?.enforcementLevel;
    if (all) {
      for (const c of Object.values(result)) {
        c.enforcementLevel = all;
      }
    }
    for (const [name, { enforcementLevel, ...options }] of Object.entries(layer)) {
      const current = result[name] ?? {};
      result[name] = { ...current, ...options, enforcementLevel: enforcementLevel ?? current.enforcementLevel };
    }
  }
  return result;
}
