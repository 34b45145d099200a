// A live trail as the classic provider reads it back (terraform-provider-aws aws_cloudtrail read:
// DescribeTrails, GetTrailStatus, GetEventSelectors), and what could not be read left unknown.
import { UNKNOWN } from "../tools/analyzer/types";
import { advancedEventSelectorsState, eventSelectorsState, trailInputs, trailState } from "../live-account/state";

const TRAIL = {
  Name: "main",
  TrailARN: "arn:aws:cloudtrail:eu-west-1:123456789012:trail/main",
  HomeRegion: "eu-west-1",
  S3BucketName: "logs",
  IsMultiRegionTrail: true,
  IsOrganizationTrail: false,
  IncludeGlobalServiceEvents: true,
  LogFileValidationEnabled: true,
  HasCustomEventSelectors: false,
  SnsTopicARN: "arn:aws:sns:eu-west-1:123456789012:trail-topic",
};
const READ = <T>(value: T) => ({ ok: true as const, value });
const DENIED = { ok: false as const, why: "AccessDeniedException: no" };

describe("basic event selectors", () => {
  test("a lone default selector reads back as none, as the provider drops it", () => {
    expect(eventSelectorsState([{ ReadWriteType: "All", IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }])).toEqual([]);
  });

  test("a lone selector that leaves out management events is kept: dropping it would read as all events", () => {
    expect(eventSelectorsState([{ ReadWriteType: "All", IncludeManagementEvents: false, DataResources: [] }])).toEqual([
      { readWriteType: "All", includeManagementEvents: false, excludeManagementEventSources: [], dataResources: [] },
    ]);
  });

  test("read-only, exclusions and data resources keep the provider's property names", () => {
    expect(eventSelectorsState([
      { ReadWriteType: "ReadOnly", IncludeManagementEvents: true, ExcludeManagementEventSources: ["kms.amazonaws.com"] },
      { ReadWriteType: "All", IncludeManagementEvents: false, DataResources: [{ Type: "AWS::S3::Object", Values: ["arn:aws:s3"] }] },
    ])).toEqual([
      { readWriteType: "ReadOnly", includeManagementEvents: true, excludeManagementEventSources: ["kms.amazonaws.com"], dataResources: [] },
      { readWriteType: "All", includeManagementEvents: false, excludeManagementEventSources: [], dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3"] }] },
    ]);
  });
});

test("advanced field selectors take the classic provider's plural operator names, unset operators left out", () => {
  expect(advancedEventSelectorsState([{
    Name: "mgmt",
    FieldSelectors: [
      { Field: "eventCategory", Equals: ["Management"] },
      { Field: "eventSource", NotEquals: ["kms.amazonaws.com"], StartsWith: ["a"], NotStartsWith: ["b"], EndsWith: ["c"], NotEndsWith: ["d"] },
    ],
  }])).toEqual([{
    name: "mgmt",
    fieldSelectors: [
      { field: "eventCategory", equals: ["Management"] },
      { field: "eventSource", notEquals: ["kms.amazonaws.com"], startsWiths: ["a"], notStartsWiths: ["b"], endsWiths: ["c"], notEndsWiths: ["d"] },
    ],
  }]);
});

describe("the trail's state", () => {
  test("DescribeTrails' settings, enableLogging from IsLogging, a same-account topic by name", () => {
    const state = trailState(TRAIL, READ({ IsLogging: false }), READ({ EventSelectors: [] }));
    expect(state).toEqual({
      id: TRAIL.TrailARN, arn: TRAIL.TrailARN, name: "main", region: "eu-west-1", homeRegion: "eu-west-1", s3BucketName: "logs",
      snsTopicArn: TRAIL.SnsTopicARN, snsTopicName: "trail-topic", enableLogFileValidation: true, includeGlobalServiceEvents: true,
      isMultiRegionTrail: true, isOrganizationTrail: false, enableLogging: false, eventSelectors: [], advancedEventSelectors: [],
    });
    expect(trailInputs(state)).not.toHaveProperty("arn");
    expect(trailInputs(state)).not.toHaveProperty("id");
  });

  test("what could not be read is unknown, never a default", () => {
    const state = trailState(TRAIL, DENIED, DENIED);
    expect(state.enableLogging).toBe(UNKNOWN);
    expect(state.eventSelectors).toBe(UNKNOWN);
    expect(state.advancedEventSelectors).toBe(UNKNOWN);
  });
});
