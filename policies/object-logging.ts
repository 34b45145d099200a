// The body both S3 object-level logging policies share (CIS 3.8 write events, 3.9 read events):
// one logging, multi-region trail that records the events of every bucket, or of each declared one.

import { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { BucketInStack, ObjectScope, TrailInStack, describeFixes, describeGaps, judgeObjectLogging } from "../lib/cis";
import { S3Access } from "../lib/coverage";
import { bucketNameOf, isBucketType } from "../lib/trail";
import { UNKNOWN_VALUE } from "../lib/values";
import { capitalize, plainProps, readConfig, reportConfigProblems, reportUndecidedStack, schema, trailLabel, trailOf } from "./common";
import { proxyTarget } from "./sdk-internals";

export const OBJECT_LOGGING_SCOPES: readonly ObjectScope[] = ["all-buckets", "declared-buckets"];

/** Where a stack without a trail is judged: the policies say so when they do not apply. */
export const NO_TRAIL_FOR_OBJECTS =
  "the stack declares no CloudTrail trail; S3 object-level logging is judged on the stack that declares the " +
  "account's trail, or on the live account with the pack's check-account command";
export const NO_BUCKET_DECLARED = "the stack declares no S3 bucket, and the policy's scope is declared-buckets";

type ObjectLoggingMetadata = Omit<StackValidationPolicy, "validateStack" | "configSchema" | "enforcementLevel">;

/** The stack's trails with what their selectors depend on, and its general purpose buckets. */
function trailsAndBuckets(resources: readonly PolicyResource[]): { trails: TrailInStack[]; buckets: BucketInStack[] } {
  const trails: TrailInStack[] = [];
  const buckets: BucketInStack[] = [];
  for (const resource of resources) {
    const parsed = trailOf(resource.type, resource.props);
    if (parsed) {
      const deps = resource.propertyDependencies ?? {};
      const selectorDependencies = [...(deps.eventSelectors ?? []), ...(deps.advancedEventSelectors ?? [])].map((r) => r.urn);
      trails.push({ urn: resource.urn, name: resource.name, parsed, selectorDependencies });
      continue;
    }
    // Only a bucket's props are read: the rest of the stack stays undecoded.
    if (!isBucketType(resource.type)) continue;
    const bucketName = bucketNameOf(resource.type, readBucketName(resource));
    if (bucketName !== undefined) buckets.push({ urn: resource.urn, name: resource.name, bucketName: bucketName ?? undefined });
  }
  return { trails, buckets };
}

/** Only the name properties of a bucket, read from the proxy's target: a bucket's other props are never copied. */
function readBucketName(resource: PolicyResource): Record<string, unknown> {
  const source = (proxyTarget(resource.props) ?? resource.props) as Record<string, unknown>;
  const read = (key: string): unknown => {
    try {
      return plainProps(source[key]);
    } catch {
      return UNKNOWN_VALUE; // the proxy itself throws on an unknown value
    }
  };
  return { bucket: read("bucket"), bucketName: read("bucketName") };
}

/**
 * A stack policy asking for one logging, multi-region trail that records the S3 object-level
 * events of one access for every current and future bucket (or, with scope declared-buckets, for
 * each bucket the stack declares), naming what the closest trail misses.
 */
export function objectLoggingPolicy(access: S3Access, metadata: ObjectLoggingMetadata): StackValidationPolicy {
  const events = `S3 object-level ${access} events`;
  return {
    ...metadata,
    enforcementLevel: "advisory",
    configSchema: schema({
      scope: {
        type: "string",
        enum: [...OBJECT_LOGGING_SCOPES],
        default: "all-buckets",
        description: `Which buckets a trail must record ${events} for: all-buckets (every current and future bucket, as CIS asks); declared-buckets (each bucket the stack declares).`,
      },
    }),
    validateStack: (args, reportViolation) => {
      const config = readConfig(args);
      const scope = config.choice("scope", "all-buckets", OBJECT_LOGGING_SCOPES);
      if (reportConfigProblems(config, reportViolation)) return;
      const { trails, buckets } = trailsAndBuckets(args.resources);
      if (trails.length === 0) args.notApplicable(NO_TRAIL_FOR_OBJECTS);
      if (scope === "declared-buckets" && buckets.length === 0) args.notApplicable(NO_BUCKET_DECLARED);
      const verdict = judgeObjectLogging(trails, access, scope, buckets);
      const wanted = scope === "declared-buckets" ? "each bucket the stack declares" : "every bucket";
      switch (verdict.status) {
        case "compliant":
        case "no-trail":
          return;
        case "unknown":
          reportUndecidedStack(args.stackTags, reportViolation, verdict.candidates, `record ${events} for ${wanted}`);
          return;
        case "noncompliant": {
          const others = verdict.trailCount > 1
            ? ` None of the stack's ${verdict.trailCount} trails does; CIS asks for one logging, multi-region trail that records ${events} for ${wanted}.`
            : "";
          reportViolation(
            `${capitalize(trailLabel(verdict.closest.name))} ${describeGaps(verdict.gaps)}.${others} ` +
            `To fix: ${describeFixes(verdict.gaps)}.`,
            verdict.closest.urn);
        }
      }
    },
  };
}
