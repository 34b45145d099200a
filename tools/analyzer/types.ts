// Plain shapes for talking to a policy pack over the Analyzer protocol, free of protobuf types.

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";

// The unknown sentinel and the secret signature, as they travel over the wire (one definition,
// shared with the pack).
export { UNKNOWN_VALUE as UNKNOWN, SIG_KEY, SECRET_SIG, OUTPUT_SIG, RESOURCE_SIG, ASSET_SIG, ARCHIVE_SIG } from "../../lib/values";

/** A plain JSON object: not null, not a list. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export interface ProviderResource {
  type: string;
  name: string;
  urn: string;
  properties: Record<string, unknown>;
}

/** One resource as the engine sends it: Analyze takes its inputs, AnalyzeStack its outputs. */
export interface ResourceToAnalyze {
  type: string;
  name: string;
  urn: string;
  properties: Record<string, unknown>;
  parent?: string;
  provider?: ProviderResource;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
  protect?: boolean;
  ignoreChanges?: string[];
  deleteBeforeReplace?: boolean;
  additionalSecretOutputs?: string[];
  aliases?: string[];
  /** Seconds, as the engine sends them; absent means 0. */
  customTimeouts?: { create?: number; update?: number; delete?: number };
}

export interface Diagnostic {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  description: string;
  message: string;
  urn: string;
  enforcementLevel: EnforcementLevel;
  severity?: string;
}

export interface NotApplicable {
  policyName: string;
  reason: string;
}

export interface AnalyzeResult {
  diagnostics: Diagnostic[];
  notApplicable: NotApplicable[];
}

export interface Remediation {
  policyName: string;
  description: string;
  /** The new inputs, or undefined when the policy only left a diagnostic. */
  properties?: Record<string, unknown>;
  diagnostic?: string;
}

/** What Remediate answers: the remediations, and the policies that did not apply to the resource. */
export interface RemediateResult {
  remediations: Remediation[];
  notApplicable: NotApplicable[];
}

export interface PolicyConfig {
  enforcementLevel?: EnforcementLevel;
  [option: string]: unknown;
}

export interface PolicyInfo {
  name: string;
  displayName: string;
  description: string;
  enforcementLevel: EnforcementLevel;
  severity?: string;
  policyType?: "resource" | "stack";
  framework?: { name: string; version: string; reference: string; specification: string };
  tags: string[];
  remediationSteps: string;
  url: string;
  configSchema?: { properties: Record<string, unknown>; required: string[] };
}

export interface AnalyzerInfo {
  name: string;
  displayName: string;
  description?: string;
  version: string;
  supportsConfig: boolean;
  policies: PolicyInfo[];
  initialConfig: Record<string, PolicyConfig>;
}

export interface StackContext {
  stack?: string;
  project?: string;
  organization?: string;
  tags?: Record<string, string>;
  dryRun?: boolean;
  /** Stack config as the engine sends it: "project:key" to the value as a string. */
  config?: Record<string, string>;
  configSecretKeys?: string[];
}
