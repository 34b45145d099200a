// The liveAccount option of aws-cloudtrail-stack-has-cis-trail: a stack that does not own its
// account's trail is judged on the live accounts its AWS providers deploy to. Loaded only when the
// option is on, so the AWS SDK stays out of the pack otherwise. The live trails are converted to
// the provider's state and judged by the same rules as a declared trail (lib/cis).

import { PolicyResource, ReportViolation } from "@pulumi/policy";
import { Requirements, TrailInStack, describeFixes, describeGaps, judgeStack, listOf } from "../lib/cis";
import { CLASSIC_TRAIL_TYPE, parseTrail } from "../lib/trail";
import { UNSAFE_CHARACTERS, errorMessage, escapeCharacter, quoted } from "../lib/text";
import { LiveAccount, readLiveAccount } from "../live-account/stack-accounts";
import { AccountTarget, PROVIDER_TYPES, targetsOf } from "../live-account/targets";
import { describeUnread, readProps, trailLabel } from "./common";
import { reportAdvisory } from "./sdk-internals";

export type UnreadableLevel = "advisory" | "block";

export interface LiveAccountOptions {
  requirements: Requirements;
  timeoutSeconds: number;
  unreadable: UnreadableLevel;
  ownerTag: string;
}

const TIMEOUT_OPTION = "liveAccountTimeout";

/** The stack's AWS provider resources as targets; none when it deploys nothing with an AWS provider. */
export function stackTargets(resources: readonly PolicyResource[]): AccountTarget[] {
  const providers = resources.filter((r) => PROVIDER_TYPES.includes(r.type))
    .map((r) => ({ name: r.name, props: (readProps(r.props) ?? {}) as Record<string, unknown> }));
  return targetsOf(providers);
}

/** Reads and judges each target; every failure to read is reported, never thrown. */
export async function judgeLiveAccounts(targets: readonly AccountTarget[], report: ReportViolation, options: LiveAccountOptions): Promise<void> {
  const limits = { totalMs: options.timeoutSeconds * 1000, option: TIMEOUT_OPTION };
  await Promise.all(targets.map(async (target) => {
    try {
      if (target.problem) {
        unreadable(report, options, `${providerLabel(target)} cannot be read: ${target.problem}`);
        return;
      }
      const live = await readLiveAccount(target, limits);
      const finding = judgeAccount(live, options);
      if (!finding) return;
      // The account is named only in a message: its ID may take a call to learn.
      const message = finding.text(await accountLabel(live));
      if (finding.fails) report(message);
      else unreadable(report, options, message);
    } catch (err) {
      unreadable(report, options, `${providerLabel(target)} cannot be read: unexpected failure: ${errorMessage(err).slice(0, 200).replace(UNSAFE_CHARACTERS, escapeCharacter)}`);
    }
  }));
}

/** `the aws provider "default_7_48_0"`, `the AWS providers "a" and "b"`: logical names only. */
function providerLabel(target: AccountTarget): string {
  const names = target.providers.map((n) => quoted(n));
  return `The account of ${names.length === 1 ? "AWS provider" : "AWS providers"} ${listOf(names, 3)}`;
}

async function accountLabel(live: LiveAccount): Promise<string> {
  const account = await live.account();
  const providers = live.target.providers.map((n) => quoted(n));
  const via = `${providers.length === 1 ? "provider" : "providers"} ${listOf(providers, 3)}`;
  return `The AWS account ${account ?? "of the provider's credentials"} this stack deploys to (read in ${live.region}, ${via})`;
}

function unreadable(report: ReportViolation, options: LiveAccountOptions, message: string): void {
  const outcome = options.unreadable === "block"
    ? " With liveAccountUnreadable \"block\", the update is blocked until it can be read."
    : " It is not known to have a trail that meets CIS 3.1; this is advisory (liveAccountUnreadable \"block\" fails it instead).";
  const full = `${message}.${outcome}`;
  if (options.unreadable === "block") report(full);
  else reportAdvisory(report, full);
}

/** What to say of the account, given its label: a failure, or what kept it from being judged; none when it complies. */
interface Finding {
  fails: boolean;
  text(label: string): string;
}

function judgeAccount(live: LiveAccount, options: LiveAccountOptions): Finding | undefined {
  if (!live.listed) {
    const faults = live.faults.map((f) => `${f.what}: ${f.why}`).join("; ").replace(UNSAFE_CHARACTERS, escapeCharacter);
    return { fails: false, text: (label) => `${label} could not be read: ${faults}` };
  }
  const trails: TrailInStack[] = live.trails.map((t) => ({
    urn: `urn:pulumi:live::aws-account::${CLASSIC_TRAIL_TYPE}::${t.arn}`, name: t.name, parsed: parseTrail("aws", t.state),
  }));
  const verdict = judgeStack(trails, options.requirements);
  switch (verdict.status) {
    case "compliant":
      return undefined;
    case "no-trail":
      return {
        fails: true,
        text: (label) =>
          `${label} has no CloudTrail trail: DescribeTrails lists none. CIS 3.1 needs one that is multi-region, logging, ` +
          "includes global service events and records all management events, read and write. Create it in the stack " +
          `that owns the account's trail (give that stack the "${options.ownerTag}" tag), or as an organization trail in the management account.`,
      };
    case "unknown": {
      const [first, ...others] = verdict.candidates;
      const unread = live.trails[trails.indexOf(first.trail)].unread;
      const more = others.length === 0 ? "" : others.length === 1 ? "; the same holds for one more trail" : `; the same holds for ${others.length} more trails`;
      const why = describeUnread(unread, first.unknowns) ?? `${listOf(first.unknowns, 5)} could not be read`;
      return {
        fails: false,
        text: (label) => `${label} could not be judged: no trail is known to meet CIS 3.1: for ${trailLabel(first.trail.name)}, ${why}${more}`,
      };
    }
    case "noncompliant": {
      const others = verdict.trailCount > 1
        ? ` None of the account's ${verdict.trailCount} trails seen from ${live.region} complies; CIS asks for one trail that meets every requirement on its own.`
        : "";
      return {
        fails: true,
        text: (label) => `${label} has no trail that meets CIS 3.1: ${trailLabel(verdict.closest.name)} ${describeGaps(verdict.gaps)}.${others} ` +
          `To fix, in the stack that owns the account's trail: ${describeFixes(verdict.gaps)}.`,
      };
    }
  }
}
