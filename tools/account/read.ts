// Reads what the CIS audit reads in one account: the enabled regions, DescribeTrails (shadow trails
// included) in each, then GetTrailStatus and GetEventSelectors once per distinct trail, in its home
// region. A call that fails is a fault, named; it never stops the rest of the account being read.

import {
  DescribeTrailsCommand, GetEventSelectorsCommand, GetEventSelectorsResponse, GetTrailStatusCommand, Trail,
} from "@aws-sdk/client-cloudtrail";
import { DescribeRegionsCommand } from "@aws-sdk/client-ec2";
import { ListBucketsCommand } from "@aws-sdk/client-s3";

import { bucketsMatter } from "../../lib/cis";
import { parseTrail } from "../../lib/trail";

import { AccountClients, awsError, isRegionName, shownValue } from "./aws";
import { Limiter } from "./limit";
import { Read, ownerOf, trailState, unreadProperties } from "./state";

export interface Fault {
  /** What could not be read: a call, a region or an account. */
  what: string;
  /** The AWS error, as AWS names it. */
  why: string;
}

export interface AccountTrail {
  arn: string;
  name: string;
  homeRegion: string;
  organizationTrail: boolean;
  owner: string;
  /** The provider's state for the trail; what could not be read is unknown. */
  state: Record<string, unknown>;
  /** The properties that could not be read, with the AWS error. */
  unread: Record<string, string>;
  /** GetTrailStatus and GetEventSelectors both answered. */
  complete: boolean;
}

export interface AccountBucket {
  name: string;
  region: string;
}

export interface AccountRead {
  account: string;
  /** Regions whose trails were listed. */
  regions: string[];
  /** Opt-in regions that are not enabled, so not checked. */
  skippedRegions: string[];
  trails: AccountTrail[];
  /** The account's buckets, listed only when some trail records S3 object-level events for some buckets only. */
  buckets: AccountBucket[];
  faults: Fault[];
  /** At least one region answered DescribeTrails. */
  listed: boolean;
  calls: number;
}

export interface TrailDetails {
  status: Read<{ IsLogging?: boolean }>;
  selectors: Read<GetEventSelectorsResponse>;
}

/**
 * Organization trails are the same trail in every member account: their details are read once and
 * shared. A failed read is not kept, so the next account tries again.
 */
export class TrailDetailsCache {
  private readonly entries = new Map<string, Promise<TrailDetails>>();

  get(arn: string, read: () => Promise<TrailDetails>): Promise<TrailDetails> {
    let entry = this.entries.get(arn);
    if (!entry) {
      entry = read();
      this.entries.set(arn, entry);
      void entry.then((d) => {
        if (!d.status.ok || !d.selectors.ok) this.entries.delete(arn);
      });
    }
    return entry;
  }
}

export interface ReadOptions {
  account: string;
  /** Regions to check (--region); every enabled region when empty. */
  regions: string[];
  limiter: Limiter;
  orgTrails?: TrailDetailsCache;
}

const ENABLED = new Set(["opt-in-not-required", "opted-in"]);
/** A trail's ARN as CloudTrail forms it: partition, region, 12-digit account, trail name. */
const TRAIL_ARN = /^arn:aws(-[a-z]+)*:cloudtrail:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:trail\/[\x21-\x7e]{1,256}$/;

async function listRegions(clients: AccountClients, options: ReadOptions, read: AccountRead): Promise<string[]> {
  try {
    read.calls++;
    const out = await options.limiter.run(() => clients.regions().send(new DescribeRegionsCommand({ AllRegions: true })));
    const listed = out.Regions ?? [];
    const all = listed.filter((r) => isRegionName(r.RegionName));
    const bad = listed.find((r) => !isRegionName(r.RegionName));
    if (bad) {
      read.faults.push({ what: "a region (ec2:DescribeRegions)", why: `listed ${shownValue(bad.RegionName)}, which is not a region name; not checked` });
    }
    const wanted = options.regions.length > 0 ? new Set(options.regions) : undefined;
    const known = new Set(all.map((r) => r.RegionName as string));
    const enabled: string[] = [];
    for (const r of all) {
      const name = r.RegionName as string;
      if (wanted && !wanted.has(name)) continue;
      if (ENABLED.has(r.OptInStatus ?? "opt-in-not-required")) enabled.push(name);
      else read.skippedRegions.push(name);
    }
    for (const name of options.regions) {
      if (!known.has(name)) read.faults.push({ what: `region ${name}`, why: "not a region of this account's partition (ec2:DescribeRegions does not list it)" });
    }
    return enabled.sort();
  } catch (err) {
    // A multi-region trail shows in every region, so one region's list still finds it.
    const fallback = options.regions.length > 0 ? options.regions : [clients.defaultRegion];
    read.faults.push({ what: `the account's enabled regions (ec2:DescribeRegions); checked ${fallback.join(", ")} only`, why: awsError(err) });
    return [...fallback];
  }
}

async function describeTrails(clients: AccountClients, region: string, options: ReadOptions, read: AccountRead): Promise<Trail[]> {
  try {
    read.calls++;
    const out = await options.limiter.run(() =>
      clients.cloudTrail(region).send(new DescribeTrailsCommand({ includeShadowTrails: true })));
    read.listed = true;
    const trails: Trail[] = [];
    for (const t of out.trailList ?? []) {
      if (TRAIL_ARN.test(t.TrailARN ?? "") && (t.HomeRegion === undefined || isRegionName(t.HomeRegion))) {
        trails.push(t);
      } else {
        // Never judged, never used to pick an endpoint: what AWS would not send is not read further.
        const why = `listed with ARN ${shownValue(t.TrailARN)} and home region ${shownValue(t.HomeRegion)}, which are not a trail ARN and a region name`;
        // A multi-region trail is listed in every region: named once.
        if (!read.faults.some((f) => f.why === why)) read.faults.push({ what: `a trail (cloudtrail:DescribeTrails in ${region})`, why });
      }
    }
    return trails;
  } catch (err) {
    read.faults.push({ what: `the trails of region ${region} (cloudtrail:DescribeTrails)`, why: awsError(err) });
    return [];
  }
}

async function attempt<T>(run: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (err) {
    return { ok: false, why: awsError(err) };
  }
}

function readDetails(clients: AccountClients, trail: Trail, options: ReadOptions, read: AccountRead): Promise<TrailDetails> {
  const arn = trail.TrailARN as string;
  const client = clients.cloudTrail(trail.HomeRegion as string);
  read.calls += 2;
  const status = attempt(() => options.limiter.run(() => client.send(new GetTrailStatusCommand({ Name: arn }))));
  const selectors = attempt(() => options.limiter.run(() => client.send(new GetEventSelectorsCommand({ TrailName: arn }))));
  return Promise.all([status, selectors]).then(([s, e]) => ({ status: s, selectors: e }));
}

export async function readAccount(clients: AccountClients, options: ReadOptions): Promise<AccountRead> {
  const read: AccountRead = {
    account: options.account, regions: [], skippedRegions: [], trails: [], buckets: [], faults: [], listed: false, calls: 0,
  };
  read.regions = await listRegions(clients, options, read);
  if (read.regions.length === 0) {
    read.faults.push({ what: "the account's trails", why: `no region to check is enabled (skipped: ${read.skippedRegions.join(", ") || "none"})` });
  }

  const byArn = new Map<string, Trail>();
  const lists = await Promise.all(read.regions.map((region) => describeTrails(clients, region, options, read)));
  for (const trail of lists.flat()) {
    if (trail.TrailARN && !byArn.has(trail.TrailARN)) byArn.set(trail.TrailARN, trail);
  }

  const arns = [...byArn.keys()].sort();
  read.trails = await Promise.all(arns.map(async (arn) => {
    const trail = byArn.get(arn) as Trail;
    const homeRegion = trail.HomeRegion ?? read.regions[0];
    const described = { ...trail, HomeRegion: homeRegion };
    const owner = ownerOf(arn);
    const organizationTrail = trail.IsOrganizationTrail === true;
    const details = organizationTrail && options.orgTrails
      ? await options.orgTrails.get(arn, () => readDetails(clients, described, options, read))
      : await readDetails(clients, described, options, read);
    const name = trail.Name ?? arn;
    if (!details.status.ok) read.faults.push({ what: `whether trail ${name} is logging (cloudtrail:GetTrailStatus in ${homeRegion})`, why: details.status.why });
    if (!details.selectors.ok) read.faults.push({ what: `the event selectors of trail ${name} (cloudtrail:GetEventSelectors in ${homeRegion})`, why: details.selectors.why });
    return {
      arn,
      name,
      homeRegion,
      organizationTrail,
      owner,
      state: trailState(described, details.status, details.selectors),
      unread: unreadProperties(details.status, details.selectors),
      complete: details.status.ok && details.selectors.ok,
    };
  }));
  // The buckets matter only when a trail records some of them: then the report names those it leaves out.
  if (bucketsMatter(read.trails.map((t) => parseTrail("aws", t.state)))) read.buckets = await listBuckets(clients, options, read);
  return read;
}

/** ListBuckets' largest page. */
const BUCKET_PAGE = 10_000;

/** Every general purpose bucket of the account (ListBuckets, page by page), with its region. */
async function listBuckets(clients: AccountClients, options: ReadOptions, read: AccountRead): Promise<AccountBucket[]> {
  const buckets: AccountBucket[] = [];
  let token: string | undefined;
  try {
    do {
      read.calls++;
      const input = { MaxBuckets: BUCKET_PAGE, ContinuationToken: token };
      const page = await options.limiter.run(() => clients.s3().send(new ListBucketsCommand(input)));
      for (const b of page.Buckets ?? []) if (b.Name) buckets.push({ name: b.Name, region: b.BucketRegion ?? "" });
      token = page.ContinuationToken;
    } while (token);
  } catch (err) {
    read.faults.push({ what: "the account's S3 buckets (s3:ListAllMyBuckets), to name those no trail records", why: awsError(err) });
    return [];
  }
  return buckets;
}
