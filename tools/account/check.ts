// Judges a live account with the policy pack: each trail becomes the aws:cloudtrail/trail:Trail the
// provider would read back, and the account goes through the pack as one stack, with the same engine
// glue (analyzeWith) and report as the offline preview.

import { CLASSIC_TRAIL_TYPE } from "../../lib/trail";
import { UNREADABLE_TAG } from "../../lib/values";
import { PolicyPackClient } from "../analyzer/client";
import { PolicyConfig } from "../analyzer/types";
import { analyzeWith } from "../preview/analyze";
import { AccountSource, PreviewReport, buildReport } from "../preview/report";
import { PreviewResource } from "../preview/resources";
import { Limiter } from "../../live-account/limit";
import { trailInputs } from "../../live-account/state";
import { AccountRead } from "./read";

/** The project an account's resources belong to in their URNs; the stack is the account ID. */
export const ACCOUNT_PROJECT = "aws-account";

export type Verdict = "complies" | "fails" | "not judged" | "unreadable";

export const VERDICTS: Record<number, Verdict> = { 0: "complies", 1: "fails", 3: "not judged", 2: "unreadable" };

/** A started pack, shared by every account: one account is judged at a time. */
export interface Judge {
  client: PolicyPackClient;
  dir: string;
  config?: Record<string, PolicyConfig>;
  configFile?: string;
  organization: string;
  turn: Limiter;
  /** Aborted when the run's time limit fires. */
  stop?: AbortSignal;
}

/** The classic provider's bucket, as it reads one back (its name and region are what the pack reads). */
const BUCKET_TYPE = "aws:s3/bucket:Bucket";

/**
 * Trails by name, as a program would name them (a name two trails share is qualified by ARN), and
 * the buckets listed, by name: the stack policies see them as they see a program's declared ones.
 */
export function accountResources(read: AccountRead): PreviewResource[] {
  const counts = new Map<string, number>();
  for (const t of read.trails) counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  const buckets = read.buckets.map((b): PreviewResource => {
    const outputs = { id: b.name, bucket: b.name, region: b.region };
    return {
      urn: `urn:pulumi:${read.account}::${ACCOUNT_PROJECT}::${BUCKET_TYPE}::${b.name}`,
      type: BUCKET_TYPE,
      name: b.name,
      custom: true,
      dependencies: [],
      propertyDependencies: {},
      inputs: { bucket: b.name },
      outputs,
      // No resource policy judges a bucket; the stack policies read it.
      analyze: false,
    };
  });
  return [...read.trails.map((t) => {
    const name = counts.get(t.name) === 1 ? t.name : t.arn;
    return {
      urn: trailUrn(read.account, name),
      type: CLASSIC_TRAIL_TYPE,
      name,
      custom: true,
      dependencies: [],
      propertyDependencies: {},
      inputs: trailInputs(t.state),
      outputs: t.state,
      analyze: true,
    };
  }), ...buckets];
}

function trailUrn(account: string, name: string): string {
  return `urn:pulumi:${account}::${ACCOUNT_PROJECT}::${CLASSIC_TRAIL_TYPE}::${name}`;
}

/**
 * The stack tags the pack sees: what could not be read of each trail, and why, so that its messages
 * say "could not be read" where a preview's say "unknown until deploy".
 */
export function accountTags(read: AccountRead, resources: PreviewResource[]): Record<string, string> {
  const unread: Record<string, Record<string, string>> = {};
  read.trails.forEach((t, i) => {
    if (Object.keys(t.unread).length > 0) unread[resources[i].urn] = t.unread;
  });
  return Object.keys(unread).length > 0 ? { [UNREADABLE_TAG]: JSON.stringify(unread) } : {};
}

export function accountSource(read: AccountRead, accountName?: string): AccountSource {
  return {
    kind: "account",
    account: read.account,
    accountName,
    project: ACCOUNT_PROJECT,
    stack: read.account,
    regions: read.regions,
    skippedRegions: read.skippedRegions,
    trails: read.trails.map(({ name, arn, homeRegion, organizationTrail, owner, complete }) =>
      ({ name, arn, homeRegion, organizationTrail, owner, complete })),
    notJudged: read.faults,
  };
}

/** Sends the account through the pack, as `pulumi policy analyze` sends a stack's state. */
export async function judgeAccount(judge: Judge, read: AccountRead, accountName?: string): Promise<PreviewReport> {
  const resources = accountResources(read);
  const run = await judge.turn.run(() => analyzeWith(judge.client, judge.dir, resources, {
    packDir: judge.dir,
    config: judge.config,
    configFile: judge.configFile,
    stack: read.account,
    project: ACCOUNT_PROJECT,
    organization: judge.organization,
    tags: accountTags(read, resources),
    applyRemediations: false,
  }));
  return buildReport(accountSource(read, accountName), run);
}
