// An organization's own policy pack: one policy of its own, written with the library's CloudTrail
// reader, beside a selection of the CIS CloudTrail policies. The pack is TypeScript that the Pulumi
// CLI compiles when it starts the pack, so it needs no build step.
import { PolicyPack, ResourceValidationPolicy } from "@pulumi/policy";
import { Unknown, guardSdkDeserializer, selectPolicies, trailOf } from "cis-cloudtrail-policy-pack";

// Acme logs every account through one organization trail, created in the management account.
const organizationTrailsOnly: ResourceValidationPolicy = {
  name: "acme-cloudtrail-trail-organization-trail",
  description: "Acme's CloudTrail trails are organization trails, so one trail covers every account.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: (args, reportViolation) => {
    const parsed = trailOf(args.type, args.props);
    if (!parsed) return args.notApplicable("not a CloudTrail trail");
    // A malformed trail is aws-cloudtrail-trail-valid-configuration's to report; an unknown value
    // is known, and judged, at `pulumi up`.
    if (parsed.problems.length > 0 || parsed.trail.organization instanceof Unknown) return;
    if (parsed.trail.organization !== true) {
      reportViolation(`The trail "${args.name}" is not an organization trail: set isOrganizationTrail to true.`);
    }
  },
};

// The same guard the CIS pack runs: every request is answered, even one the SDK cannot read.
guardSdkDeserializer();

new PolicyPack("acme-policies", {
  description: "Acme's policies for every stack.",
  policies: [
    organizationTrailsOnly,
    // CIS CloudTrail's high-severity policies at their own levels (both mandatory)...
    ...selectPolicies({ vendors: ["aws"], services: ["cloudtrail"], severities: ["high"] }),
    // ...and, as Acme's standard asks, log integrity and encryption as mandatory, not advisory.
    ...selectPolicies({ services: ["cloudtrail"], topics: ["integrity", "encryption"] }, "mandatory"),
  ],
});
