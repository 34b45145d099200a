// The policy pack. Only this file creates it: a PolicyPack starts its gRPC server at once, and a
// process may serve only one.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";
import { guardSdkDeserializer } from "./policies/sdk-internals";

// Every request is answered with diagnostics, even one whose properties the SDK cannot read.
guardSdkDeserializer();

new PolicyPack("cis-cloudtrail", {
  description: "CIS AWS Foundations Benchmark: CloudTrail enabled in all regions, judged with AWS's own semantics.",
  policies,
});
