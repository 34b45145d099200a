// A local endpoint on 127.0.0.1 that answers the AWS calls the account check makes, on each
// service's own wire protocol, with answers shaped as the AWS API reference documents them:
// CloudTrail and Organizations speak awsJson1_1 (POST /, X-Amz-Target), EC2 and STS the query
// protocol (form-encoded Action=..., XML answers), S3 REST-XML (GET /?x-id=ListBuckets). The account is the one whose access key signed the
// request, the region the one in its SigV4 credential scope. Used by the tests and the benchmark;
// signatures are not verified.

import * as http from "http";
import { AddressInfo } from "net";

/** A trail as DescribeTrails lists it (the API's own field names). */
export interface DescribedTrail {
  Name: string;
  TrailARN: string;
  HomeRegion: string;
  S3BucketName: string;
  IsMultiRegionTrail: boolean;
  IsOrganizationTrail: boolean;
  IncludeGlobalServiceEvents: boolean;
  LogFileValidationEnabled: boolean;
  HasCustomEventSelectors: boolean;
  HasInsightSelectors: boolean;
  KmsKeyId?: string;
  CloudWatchLogsLogGroupArn?: string;
  CloudWatchLogsRoleArn?: string;
  S3KeyPrefix?: string;
  SnsTopicName?: string;
  SnsTopicARN?: string;
}

export interface SimTrail {
  trail: DescribedTrail;
  isLogging: boolean;
  /** GetEventSelectors' answer without TrailARN: {EventSelectors} or {AdvancedEventSelectors}. */
  selectors: { EventSelectors?: unknown[]; AdvancedEventSelectors?: unknown[] };
}

export interface SimAccount {
  id: string;
  name?: string;
  /** Organizations' account State: ACTIVE, SUSPENDED, PENDING_CLOSURE. */
  state?: string;
  trails: SimTrail[];
  /** The account's general purpose buckets, as ListBuckets lists them. */
  buckets?: { name: string; region: string }[];
  /**
   * Calls answered AccessDenied: "GetEventSelectors", in one region "DescribeTrails@eu-west-3", on
   * one trail "GetTrailStatus#main", or the role itself "AssumeRole".
   */
  deny?: string[];
  /** Calls answered with throttling this many times before they succeed. */
  throttle?: Record<string, number>;
}

export type OptInStatus = "opt-in-not-required" | "opted-in" | "not-opted-in";

export interface SimWorld {
  regions: { name: string; optIn: OptInStatus }[];
  /** The account for an ID, or undefined when there is none. May build it on demand. */
  account(id: string): SimAccount | undefined;
  organization?: { id: string; managementAccount: string; accountIds: string[]; pageSize: number };
  /** Answer nothing at all: for interrupting a check half-way. */
  stall?: boolean;
  /**
   * A broken or hostile endpoint: answers a call itself, on `res`, and returns true; false leaves the
   * call to the simulation.
   */
  override?(call: SimCall, input: Record<string, unknown>, res: http.ServerResponse): boolean;
  /**
   * Calls read and never answered, as by an endpoint that hangs: "ListAccounts", in one region
   * "DescribeTrails@eu-west-3", every call of a region "@eu-west-3".
   */
  hang?: string[];
}

export interface SimCall {
  service: string;
  action: string;
  region: string;
  account: string;
  /** The trail a CloudTrail call names. */
  trail?: string;
}

/** The access key the simulation gives account `id`: its caller (AKIA...) or an assumed role (ASIA...). */
export function accessKeyFor(id: string, assumed = false): string {
  return `${assumed ? "ASIA" : "AKIA"}SIM${id}`;
}

function accountOfKey(key: string): string {
  return key.slice(-12);
}

export function trailArn(account: string, region: string, name: string): string {
  return `arn:aws:cloudtrail:${region}:${account}:trail/${name}`;
}

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

function xml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c]);
}

class Answer {
  constructor(
    readonly status: number,
    readonly contentType: string,
    readonly body: string,
  ) {}
}

const JSON_TYPE = "application/x-amz-json-1.1";
const XML_TYPE = "text/xml";
const STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/";
const EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
const S3_NS = "http://s3.amazonaws.com/doc/2006-03-01/";

let requestIds = 0;
function requestId(): string {
  requestIds++;
  return `00000000-0000-4000-8000-${String(requestIds).padStart(12, "0")}`;
}

function jsonAnswer(body: unknown): Answer {
  return new Answer(200, JSON_TYPE, JSON.stringify(body));
}

function jsonError(type: string, message: string): Answer {
  return new Answer(400, JSON_TYPE, JSON.stringify({ __type: type, message }));
}

function stsError(status: number, code: string, message: string): Answer {
  return new Answer(status, XML_TYPE,
    `<ErrorResponse xmlns="${STS_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error>` +
    `<RequestId>${requestId()}</RequestId></ErrorResponse>`);
}

function ec2Error(status: number, code: string, message: string): Answer {
  return new Answer(status, XML_TYPE,
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${xml(message)}</Message></Error></Errors>` +
    `<RequestID>${requestId()}</RequestID></Response>`);
}

function s3Error(status: number, code: string, message: string): Answer {
  return new Answer(status, "application/xml",
    `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xml(message)}</Message>` +
    `<RequestId>${requestId()}</RequestId></Error>`);
}

function notAuthorized(caller: string, action: string): string {
  return `User: arn:aws:iam::${caller}:user/auditor is not authorized to perform: ${action} because no identity-based policy allows the ${action} action`;
}

export class SimulatedAws {
  private server?: http.Server;
  private readonly throttled = new Map<string, number>();
  /** Every call, when `record` is on; counts by action always. */
  readonly calls: SimCall[] = [];
  readonly counts = new Map<string, number>();
  /** Requests received, answered or not. */
  received = 0;

  constructor(
    readonly world: SimWorld,
    private readonly record = true,
  ) {}

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve) => this.server?.listen(0, "127.0.0.1", resolve));
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  count(action: string): number {
    return this.counts.get(action) ?? 0;
  }

  totalCalls(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }

  resetCounts(): void {
    this.counts.clear();
    this.calls.length = 0;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.received++;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (this.world.stall) return;
      const answer = this.answer(req, res, Buffer.concat(chunks).toString("utf8"));
      if (!answer) return;
      res.writeHead(answer.status, {
        "content-type": answer.contentType,
        "content-length": Buffer.byteLength(answer.body),
        "x-amzn-requestid": requestId(),
      });
      res.end(answer.body);
    });
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse, body: string): Answer | undefined {
    const scope = /Credential=([^/,]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/.exec(String(req.headers.authorization ?? ""));
    if (!scope) return jsonError("MissingAuthenticationTokenException", "Request is missing Authentication Token");
    const [, key, region, service] = scope;
    const caller = accountOfKey(key);
    const target = String(req.headers["x-amz-target"] ?? "");
    const form = new URLSearchParams(service === "sts" || service === "ec2" ? body : "");
    const url = new URL(req.url ?? "/", "http://localhost");
    const action = target ? target.slice(target.lastIndexOf(".") + 1)
      : service === "s3" ? (req.method === "GET" && url.pathname === "/" ? "ListBuckets" : "")
        : form.get("Action") ?? "";
    let input: Record<string, unknown> = {};
    try {
      input = target && body ? (JSON.parse(body) as Record<string, unknown>) : {};
    } catch {
      return jsonError("SerializationException", "the request body is not JSON");
    }
    this.counts.set(action, (this.counts.get(action) ?? 0) + 1);
    const trail = input.Name ?? input.TrailName;
    const call: SimCall = { service, action, region, account: caller, ...(typeof trail === "string" ? { trail } : {}) };
    if (this.record) this.calls.push(call);
    if (this.world.override?.(call, service === "sts" || service === "ec2" ? Object.fromEntries(form) : input, res)) return undefined;

    const hang = this.world.hang ?? [];
    if (hang.includes(action) || hang.includes(`${action}@${region}`) || hang.includes(`@${region}`)) return undefined;
    const account = this.world.account(caller);
    switch (service) {
      case "sts":
        return this.sts(action, form, caller, key);
      case "ec2":
        return this.ec2(action, form, account, caller);
      case "cloudtrail":
        return this.cloudTrail(action, input, region, account, caller);
      case "organizations":
        return this.organizations(action, input, caller);
      case "s3":
        return this.s3(action, url.searchParams, account, caller);
      default:
        return jsonError("UnknownOperationException", `no such service: ${service}`);
    }
  }

  private denied(account: SimAccount | undefined, action: string, region?: string): boolean {
    const deny = account?.deny ?? [];
    return deny.includes(action) || (region !== undefined && deny.includes(`${action}@${region}`));
  }

  private throttle(account: SimAccount | undefined, action: string): boolean {
    const limit = account?.throttle?.[action] ?? 0;
    if (limit === 0) return false;
    const key = `${account?.id}:${action}`;
    const seen = this.throttled.get(key) ?? 0;
    this.throttled.set(key, seen + 1);
    return seen < limit;
  }

  private sts(action: string, form: URLSearchParams, caller: string, key: string): Answer {
    const meta = `<ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata>`;
    if (action === "GetCallerIdentity") {
      const arn = key.startsWith("ASIA")
        ? `arn:aws:sts::${caller}:assumed-role/audit/cis-cloudtrail-check`
        : `arn:aws:iam::${caller}:user/auditor`;
      return new Answer(200, XML_TYPE,
        `<GetCallerIdentityResponse xmlns="${STS_NS}"><GetCallerIdentityResult><Arn>${arn}</Arn>` +
        `<UserId>AIDASIMULATED${caller}</UserId><Account>${caller}</Account></GetCallerIdentityResult>${meta}</GetCallerIdentityResponse>`);
    }
    if (action === "AssumeRole") {
      const roleArn = form.get("RoleArn") ?? "";
      const target = roleArn.split(":")[4] ?? "";
      const account = this.world.account(target);
      if (!account || this.denied(account, "AssumeRole")) {
        return stsError(403, "AccessDenied", `User: arn:aws:iam::${caller}:user/auditor is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
      }
      const session = form.get("RoleSessionName") ?? "session";
      const role = roleArn.split("/").pop() ?? "role";
      const expires = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");
      return new Answer(200, XML_TYPE,
        `<AssumeRoleResponse xmlns="${STS_NS}"><AssumeRoleResult>` +
        `<AssumedRoleUser><Arn>arn:aws:sts::${target}:assumed-role/${xml(role)}/${xml(session)}</Arn>` +
        `<AssumedRoleId>AROASIMULATED${target}:${xml(session)}</AssumedRoleId></AssumedRoleUser>` +
        `<Credentials><AccessKeyId>${accessKeyFor(target, true)}</AccessKeyId><SecretAccessKey>simulated-secret</SecretAccessKey>` +
        `<SessionToken>simulated-session-token-${target}</SessionToken><Expiration>${expires}</Expiration></Credentials>` +
        `<PackedPolicySize>6</PackedPolicySize></AssumeRoleResult>${meta}</AssumeRoleResponse>`);
    }
    return stsError(400, "InvalidAction", `Could not find operation ${action} for version 2011-06-15`);
  }

  private ec2(action: string, form: URLSearchParams, account: SimAccount | undefined, caller: string): Answer {
    if (action !== "DescribeRegions") return ec2Error(400, "InvalidAction", `The action ${action} is not valid for this web service.`);
    if (this.denied(account, "DescribeRegions")) return ec2Error(403, "UnauthorizedOperation", notAuthorized(caller, "ec2:DescribeRegions"));
    if (this.throttle(account, "DescribeRegions")) return ec2Error(503, "RequestLimitExceeded", "Request limit exceeded.");
    const all = form.get("AllRegions") === "true";
    const items = this.world.regions
      .filter((r) => all || r.optIn !== "not-opted-in")
      .map((r) => `<item><regionName>${r.name}</regionName><regionEndpoint>ec2.${r.name}.amazonaws.com</regionEndpoint>` +
        `<optInStatus>${r.optIn}</optInStatus></item>`)
      .join("");
    return new Answer(200, XML_TYPE,
      `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeRegionsResponse xmlns="${EC2_NS}"><requestId>${requestId()}</requestId>` +
      `<regionInfo>${items}</regionInfo></DescribeRegionsResponse>`);
  }

  /** The account's own trails, and its organization's organization trails, seen from `region`. */
  private visibleTrails(account: SimAccount, region: string, shadows: boolean): SimTrail[] {
    const seen = (t: SimTrail) => t.trail.HomeRegion === region || (shadows && t.trail.IsMultiRegionTrail);
    const own = account.trails.filter(seen);
    const org = this.world.organization;
    if (!org || org.managementAccount === account.id || !org.accountIds.includes(account.id)) return own;
    const management = this.world.account(org.managementAccount);
    const shared = (management?.trails ?? []).filter((t) => t.trail.IsOrganizationTrail && (shadows || t.trail.HomeRegion === region) && seen(t));
    return [...own, ...shared];
  }

  private cloudTrail(action: string, input: Record<string, unknown>, region: string, account: SimAccount | undefined, caller: string): Answer {
    if (!account) return jsonError("UnrecognizedClientException", "The security token included in the request is invalid.");
    if (this.denied(account, action, region)) return jsonError("AccessDeniedException", notAuthorized(caller, `cloudtrail:${action}`));
    if (this.throttle(account, action)) return jsonError("ThrottlingException", "Rate exceeded");
    const find = (name: unknown): SimTrail | undefined =>
      this.visibleTrails(account, region, true).find((t) => t.trail.TrailARN === name || (t.trail.Name === name && t.trail.HomeRegion === region));
    switch (action) {
      case "DescribeTrails":
        return jsonAnswer({ trailList: this.visibleTrails(account, region, input.includeShadowTrails !== false).map((t) => t.trail) });
      case "GetTrailStatus": {
        const t = find(input.Name);
        if (!t) return jsonError("TrailNotFoundException", `Unknown trail: ${String(input.Name)} for the user: ${caller}`);
        if (this.denied(account, `${action}#${t.trail.Name}`)) return jsonError("AccessDeniedException", notAuthorized(caller, `cloudtrail:${action}`));
        const started = 1767225600;
        return jsonAnswer(t.isLogging
          ? { IsLogging: true, StartLoggingTime: started, LatestDeliveryTime: started + 3600, LatestDeliveryAttemptTime: "2026-01-01T01:00:00Z", TimeLoggingStarted: "2026-01-01T00:00:00Z" }
          : { IsLogging: false, StartLoggingTime: started, StopLoggingTime: started + 7200, TimeLoggingStarted: "2026-01-01T00:00:00Z", TimeLoggingStopped: "2026-01-01T02:00:00Z" });
      }
      case "GetEventSelectors": {
        const t = find(input.TrailName);
        if (!t) return jsonError("TrailNotFoundException", `Unknown trail: ${String(input.TrailName)} for the user: ${caller}`);
        if (this.denied(account, `${action}#${t.trail.Name}`)) return jsonError("AccessDeniedException", notAuthorized(caller, `cloudtrail:${action}`));
        return jsonAnswer({ TrailARN: t.trail.TrailARN, ...t.selectors });
      }
      default:
        return jsonError("UnknownOperationException", `Unknown operation ${action}`);
    }
  }

  /** ListBuckets, a page at a time (max-buckets, continuation-token), with each bucket's region. */
  private s3(action: string, query: URLSearchParams, account: SimAccount | undefined, caller: string): Answer {
    if (action !== "ListBuckets") return s3Error(405, "MethodNotAllowed", "The specified method is not allowed against this resource.");
    if (!account) return s3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
    if (this.denied(account, action)) return s3Error(403, "AccessDenied", notAuthorized(caller, "s3:ListAllMyBuckets"));
    if (this.throttle(account, action)) return s3Error(503, "SlowDown", "Please reduce your request rate.");
    const all = [...(account.buckets ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    const start = Number(query.get("continuation-token") ?? "0");
    const size = Math.min(Number(query.get("max-buckets") ?? "10000") || 10000, 10000);
    const page = all.slice(start, start + size);
    const next = start + size < all.length ? `<ContinuationToken>${start + size}</ContinuationToken>` : "";
    const buckets = page.map((b) => `<Bucket><Name>${xml(b.name)}</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate>` +
      `<BucketRegion>${b.region}</BucketRegion></Bucket>`).join("");
    return new Answer(200, "application/xml",
      `<?xml version="1.0" encoding="UTF-8"?>\n<ListAllMyBucketsResult xmlns="${S3_NS}"><Owner><ID>${"0".repeat(64)}</ID></Owner>` +
      `<Buckets>${buckets}</Buckets>${next}</ListAllMyBucketsResult>`);
  }

  private organizations(action: string, input: { NextToken?: string; MaxResults?: number }, caller: string): Answer {
    const org = this.world.organization;
    if (action !== "ListAccounts") return jsonError("UnknownOperationException", `Unknown operation ${action}`);
    if (!org) return jsonError("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.");
    if (caller !== org.managementAccount) return jsonError("AccessDeniedException", "You don't have permissions to access this resource.");
    const start = input.NextToken ? Number(Buffer.from(input.NextToken, "base64").toString("utf8")) : 0;
    if (!Number.isInteger(start) || start < 0) return jsonError("InvalidInputException", "The NextToken is not valid.");
    const size = Math.min(input.MaxResults ?? org.pageSize, org.pageSize);
    const ids = org.accountIds.slice(start, start + size);
    const accounts = ids.map((id) => {
      const a = this.world.account(id);
      const state = a?.state ?? "ACTIVE";
      return {
        Id: id,
        Arn: `arn:aws:organizations::${org.managementAccount}:account/${org.id}/${id}`,
        Email: `aws+${id}@example.com`,
        Name: a?.name ?? `account-${id}`,
        Status: state === "ACTIVE" ? "ACTIVE" : state === "SUSPENDED" ? "SUSPENDED" : "PENDING_CLOSURE",
        State: state,
        JoinedMethod: id === org.managementAccount ? "CREATED" : "INVITED",
        JoinedTimestamp: 1735689600,
      };
    });
    const next = start + size < org.accountIds.length ? Buffer.from(String(start + size)).toString("base64") : undefined;
    return jsonAnswer(next ? { Accounts: accounts, NextToken: next } : { Accounts: accounts });
  }
}

/** A trail with AWS's defaults for CreateTrail, then `settings` over them. */
export function simTrail(
  account: string,
  name: string,
  home: string,
  settings: Partial<DescribedTrail> & Partial<Pick<SimTrail, "isLogging" | "selectors">> = {},
): SimTrail {
  const { isLogging, selectors, ...described } = settings;
  const chosen = selectors ?? { EventSelectors: [{ ReadWriteType: "All", IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }] };
  const custom = chosen.AdvancedEventSelectors !== undefined || JSON.stringify(chosen.EventSelectors) !==
    JSON.stringify([{ ReadWriteType: "All", IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }]);
  return {
    trail: {
      Name: name,
      TrailARN: trailArn(account, home, name),
      HomeRegion: home,
      S3BucketName: `cloudtrail-logs-${account}`,
      IsMultiRegionTrail: false,
      IsOrganizationTrail: false,
      IncludeGlobalServiceEvents: true,
      LogFileValidationEnabled: false,
      HasCustomEventSelectors: custom,
      HasInsightSelectors: false,
      ...described,
    },
    isLogging: isLogging ?? true,
    selectors: chosen,
  };
}
