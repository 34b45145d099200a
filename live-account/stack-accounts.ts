// The pack's read of the accounts a stack deploys to, with as few calls as CIS 3.1 needs: a
// multi-region trail shows in every region, so one DescribeTrails (shadow trails included) in the
// provider's region finds every candidate, and only multi-region candidates get GetTrailStatus and
// GetEventSelectors, in their home regions. Each read is bounded in all by `totalMs` and cached per
// target for the life of the pack process (one preview).

import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromNodeProviderChain, fromTemporaryCredentials } from "@aws-sdk/credential-providers";

import { CallBounds, Credentials, FALLBACK_REGION, answerLimitPlugin, awsError, isAccountId } from "./bounds";
import { AccountClients } from "./clients";
import { Limiter, untilAborted } from "./limit";
import { AccountTarget, roleAccount, targetKey } from "./targets";
import { TrailsRead, readTrails } from "./trails";

/** One attempt at a call: a fraction of the whole, so the SDK's retries fit in it. */
const ATTEMPT_MS = 5_000;
const CONNECT_MS = 2_000;
/** Calls in flight at once for one account. */
const CONCURRENCY = 4;

export interface LiveLimits {
  totalMs: number;
  /** The setting that changes the limit, for messages. */
  option: string;
}

export interface LiveAccount extends TrailsRead {
  target: AccountTarget;
  /** The region DescribeTrails was called in. */
  region: string;
  /** The account's ID: from the role assumed, a trail's ARN or sts:GetCallerIdentity; undefined when none answers. */
  account(): Promise<string | undefined>;
}

const cache = new Map<string, Promise<LiveAccount>>();

/** The target's account, read once per pack process (the engine starts one for each preview). */
export function readLiveAccount(target: AccountTarget, limits: LiveLimits): Promise<LiveAccount> {
  const key = `${targetKey(target)} ${limits.totalMs}`;
  let entry = cache.get(key);
  if (!entry) {
    entry = read(target, limits);
    cache.set(key, entry);
  }
  return entry;
}

/** The region the SDK is configured with (AWS_REGION, the profile's), when the provider names none. */
async function configuredRegion(profile: string | undefined): Promise<string> {
  const probe = new STSClient(profile ? { profile } : {});
  try {
    return (await probe.config.region()) || FALLBACK_REGION;
  } catch {
    return FALLBACK_REGION;
  } finally {
    probe.destroy();
  }
}

/** The provider's own credentials, or the default chain (with its profile); then each role in turn. */
function credentialsOf(target: AccountTarget, region: string, bounds: CallBounds): Credentials {
  const clientPlugins = [bounds.plugin(region) as never, answerLimitPlugin];
  let credentials: Credentials = target.credentials
    ?? fromNodeProviderChain({ ...(target.profile ? { profile: target.profile } : {}), clientConfig: { requestHandler: bounds.handler }, clientPlugins });
  for (const role of target.roles) {
    credentials = fromTemporaryCredentials({
      params: { RoleArn: role.roleArn, RoleSessionName: role.sessionName, ...(role.externalId ? { ExternalId: role.externalId } : {}) },
      masterCredentials: credentials,
      clientConfig: { region, requestHandler: bounds.handler, ...(target.stsEndpoint ? { endpoint: target.stsEndpoint } : {}) },
      clientPlugins,
    });
  }
  return credentials;
}

async function read(target: AccountTarget, limits: LiveLimits): Promise<LiveAccount> {
  const attemptMs = Math.min(ATTEMPT_MS, limits.totalMs);
  const bounds = new CallBounds({ connectMs: Math.min(CONNECT_MS, attemptMs), answerMs: attemptMs }, limits.option);
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(Object.assign(new Error(
    `no answer within ${limits.totalMs / 1000}s, the limit for reading the account (${limits.option}); ` +
    `${bounds.answered} AWS calls answered, ${bounds.pending.size} outstanding`), { name: "TimeoutError" })), limits.totalMs);
  const read: TrailsRead = { trails: [], faults: [], listed: false, calls: 0 };
  const region = target.region ?? await configuredRegion(target.profile);
  const credentials = credentialsOf(target, region, bounds);
  const clients = new AccountClients(region, credentials, bounds, {
    ...(target.cloudTrailEndpoint ? { endpoint: target.cloudTrailEndpoint } : {}), ...(target.profile ? { profile: target.profile } : {}),
  });
  try {
    const options = { limiter: new Limiter(CONCURRENCY, stop.signal), signal: stop.signal, details: (t: { IsMultiRegionTrail?: boolean }) => t.IsMultiRegionTrail === true };
    read.trails = await untilAborted(readTrails(clients, [region], options, read), stop.signal);
  } catch (err) {
    // Only the time limit ends the read early: what it had read is not enough to judge on.
    read.trails = [];
    read.listed = false;
    read.faults = [{ what: `the trails of region ${region} (cloudtrail:DescribeTrails)`, why: awsError(err) }];
  } finally {
    clearTimeout(timer);
    clients.close();
  }
  let identity: Promise<string | undefined> | undefined;
  const account = (): Promise<string | undefined> => {
    identity ??= identify(target, read, region, credentials, limits);
    return identity;
  };
  return { ...read, target, region, account };
}

/** The role's account, else an own trail's, else sts:GetCallerIdentity's answer (one call, made only for a message). */
async function identify(target: AccountTarget, read: TrailsRead, region: string, credentials: Credentials, limits: LiveLimits): Promise<string | undefined> {
  const fromRole = roleAccount(target);
  if (fromRole) return fromRole;
  const own = read.trails.find((t) => !t.organizationTrail);
  if (own) return own.owner;
  const bounds = new CallBounds({ connectMs: CONNECT_MS, answerMs: Math.min(ATTEMPT_MS, limits.totalMs) }, limits.option);
  const sts = bounds.make(STSClient, region, credentials, target.stsEndpoint ? { endpoint: target.stsEndpoint } : {});
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}), { abortSignal: AbortSignal.timeout(limits.totalMs) });
    return isAccountId(out.Account) ? out.Account : undefined;
  } catch {
    return undefined;
  } finally {
    sts.destroy();
  }
}
