// Every place the pack relies on @pulumi/policy behaviour that is not part of its typed API: the
// proxy target key, the object form of reportViolation, the proxies Remediate's props come in, and
// the deserializer every request goes through. All of them live here (the envelope guard's logic is
// in envelope-guard.ts), and test/sdk-internals.test.ts fails with a clear message if an SDK upgrade
// changes any; that is also why package.json pins @pulumi/policy to one exact version.

import { ReportViolation, Secret } from "@pulumi/policy";
import { Deserializer, guardDeserializer } from "./envelope-guard";

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

/**
 * In Remediate, props is the unknown-checking proxy over the SDK's secret-preserving proxy over the
 * deserialized inputs, in which every secret is still a `Secret`. This is that innermost object, or
 * undefined when props is not wrapped that way.
 */
export function remediateInputs(props: unknown): Record<string, unknown> | undefined {
  const inner = proxyTarget(proxyTarget(props));
  return inner as Record<string, unknown> | undefined;
}

/** Whether a value holds a `Secret` anywhere inside it. */
export function holdsSecret(value: unknown, depth = 0): boolean {
  if (value instanceof Secret) return true;
  if (value === null || typeof value !== "object" || depth > 64) return false;
  return Object.values(value).some((v) => holdsSecret(v, depth + 1));
}

/**
 * Sets a remediated input on Remediate's props without losing a secret. The SDK's proxy keeps a
 * property secret only when the property itself is one; a secret nested inside it (a data
 * resource's ARN inside eventSelectors) would come back as plain text once the rules' plain copy
 * replaces it. Such a property becomes a secret as a whole.
 */
export function setRemediatedInput(props: Record<string, unknown>, key: string, value: unknown): void {
  const inputs = remediateInputs(props);
  if (inputs && holdsSecret(inputs[key])) {
    inputs[key] = new Secret(value);
  } else {
    props[key] = value;
  }
}

/**
 * Makes every request answerable: the SDK's server calls its deserializer through the exports of
 * @pulumi/policy/deserialize before any policy runs, so the guard wraps that export (see
 * envelope-guard.ts). Called by index.ts, and by an organization's own pack through the library,
 * before the PolicyPack starts serving; a second call changes nothing.
 */
export function guardSdkDeserializer(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  guardDeserializer(require("@pulumi/policy/deserialize") as Deserializer);
}
