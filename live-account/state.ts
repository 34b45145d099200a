// A live trail as the classic provider (aws:cloudtrail/trail:Trail, the Terraform aws_cloudtrail
// resource) reads it back: DescribeTrails for the trail's own settings, GetTrailStatus for
// enableLogging, GetEventSelectors for the selectors. What could not be read is the engine's unknown
// value, so the pack can never count it as compliant.

import type { AdvancedEventSelector, EventSelector, GetEventSelectorsResponse, Trail } from "@aws-sdk/client-cloudtrail";
import { UNKNOWN_VALUE as UNKNOWN } from "../lib/values";

/** A read that worked, or the reason it did not. */
export type Read<T> = { ok: true; value: T } | { ok: false; why: string };

function present(entries: [string, unknown][]): Record<string, unknown> {
  return Object.fromEntries(entries.filter(([, v]) => v !== undefined && v !== null));
}

/**
 * The provider drops a lone default selector (All, no data resources, no exclusions) so that a trail
 * created without selectors shows none. It does so whatever IncludeManagementEvents says; a lone
 * selector that excludes management events is kept here, because dropping it would turn a trail that
 * records no management events into one that records them all.
 */
function isDefaultSelector(selectors: EventSelector[]): boolean {
  if (selectors.length !== 1) return false;
  const [s] = selectors;
  return (s.DataResources ?? []).length === 0 && s.ReadWriteType === "All"
    && (s.ExcludeManagementEventSources ?? []).length === 0 && s.IncludeManagementEvents !== false;
}

export function eventSelectorsState(selectors: EventSelector[] | undefined): Record<string, unknown>[] {
  const list = selectors ?? [];
  if (isDefaultSelector(list)) return [];
  return list.map((s) => ({
    readWriteType: s.ReadWriteType,
    includeManagementEvents: s.IncludeManagementEvents ?? false,
    excludeManagementEventSources: s.ExcludeManagementEventSources ?? [],
    dataResources: (s.DataResources ?? []).map((d) => ({ type: d.Type ?? "", values: d.Values ?? [] })),
  }));
}

export function advancedEventSelectorsState(selectors: AdvancedEventSelector[] | undefined): Record<string, unknown>[] {
  return (selectors ?? []).map((s) => ({
    name: s.Name ?? "",
    fieldSelectors: (s.FieldSelectors ?? []).map((f) => present([
      ["field", f.Field ?? ""],
      ["equals", f.Equals],
      ["notEquals", f.NotEquals],
      ["startsWiths", f.StartsWith],
      ["notStartsWiths", f.NotStartsWith],
      ["endsWiths", f.EndsWith],
      ["notEndsWiths", f.NotEndsWith],
    ])),
  }));
}

/** The provider keeps a same-account, same-region topic by name and any other by ARN. */
function snsTopicName(trail: Trail, account: string | undefined): string | undefined {
  const arn = trail.SnsTopicARN;
  if (!arn) return undefined;
  const [, , , region, owner, ...resource] = arn.split(":");
  return region === trail.HomeRegion && owner === account ? resource.join(":") : arn;
}

/** The account that owns a trail: the fifth field of its ARN. */
export function ownerOf(arn: string): string {
  return arn.split(":")[4] ?? "";
}

export function trailState(
  trail: Trail,
  status: Read<{ IsLogging?: boolean }>,
  selectors: Read<GetEventSelectorsResponse>,
): Record<string, unknown> {
  const arn = trail.TrailARN ?? "";
  return present([
    ["id", arn],
    ["arn", arn],
    ["name", trail.Name],
    ["region", trail.HomeRegion],
    ["homeRegion", trail.HomeRegion],
    ["s3BucketName", trail.S3BucketName],
    ["s3KeyPrefix", trail.S3KeyPrefix],
    ["snsTopicArn", trail.SnsTopicARN],
    ["snsTopicName", snsTopicName(trail, ownerOf(arn))],
    ["cloudWatchLogsGroupArn", trail.CloudWatchLogsLogGroupArn],
    ["cloudWatchLogsRoleArn", trail.CloudWatchLogsRoleArn],
    ["kmsKeyId", trail.KmsKeyId],
    ["enableLogFileValidation", trail.LogFileValidationEnabled ?? false],
    ["includeGlobalServiceEvents", trail.IncludeGlobalServiceEvents ?? false],
    ["isMultiRegionTrail", trail.IsMultiRegionTrail ?? false],
    ["isOrganizationTrail", trail.IsOrganizationTrail ?? false],
    ["enableLogging", status.ok ? status.value.IsLogging ?? false : UNKNOWN],
    ["eventSelectors", selectors.ok ? eventSelectorsState(selectors.value.EventSelectors) : UNKNOWN],
    ["advancedEventSelectors", selectors.ok ? advancedEventSelectorsState(selectors.value.AdvancedEventSelectors) : UNKNOWN],
  ]);
}

/** The properties trailState leaves unknown, each with the AWS error that kept it from being read. */
export function unreadProperties(status: Read<unknown>, selectors: Read<unknown>): Record<string, string> {
  return {
    ...(status.ok ? {} : { enableLogging: status.why }),
    ...(selectors.ok ? {} : { eventSelectors: selectors.why, advancedEventSelectors: selectors.why }),
  };
}

/** The inputs a program would declare for this state: the provider's computed attributes left out. */
const COMPUTED = new Set(["id", "arn", "homeRegion", "snsTopicArn"]);

export function trailInputs(state: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(state).filter(([k]) => !COMPUTED.has(k)));
}
