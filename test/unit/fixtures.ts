// Typed trail fixtures: a misspelt property does not compile. Types only; nothing loads the providers.
import type * as aws from "@pulumi/aws";
import type * as awsNative from "@pulumi/aws-native";
import type { Unwrap } from "@pulumi/pulumi";

export type ClassicTrailProps = Unwrap<aws.cloudtrail.TrailArgs>;
export type NativeTrailProps = Unwrap<awsNative.cloudtrail.TrailArgs>;

/** The engine's sentinel for a value unknown at preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** A value of the wrong shape, on purpose: the pack must fail closed on it. */
export function malformed<T>(value: unknown): T {
  return value as T;
}

/** What CIS 3.1 asks for, with nothing more: the happy path each case changes one thing of. */
export const compliantClassic: ClassicTrailProps = {
  s3BucketName: "audit-logs",
  isMultiRegionTrail: true,
};

export const compliantNative: NativeTrailProps = {
  s3BucketName: "audit-logs",
  isLogging: true,
  isMultiRegionTrail: true,
};

export const MANAGEMENT = { field: "eventCategory", equals: ["Management"] };
export const READ_ONLY = { field: "readOnly", equals: ["true"] };
export const WRITE_ONLY = { field: "readOnly", equals: ["false"] };
export const S3_DATA = [
  { field: "eventCategory", equals: ["Data"] },
  { field: "resources.type", equals: ["AWS::S3::Object"] },
];

/** The unknown sentinel where a typed fixture expects another type (a flag, a list). */
export function unknownAtPreview<T>(): T {
  return UNKNOWN as unknown as T;
}
