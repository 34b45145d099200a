// What check-account prints besides the reports: progress while AWS calls wait and while an
// organization is checked, account headings, the organization's summary, and its JSON stream.

import { CallBounds } from "../../live-account/bounds";
import { statusLine } from "../preview/progress";
import { PreviewReport, reportJson } from "../preview/report";
import { safeJson, terminalSafe } from "../preview/safe-text";
import { ACCOUNT_RESULT_KEYS, AccountResult, OrganizationSummary, SKIPPED_SAMPLE } from "./organization";

/** Calls waiting longer than this show on the progress line. */
const SHOW_WAITS_AFTER_MS = 2000;

/**
 * While AWS calls are outstanding: "Waiting for AWS: 2 calls outstanding, the oldest CloudTrail
 * DescribeTrails in eu-west-3 for 12s (40 answered)", on a terminal in place, elsewhere once and
 * then at most every 5 s.
 */
export function waitingLine(stream: NodeJS.WriteStream, bounds: CallBounds): { done(): void } {
  const status = statusLine(stream);
  const started = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const oldest = [...bounds.pending].sort((a, b) => a.since - b.since)[0];
    if (!oldest || now - oldest.since < SHOW_WAITS_AFTER_MS) return;
    const n = bounds.pending.size;
    status.update(`Waiting for AWS: ${n} ${n === 1 ? "call" : "calls"} outstanding, the oldest ${oldest.what} for ` +
      `${Math.round((now - oldest.since) / 1000)}s (${bounds.answered} answered)`, 1 + Math.floor((now - started) / 5000));
  }, 500);
  timer.unref();
  return {
    done() {
      clearInterval(timer);
      status.done();
    },
  };
}

/** "Checked 12 of 40 accounts" on a terminal, in place; elsewhere a line per tenth of the way. */
export function progressLine(stream: NodeJS.WriteStream): { update(done: number, listed: number, s: OrganizationSummary): void; done(): void } {
  const status = statusLine(stream);
  return {
    update(done, listed, s) {
      const line = `Checked ${done} of ${listed} accounts listed so far (${s.fails} fail, ${s.notJudged + s.unreadable} not judged or unreadable)`;
      status.update(line, Math.floor((done * 10) / Math.max(listed, 1)), done === listed);
    },
    done: () => status.done(),
  };
}

/** An account as a heading names it: the name is the one its admin set in Organizations, shown escaped. */
export function accountLabel(account: string, name: string): string {
  return `${terminalSafe(account)}${name ? ` (${terminalSafe(name)})` : ""}`;
}

export function summaryText(s: OrganizationSummary): string {
  const lines = [
    `Organization: ${s.accounts} accounts checked: ${s.complies} comply, ${s.fails} fail, ${s.notJudged} not judged, ` +
    `${s.unreadable} could not be read`,
  ];
  for (const k of s.skipped) lines.push(`    skipped ${accountLabel(k.account, k.name)}: ${terminalSafe(k.status)}`);
  if (s.skippedCount > s.skipped.length) {
    lines.push(`    skipped ${(s.skippedCount - s.skipped.length).toLocaleString("en")} more accounts not ACTIVE (the first ${SKIPPED_SAMPLE} are named)`);
  }
  return lines.join("\n") + "\n";
}

/** An account's result as the JSON stream shows it: the keys of ACCOUNT_RESULT_KEYS, its report redacted, every character printable. */
export function resultJson(result: AccountResult): string {
  const shown = ACCOUNT_RESULT_KEYS.filter((k) => result[k] !== undefined)
    .map((k) => [k, k === "report" ? reportJson(result.report as PreviewReport) : result[k]]);
  return safeJson(Object.fromEntries(shown), 0);
}
