// The two places the pack relies on @pulumi/policy behaviour that is not part of its typed API.
// Both live here, and test/sdk-internals.test.ts fails with a clear message if an SDK upgrade
// changes either; that is also why package.json pins @pulumi/policy to one exact version.

import { ReportViolation } from "@pulumi/policy";

/**
 * The SDK's unknown-checking proxy hands out its target under this key (its own serializer relies
 * on it; `getSpecialProxyTarget` in @pulumi/policy's proxy.ts, marked internal). The target holds
 * unknowns as the engine's sentinel, which the rules understand, and reading it throws nothing, so
 * copying it is cheap where walking the proxy builds an error per unknown. In Remediate the target
 * is the SDK's secret-unwrapping proxy.
 */
export const PROXY_TARGET_KEY = "__getSpecialProxyTarget";

/** The object behind the SDK's proxy, or undefined when props is not such a proxy. */
export function proxyTarget(props: unknown): object | undefined {
  if (props === null || typeof props !== "object") return undefined;
  const target = (props as Record<string, unknown>)[PROXY_TARGET_KEY];
  return target !== null && typeof target === "object" && target !== props ? target : undefined;
}

/** The object form of reportViolation, which @pulumi/policy accepts at run time but does not type. */
type ReportWithLevel = (violation: { message: string; urn?: string; enforcementLevel: "advisory" }) => void;

/**
 * Reports a violation as advisory whatever the policy's level, through reportViolation's object
 * form. The pack uses it when a value unknown at preview decides the verdict: a preview is never
 * blocked on a guess, yet the message names the trail and says what `pulumi up` does (throwing the
 * SDK's UnknownValueError would give an advisory that says neither).
 */
export function reportAdvisory(report: ReportViolation, message: string, urn?: string): void {
  (report as unknown as ReportWithLevel)({ message, urn, enforcementLevel: "advisory" });
}
