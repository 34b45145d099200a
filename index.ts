// The policy pack, a thin entry over the library (library.ts) that other packs import. Only this
// file creates a PolicyPack: it starts its gRPC server at once, and a process may serve only one.
import { PolicyPack } from "@pulumi/policy";
import { guardSdkDeserializer, policies } from "./library";

// Every request is answered with diagnostics, even one whose properties the SDK cannot read.
guardSdkDeserializer();

new PolicyPack("cis-cloudtrail", {
  description: "CIS AWS Foundations Benchmark: CloudTrail enabled in all regions, judged with AWS's own semantics.",
  policies: [...policies],
});
