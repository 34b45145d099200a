// What each provider itself reports for a resource in a preview: the checked inputs Analyze sees and
// the planned outputs AnalyzeStack sees, modelled on the providers' own code (see README, "Unknowns").
//
// - aws-native: Check keeps the inputs as given; Create with preview=true returns every schema output
//   that is an input, as given, and marks only the schema's read-only properties as computed;
//   properties the program did not set stay absent (pulumi-aws-native provider/pkg/outputs/previewOutputs.go).
// - aws (Terraform bridge): Check adds the Terraform schema's defaults to the inputs; Create with
//   preview=true returns the planned state: the checked inputs, and unknown for every computed
//   attribute the program did not set (pulumi-terraform-bridge pkg/tfbridge/provider.go, Check and Create).

import { SIG_KEY, UNKNOWN, isObject } from "../analyzer/types";
import { TypeProperties } from "./protocol";

/** A Terraform schema's defaults for one resource type: top-level values and per-item values of list blocks. */
interface TerraformDefaults {
  values: Record<string, unknown>;
  items: Record<string, Record<string, unknown>>;
  /** Optional attributes the provider computes when they are not set (unknown in a plan). */
  optionalComputed: string[];
}

/**
 * The schemas of the types the pack judges, from terraform-provider-aws
 * internal/service/cloudtrail/trail.go (resourceTrail): `Default:` values, and `region`, which
 * the provider adds to every regional resource as Optional and Computed.
 */
const TERRAFORM_DEFAULTS: Record<string, TerraformDefaults> = {
  "aws:cloudtrail/trail:Trail": {
    values: {
      enableLogFileValidation: false,
      enableLogging: true,
      includeGlobalServiceEvents: true,
      isMultiRegionTrail: false,
      isOrganizationTrail: false,
    },
    items: { eventSelectors: { includeManagementEvents: true, readWriteType: "All" } },
    optionalComputed: ["region"],
  },
};

/**
 * Properties a generated SDK class assigns `undefined /*out*\/` where it is created from arguments:
 * outputs that are not inputs (for aws-native, the schema's read-only properties). The class's
 * look-up-by-id branch marks every property so, and says nothing about what a provider computes.
 */
export function outputOnlyProperties(resource: unknown): string[] {
  const ctor = (resource as { constructor?: unknown })?.constructor;
  if (typeof ctor !== "function") {
    return [];
  }
  const branches = Function.prototype.toString.call(ctor).split(/\}\s*else\s*\{/);
  const outs = branches.map((branch) => {
    const found = new Set<string>();
    const re = /resourceInputs\[\s*["']([^"']+)["']\s*\]\s*=\s*undefined\s*\/\*\s*out\s*\*\//g;
    for (let m = re.exec(branch); m; m = re.exec(branch)) {
      found.add(m[1]);
    }
    return { found, fromArgs: /resourceInputs\[[^\]]+\]\s*=\s*args\b/.test(branch) };
  });
  const create = outs.filter((b) => b.fromArgs);
  // A resource without inputs has no args branch to tell them apart: its smallest set is the create one.
  const chosen = create.length > 0 ? create : [...outs].sort((a, b) => a.found.size - b.found.size).slice(0, 1);
  return [...new Set(chosen.flatMap((b) => [...b.found]))];
}

function packageOf(type: string): string {
  return type.split(":")[0];
}

/** The inputs as the provider's Check returns them, which is what Analyze gets. */
export function checkedInputs(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const schema = packageOf(type) === "aws" ? TERRAFORM_DEFAULTS[type] : undefined;
  if (!schema) {
    return inputs;
  }
  const out: Record<string, unknown> = { ...schema.values, ...withoutAbsent(inputs) };
  for (const [key, defaults] of Object.entries(schema.items)) {
    const list = out[key];
    if (Array.isArray(list)) {
      out[key] = list.map((item) => (isObject(item) && !(SIG_KEY in item)
        ? { ...defaults, ...withoutAbsent(item) } : item));
    }
  }
  return out;
}

function withoutAbsent(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null));
}

/** A resource created in preview: what the provider's Create with preview=true reports. */
export function plannedOutputs(type: string, checked: Record<string, unknown>, props: TypeProperties | undefined): Record<string, unknown> {
  const outputs: Record<string, unknown> = { ...checked };
  const computed = [...(props?.computed ?? [])];
  if (packageOf(type) === "aws") {
    computed.push(...(TERRAFORM_DEFAULTS[type]?.optionalComputed ?? []));
  }
  for (const key of computed) {
    if (!(key in outputs)) {
      outputs[key] = UNKNOWN;
    }
  }
  outputs.id = UNKNOWN;
  return outputs;
}
