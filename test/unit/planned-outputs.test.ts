// What each provider reports in a preview, read from the SDK classes the programs use.
import { Trail as ClassicTrail } from "@pulumi/aws/cloudtrail/trail";
import { Trail as NativeTrail } from "@pulumi/aws-native/cloudtrail/trail";
import { SECRET_SIG, SIG_KEY } from "../../tools/analyzer/types";
import { checkedInputs, outputOnlyProperties, plannedOutputs } from "../../tools/preview/planned-outputs";
import { UNKNOWN } from "./fixtures";

/** An instance's constructor is all the reader looks at; nothing is registered. */
const instanceOf = (ctor: { prototype: object }) => Object.create(ctor.prototype) as unknown;

describe("outputs that are not inputs, from the SDK class's create branch", () => {
  test("aws-native trail: only the schema's read-only properties, not the look-up branch's every property", () => {
    expect(outputOnlyProperties(instanceOf(NativeTrail)).sort()).toEqual(["arn", "snsTopicArn"]);
  });

  test("classic trail: the computed attributes", () => {
    expect(outputOnlyProperties(instanceOf(ClassicTrail)).sort()).toEqual(["arn", "homeRegion", "snsTopicArn", "tagsAll"]);
  });

  test("a value without a class has none", () => {
    expect(outputOnlyProperties(undefined)).toEqual([]);
  });
});

describe("checked inputs and planned outputs", () => {
  test("classic trail: Terraform defaults filled where unset, the program's values kept", () => {
    const secretSelector = { [SIG_KEY]: SECRET_SIG, value: { readWriteType: "ReadOnly" } };
    const inputs = checkedInputs("aws:cloudtrail/trail:Trail", {
      s3BucketName: "logs", isMultiRegionTrail: true, enableLogging: null, eventSelectors: [{ readWriteType: "WriteOnly" }, secretSelector],
    });
    expect(inputs).toEqual({
      s3BucketName: "logs", isMultiRegionTrail: true, enableLogging: true, includeGlobalServiceEvents: true,
      isOrganizationTrail: false, enableLogFileValidation: false,
      eventSelectors: [{ readWriteType: "WriteOnly", includeManagementEvents: true }, secretSelector],
    });
    expect(plannedOutputs("aws:cloudtrail/trail:Trail", inputs, { all: [], computed: ["arn"] })).toEqual({
      ...inputs, arn: UNKNOWN, region: UNKNOWN, id: UNKNOWN,
    });
  });

  test("aws-native trail: inputs as written, unset properties absent, read-only ones unknown", () => {
    const inputs = checkedInputs("aws-native:cloudtrail:Trail", { s3BucketName: "logs", isLogging: true });
    expect(inputs).toEqual({ s3BucketName: "logs", isLogging: true });
    expect(plannedOutputs("aws-native:cloudtrail:Trail", inputs, { all: [], computed: ["arn", "snsTopicArn"] })).toEqual({
      s3BucketName: "logs", isLogging: true, arn: UNKNOWN, snsTopicArn: UNKNOWN, id: UNKNOWN,
    });
  });
});
