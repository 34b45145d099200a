// An organization's SARIF log: one run for the whole organization, whatever its size (code scanning
// takes at most 20 runs a file, one analysis per tool and category). Each account's results are
// written as the account finishes; the accounts (the run's logical locations) and what could not be
// read (the run's notifications) go to files of their own beside it, joined in at the end, so
// memory stays flat however many accounts there are.

import type { Notification } from "sarif";

import { PolicyInfo } from "../analyzer/types";
import { PreviewReport, redactReport } from "../preview/report";
import { safeJson } from "../preview/safe-text";
import {
  PartialFile, SARIF_SCHEMA, accountLogicalLocation, notJudgedNotices, sarifDriver, sarifResults, taxonomies,
} from "../preview/sarif";
import { AccountResult, OrganizationSummary, organizationExitCode } from "./organization";

/** JSON of a value, its lines indented to sit at `depth` in the log. */
function at(depth: number, value: unknown): string {
  return safeJson(value).replace(/\n/g, `\n${" ".repeat(depth)}`);
}

/** A JSON array written item by item to a partial file. */
class Items {
  count = 0;
  constructor(readonly file: PartialFile, private readonly depth: number) {}

  add(value: unknown): void {
    this.file.write(`${this.count++ === 0 ? "" : ","}\n${" ".repeat(this.depth)}${at(this.depth, value)}`);
  }

  /** Closes the array: a line break before "]" when it holds anything. */
  end(): string {
    return this.count > 0 ? `\n${" ".repeat(this.depth - 2)}` : "";
  }
}

export class OrganizationSarifWriter {
  private readonly log: PartialFile;
  private readonly results: Items;
  private readonly accounts: Items;
  private readonly notices: Items;

  /** Opens FILE.partial at once, so that a file that cannot be written fails before any account is read. */
  constructor(readonly file: string, pack: PreviewReport["policyPack"], policies: PolicyInfo[]) {
    this.log = new PartialFile(file);
    try {
      this.accounts = new Items(new PartialFile(file, ".partial-accounts"), 8);
      this.notices = new Items(new PartialFile(file, ".partial-notifications"), 12);
    } catch (err) {
      this.log.abort();
      throw err;
    }
    this.results = new Items(this.log, 8);
    this.log.write(`{\n  "$schema": ${JSON.stringify(SARIF_SCHEMA)},\n  "version": "2.1.0",\n  "runs": [\n    {\n` +
      `      "tool": ${at(6, { driver: sarifDriver(pack, policies) })},\n` +
      `      "taxonomies": ${at(6, taxonomies(policies))},\n      "results": [`);
  }

  /** Adds an account: its results, its logical location, and what of it could not be read. */
  add(result: AccountResult): void {
    const index = this.accounts.count;
    this.accounts.add(accountLogicalLocation(result.account, result.name || undefined));
    const who = { account: result.account, ...(result.name ? { accountName: result.name } : {}) };
    const label = `account ${result.account}${result.name ? ` (${result.name})` : ""}`;
    if (!result.report) {
      this.notices.add({ level: "error", message: { text: `${label} could not be read: ${result.fault ?? "nothing could be read"}` }, properties: who } satisfies Notification);
      return;
    }
    const report = redactReport(result.report);
    for (const r of sarifResults(report, process.cwd(), index)) this.results.add(r);
    if (report.source.kind === "account") {
      for (const n of notJudgedNotices(report.source, `${label}: `)) this.notices.add({ ...n, properties: who });
    }
  }

  /**
   * Ends the run, its category naming the organization (so that another organization's upload, or the
   * preview's, keeps its own alerts), and puts the log in place. Returns how many results it holds.
   */
  commit(summary: OrganizationSummary, caller: string): number {
    const organization = summary.organization ?? `of-account-${caller}`;
    this.log.write(`${this.results.end()}],\n` +
      `      "automationDetails": ${at(6, {
        id: `check-account/organization/${organization}/`,
        description: { text: `CIS CloudTrail check of every account of AWS Organization ${organization}` },
      })},\n` +
      `      "invocations": [\n        {\n          "executionSuccessful": ${this.notices.count === 0},\n` +
      `          "exitCode": ${organizationExitCode(summary)},\n          "toolExecutionNotifications": [`);
    this.log.append(this.notices.file);
    this.log.write(`${this.notices.end()}]\n        }\n      ],\n      "logicalLocations": [`);
    this.log.append(this.accounts.file);
    const { accounts, complies, fails, notJudged, unreadable } = summary;
    const properties = { source: "organization", organization, accounts, complies, fails, notJudged, unreadable, skipped: summary.skippedCount };
    this.log.write(`${this.accounts.end()}],\n      "properties": ${at(6, properties)}\n    }\n  ]\n}\n`);
    this.log.commit();
    return this.results.count;
  }

  /** Drops the unfinished log and its pieces. */
  abort(): void {
    this.log.abort();
    this.accounts.file.abort();
    this.notices.file.abort();
  }
}
