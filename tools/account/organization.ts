// Every account of an AWS Organization: listed page by page from the management (or a delegated
// administrator) account, each checked as role NAME with bounded concurrency, each result handed on
// as soon as it is known and then dropped, so memory stays flat however many accounts there are.

import { Account, ListAccountsCommand, OrganizationsClient } from "@aws-sdk/client-organizations";

import { PreviewReport, exitCode } from "../preview/report";
import { awsError, isAccountId, shownValue } from "../../live-account/bounds";
import { AccountClients, Identity, Session } from "../../live-account/clients";
import { Limiter } from "../../live-account/limit";
import { TrailDetailsCache } from "../../live-account/trails";
import { Judge, Verdict, VERDICTS, judgeAccount } from "./check";
import { guardedPages } from "./paging";
import { readAccount } from "./read";

export interface AccountResult {
  account: string;
  name: string;
  verdict: Verdict;
  exitCode: number;
  /** The pack's report, when anything of the account could be read. */
  report?: PreviewReport;
  /** Why nothing could be read (the role could not be assumed, every region refused). */
  fault?: string;
}

/** The keys of an account's entry in the JSON stream, in order: the stream is made from this list, and --help lists it. */
export const ACCOUNT_RESULT_KEYS = ["account", "name", "verdict", "exitCode", "report", "fault"] as const satisfies readonly (keyof AccountResult)[];

export interface OrganizationSummary {
  /** The organization's ID (o-...), from its accounts' ARNs. */
  organization?: string;
  accounts: number;
  complies: number;
  fails: number;
  notJudged: number;
  unreadable: number;
  /** Accounts not ACTIVE (suspended, pending closure): not checked. */
  skippedCount: number;
  /** The first SKIPPED_SAMPLE of them. */
  skipped: { account: string; name: string; status: string }[];
  calls: number;
}

/** How many skipped accounts are kept to be named; the rest are counted only. */
export const SKIPPED_SAMPLE = 20;
/** The most accounts a listing may hold: far beyond the largest organizations AWS reports. */
export const DEFAULT_MAX_ACCOUNTS = 100_000;
/** ListAccounts answers at most 20 accounts a page, and may answer fewer: room for pages half full. */
const PAGES_PER_ACCOUNT = 1 / 10;

export interface OrganizationOptions {
  roleName: string;
  /** The most accounts the listing may hold (--max-accounts). */
  maxAccounts: number;
  regions: string[];
  concurrency: number;
  limiter: Limiter;
  onAccount(result: AccountResult): void;
  onProgress?(done: number, listed: number, summary: OrganizationSummary): void;
}

function statusOf(a: Account): string {
  return String(a.State ?? a.Status ?? "ACTIVE");
}

export async function checkAccount(
  clients: AccountClients,
  judge: Judge,
  account: string,
  name: string,
  options: { regions: string[]; limiter: Limiter; orgTrails?: TrailDetailsCache },
): Promise<{ result: AccountResult; calls: number }> {
  const read = await readAccount(clients, { account, regions: options.regions, limiter: options.limiter, orgTrails: options.orgTrails });
  if (!read.listed) {
    const fault = read.faults.map((f) => `${f.what}: ${f.why}`).join("; ") || "no region could be read";
    return { result: { account, name, verdict: "unreadable", exitCode: 2, fault }, calls: read.calls };
  }
  const report = await judgeAccount(judge, read, name || undefined);
  const code = exitCode(report);
  return { result: { account, name, verdict: VERDICTS[code], exitCode: code, report }, calls: read.calls };
}

/** 1 if any account fails; else 3 if any was not judged (2 if none could be read at all); else 0. */
export function organizationExitCode(s: OrganizationSummary): number {
  if (s.fails > 0) return 1;
  if (s.complies + s.notJudged === 0) return 2;
  if (s.notJudged + s.unreadable > 0) return 3;
  return 0;
}

export async function checkOrganization(session: Session, caller: Identity, judge: Judge, options: OrganizationOptions): Promise<OrganizationSummary> {
  const summary: OrganizationSummary = { accounts: 0, complies: 0, fails: 0, notJudged: 0, unreadable: 0, skippedCount: 0, skipped: [], calls: 0 };
  const orgTrails = new TrailDetailsCache();
  const inFlight = new Set<Promise<void>>();
  let listed = 0;
  let done = 0;
  let fatal: unknown;

  const count = (result: AccountResult) => {
    summary.accounts++;
    if (result.verdict === "complies") summary.complies++;
    else if (result.verdict === "fails") summary.fails++;
    else if (result.verdict === "not judged") summary.notJudged++;
    else summary.unreadable++;
    done++;
    options.onAccount(result);
    options.onProgress?.(done, listed, summary);
  };

  const one = async (account: Account): Promise<void> => {
    const id = account.Id as string;
    const name = account.Name ?? "";
    let result: AccountResult;
    let clients: AccountClients | undefined;
    try {
      clients = id === caller.account ? session.own() : await session.assume(id, caller.partition, options.roleName);
      const checked = await checkAccount(clients, judge, id, name, { regions: options.regions, limiter: options.limiter, orgTrails });
      summary.calls += checked.calls;
      result = checked.result;
    } catch (err) {
      // The role could not be assumed: nothing of the account was read. A pack failure is not caught here.
      if (clients) throw err;
      summary.calls++;
      result = { account: id, name, verdict: "unreadable", exitCode: 2, fault: `cannot assume role ${options.roleName}: ${awsError(err)}` };
    } finally {
      clients?.close();
    }
    count(result);
  };

  const organizations = session.bounds.make(OrganizationsClient, session.region, session.credentials);
  const limits = { items: options.maxAccounts, pages: Math.ceil(options.maxAccounts * PAGES_PER_ACCOUNT) + 1, option: "--max-accounts" };
  const pages = guardedPages("organizations:ListAccounts", limits, async (NextToken) => {
    summary.calls++;
    const out = await organizations.send(new ListAccountsCommand({ NextToken }));
    return { items: out.Accounts ?? [], next: out.NextToken };
  });
  try {
    for await (const page of pages) {
      for (const account of page) {
        if (!isAccountId(account.Id)) {
          // Never judged, never made into a role ARN; shown escaped.
          listed++;
          count({ account: shownValue(account.Id), name: account.Name ?? "", verdict: "unreadable", exitCode: 2,
            fault: `organizations:ListAccounts listed ${shownValue(account.Id)} as an account ID, which is not 12 digits` });
          continue;
        }
        summary.organization ??= /:account\/(o-[a-z0-9]{10,32})\//.exec(account.Arn ?? "")?.[1];
        const status = statusOf(account);
        if (status !== "ACTIVE") {
          summary.skippedCount++;
          if (summary.skipped.length < SKIPPED_SAMPLE) summary.skipped.push({ account: account.Id, name: account.Name ?? "", status });
          continue;
        }
        listed++;
        while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
        if (fatal) throw fatal;
        const task: Promise<void> = one(account)
          .catch((err) => {
            fatal ??= err;
          })
          .finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
    }
  } finally {
    organizations.destroy();
    // A listing that failed half-way still lets the accounts already started finish.
    await Promise.all(inFlight);
  }
  if (fatal) throw fatal;
  return summary;
}
