// Reads an account's trails as the CIS audit reads them: DescribeTrails (shadow trails included) in
// each region asked for, de-duplicated by ARN, then GetTrailStatus and GetEventSelectors once per
// trail, in its home region. A call that fails is a fault, named; it never stops the rest being read.

import { DescribeTrailsCommand, GetEventSelectorsCommand, GetEventSelectorsResponse, GetTrailStatusCommand, Trail } from "@aws-sdk/client-cloudtrail";

import { awsError, isRegionName, shownValue } from "./bounds";
import { AccountClients } from "./clients";
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

/** What a read found and what it could not: shared by an account check and the pack's live read. */
export interface TrailsRead {
  trails: AccountTrail[];
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

export interface TrailReadOptions {
  limiter: Limiter;
  orgTrails?: TrailDetailsCache;
  /** Aborts the calls in flight (a time limit). */
  signal?: AbortSignal;
  /**
   * Which listed trails get GetTrailStatus and GetEventSelectors; every one when absent. A trail left
   * out keeps what DescribeTrails says, its logging and selectors unknown.
   */
  details?: (trail: Trail) => boolean;
}

/** A trail's ARN as CloudTrail forms it: partition, region, 12-digit account, trail name. */
const TRAIL_ARN = /^arn:aws(-[a-z]+)*:cloudtrail:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:trail\/[\x21-\x7e]{1,256}$/;

export async function describeTrails(clients: AccountClients, region: string, options: TrailReadOptions, read: TrailsRead): Promise<Trail[]> {
  try {
    read.calls++;
    const out = await options.limiter.run(() =>
      clients.cloudTrail(region).send(new DescribeTrailsCommand({ includeShadowTrails: true }), { abortSignal: options.signal }));
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

function readDetails(clients: AccountClients, trail: Trail, options: TrailReadOptions, read: TrailsRead): Promise<TrailDetails> {
  const arn = trail.TrailARN as string;
  const client = clients.cloudTrail(trail.HomeRegion as string);
  const sent = { abortSignal: options.signal };
  read.calls += 2;
  const status = attempt(() => options.limiter.run(() => client.send(new GetTrailStatusCommand({ Name: arn }), sent)));
  const selectors = attempt(() => options.limiter.run(() => client.send(new GetEventSelectorsCommand({ TrailName: arn }), sent)));
  return Promise.all([status, selectors]).then(([s, e]) => ({ status: s, selectors: e }));
}

/** Logging and selectors of a trail whose details were not asked for. */
const NOT_ASKED: TrailDetails = { status: { ok: false, why: "not read" }, selectors: { ok: false, why: "not read" } };

/**
 * The trails DescribeTrails lists in `regions`, each read in its home region (the first region
 * asked for when DescribeTrails names none), sorted by ARN.
 */
export async function readTrails(clients: AccountClients, regions: string[], options: TrailReadOptions, read: TrailsRead): Promise<AccountTrail[]> {
  const byArn = new Map<string, Trail>();
  const lists = await Promise.all(regions.map((region) => describeTrails(clients, region, options, read)));
  for (const trail of lists.flat()) {
    if (trail.TrailARN && !byArn.has(trail.TrailARN)) byArn.set(trail.TrailARN, trail);
  }

  const arns = [...byArn.keys()].sort();
  return Promise.all(arns.map(async (arn) => {
    const trail = byArn.get(arn) as Trail;
    const homeRegion = trail.HomeRegion ?? regions[0];
    const described = { ...trail, HomeRegion: homeRegion };
    const owner = ownerOf(arn);
    const organizationTrail = trail.IsOrganizationTrail === true;
    const asked = options.details?.(described) ?? true;
    const details = !asked ? NOT_ASKED
      : organizationTrail && options.orgTrails
        ? await options.orgTrails.get(arn, () => readDetails(clients, described, options, read))
        : await readDetails(clients, described, options, read);
    const name = trail.Name ?? arn;
    if (asked && !details.status.ok) {
      read.faults.push({ what: `whether trail ${name} is logging (cloudtrail:GetTrailStatus in ${homeRegion})`, why: details.status.why });
    }
    if (asked && !details.selectors.ok) {
      read.faults.push({ what: `the event selectors of trail ${name} (cloudtrail:GetEventSelectors in ${homeRegion})`, why: details.selectors.why });
    }
    return {
      arn,
      name,
      homeRegion,
      organizationTrail,
      owner,
      state: trailState(described, details.status, details.selectors),
      unread: asked ? unreadProperties(details.status, details.selectors) : {},
      complete: details.status.ok && details.selectors.ok,
    };
  }));
}
