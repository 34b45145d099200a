// Reads what the CIS audit reads in one account: the enabled regions (ec2:DescribeRegions), then the
// trails of each through the live-account reader, and the buckets when the S3 object-level logging
// advisories can name those left out. A call that fails is a fault, named; it never stops the rest
// of the account being read.

import { DescribeRegionsCommand, EC2Client } from "@aws-sdk/client-ec2";
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";

import { bucketsMatter } from "../../lib/cis";
import { parseTrail } from "../../lib/trail";
import { awsError, isRegionName, shownValue } from "../../live-account/bounds";
import { AccountClients } from "../../live-account/clients";
import { TrailReadOptions, TrailsRead, readTrails } from "../../live-account/trails";

export interface AccountBucket {
  name: string;
  region: string;
}

export interface AccountRead extends TrailsRead {
  account: string;
  /** Regions whose trails were listed. */
  regions: string[];
  /** Opt-in regions that are not enabled, so not checked. */
  skippedRegions: string[];
  /** The account's buckets, listed only when some trail records S3 object-level events for some buckets only. */
  buckets: AccountBucket[];
}

export interface ReadOptions extends TrailReadOptions {
  account: string;
  /** Regions to check (--region); every enabled region when empty. */
  regions: string[];
}

const ENABLED = new Set(["opt-in-not-required", "opted-in"]);

async function listRegions(clients: AccountClients, options: ReadOptions, read: AccountRead): Promise<string[]> {
  try {
    read.calls++;
    const out = await options.limiter.run(() => clients.service(EC2Client).send(new DescribeRegionsCommand({ AllRegions: true })));
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

export async function readAccount(clients: AccountClients, options: ReadOptions): Promise<AccountRead> {
  const read: AccountRead = {
    account: options.account, regions: [], skippedRegions: [], trails: [], buckets: [], faults: [], listed: false, calls: 0,
  };
  read.regions = await listRegions(clients, options, read);
  if (read.regions.length === 0) {
    read.faults.push({ what: "the account's trails", why: `no region to check is enabled (skipped: ${read.skippedRegions.join(", ") || "none"})` });
  }

  read.trails = await readTrails(clients, read.regions, options, read);
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
      const page = await options.limiter.run(() => clients.service(S3Client).send(new ListBucketsCommand(input)));
      for (const b of page.Buckets ?? []) if (b.Name) buckets.push({ name: b.Name, region: b.BucketRegion ?? "" });
      token = page.ContinuationToken;
    } while (token);
  } catch (err) {
    read.faults.push({ what: "the account's S3 buckets (s3:ListAllMyBuckets), to name those no trail records", why: awsError(err) });
    return [];
  }
  return buckets;
}
