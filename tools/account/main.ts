// `npm run check-account`: judges a live AWS account, or every account of an AWS Organization, with
// the policy pack. Exit status: 0 shown to comply, 1 a mandatory policy fails, 3 not judged (something
// could not be read and nothing read fails), 2 bad input or nothing could be read at all.

import { PolicyPackClient } from "../analyzer/client";
import { exitWhenFlushed, installSignalHandlers } from "../analyzer/process-group";
import { PolicyConfig } from "../analyzer/types";
import { checkPackDir, startPack } from "../preview/analyze";
import { readPolicyPackConfig } from "../preview/config";
import { CliOption, optionsHelp, parseStrict, wantsJson } from "../preview/cli-options";
import { PreviewError, errorMessage, firstLine } from "../preview/errors";
import { defaultPackDir } from "../preview/index";
import { ACCOUNT_REPORT_KEYS, errorJson, exitCode, formatText, formatWarnings, toJson } from "../preview/report";
import { safeJson, terminalSafe } from "../preview/safe-text";
import { sarifWritten, writeSarif } from "../preview/sarif";
import { AccountInputError, CallBounds, DEFAULT_CALL_LIMITS, awsError, isCredentialsError, isRegionName } from "../../live-account/bounds";
import { Identity, Session } from "../../live-account/clients";
import { Limiter, untilAborted } from "../../live-account/limit";
import { Judge, judgeAccount } from "./check";
import {
  ACCOUNT_RESULT_KEYS, DEFAULT_MAX_ACCOUNTS, OrganizationSummary, checkOrganization, organizationExitCode,
} from "./organization";
import { accountLabel, progressLine, resultJson, summaryText, waitingLine } from "./output";
import { OrganizationSarifWriter } from "./sarif";
import { readAccount } from "./read";

export const DEFAULT_CONCURRENCY = 8;
const MAX_CONCURRENCY = 64;
/** The whole run's default time limit, seconds. */
export const DEFAULT_TIMEOUT = 600;
/** A connection takes at most this long, or the call's limit when that is shorter. */
const CONNECT_MS = DEFAULT_CALL_LIMITS.connectMs;

/** Every option: its value's name (none for a flag) and its help text. --help lists them from here. */
const OPTIONS = {
  profile: { value: "<name>", help: "AWS profile to use, as AWS_PROFILE=<name> does (default: AWS_PROFILE, else the default profile)" },
  region: { value: "<name>", multiple: true, help: "Check only this region (repeatable; default: every enabled region)" },
  organization: { help: "Check every ACTIVE account of the caller's organization" },
  "role-name": { value: "<name>", help: "With --organization: the role to assume in each member account, e.g. OrganizationAccountAccessRole" },
  "max-accounts": {
    value: "<n>",
    help: `With --organization: stop with an error once the listing holds more than n accounts, or takes more than n/10 pages ` +
      `(default ${DEFAULT_MAX_ACCOUNTS.toLocaleString("en")})`,
  },
  concurrency: { value: "<n>", help: `At most n AWS calls, and n accounts, at once (default ${DEFAULT_CONCURRENCY}, 1 to ${MAX_CONCURRENCY})` },
  "call-timeout": {
    value: "<seconds>",
    help: `Give up on one attempt at an AWS call after this long, connecting (at most ${CONNECT_MS / 1000}s) included; ` +
      `the SDK's standard retries try it again, 3 attempts in all (default ${DEFAULT_CALL_LIMITS.answerMs / 1000})`,
  },
  timeout: { value: "<seconds>", help: `Give up on the whole check after this long (default ${DEFAULT_TIMEOUT})` },
  "policy-pack": { value: "<dir>", help: "Policy pack to run (default: this repository's pack)" },
  "policy-pack-config": {
    value: "<file>",
    help: 'JSON file of {"<policy>": "<level>" | {"enforcementLevel": ..., <options>}}, as for `pulumi preview --policy-pack-config`',
  },
  json: {
    help: `Print a JSON object (${ACCOUNT_REPORT_KEYS.join(", ")}) instead of text; with --organization ` +
      `{caller, accounts: [{${ACCOUNT_RESULT_KEYS.join(", ")}}], summary}, written account by account; ` +
      'an exit-2 error is then {"error": {"message": ...}}',
  },
  sarif: {
    value: "<file>",
    help: "Also write the violations as SARIF 2.1.0 to <file>: one run for the account, or with --organization " +
      "one run for the organization, written account by account to <file>.partial and renamed to <file> once " +
      "complete; stderr then says how many results it holds",
  },
  help: { short: "h", help: "Print this help" },
} satisfies Record<string, CliOption>;

type OptionName = keyof typeof OPTIONS;

export const USAGE = `Usage:
  npm run check-account -- [options]
  npm run check-account -- --organization --role-name <name> [options]

Reads the CloudTrail trails of a live AWS account (DescribeTrails in every enabled region, then
GetTrailStatus and GetEventSelectors for each trail in its home region), turns each into the
aws:cloudtrail/trail:Trail resource the Pulumi AWS provider would read back, and sends the account
through the policy pack over the Analyzer protocol, as the offline preview sends a program. Uses the
AWS SDK's standard configuration: the default credential chain (environment, AWS_PROFILE, SSO,
config and credentials files, instance roles), the configured region, and AWS_ENDPOINT_URL,
AWS_ENDPOINT_URL_<SERVICE> or a profile's endpoint_url. Makes no change to the account.

With --organization, lists the organization's accounts from the management account or a delegated
administrator, assumes --role-name in each (the caller's own account is read as the caller), and
checks them with bounded concurrency, printing each account's verdict as it is known.

Every AWS call is bounded: each attempt by --call-timeout (the SDK's standard retries make 3), the
whole run by --timeout. A call that times out is named under "Not judged" with its endpoint and
the limit; stderr says which calls are still waiting when one takes more than two seconds.

Options:
${optionsHelp(OPTIONS)}

Exit status: 0 every account checked is shown to comply; 1 a mandatory policy fails; 3 the verdict
depends on something that could not be read (named under "Not judged") and nothing read fails;
2 bad input, no credentials, or nothing could be read at all.
`;

export interface CliOptions {
  profile?: string;
  regions: string[];
  organization: boolean;
  roleName?: string;
  concurrency: number;
  maxAccounts: number;
  callTimeoutMs: number;
  timeoutMs: number;
  packDir?: string;
  configFile?: string;
  json: boolean;
  sarif?: string;
  help: boolean;
}

/** A --timeout style value in milliseconds; undefined when not given. */
function seconds(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new PreviewError(`--${option} needs a number of seconds, got "${value}"`);
  return n * 1000;
}

export function parseArgs(argv: string[]): CliOptions {
  const { values } = parseStrict(OPTIONS, argv, false);
  const text = (key: OptionName): string | undefined => {
    const v = values[key] as string | undefined;
    if (v !== undefined && v.trim() === "") throw new PreviewError(`--${key} needs a value (see --help)`);
    return v;
  };
  const opts: CliOptions = {
    profile: text("profile"),
    regions: [...new Set((values.region as string[] | undefined) ?? [])],
    organization: values.organization === true,
    roleName: text("role-name"),
    concurrency: DEFAULT_CONCURRENCY,
    maxAccounts: DEFAULT_MAX_ACCOUNTS,
    callTimeoutMs: seconds(text("call-timeout"), "call-timeout") ?? DEFAULT_CALL_LIMITS.answerMs,
    timeoutMs: seconds(text("timeout"), "timeout") ?? DEFAULT_TIMEOUT * 1000,
    packDir: text("policy-pack"),
    configFile: text("policy-pack-config"),
    json: values.json === true,
    sarif: text("sarif"),
    help: values.help === true,
  };
  if (opts.help) return opts;
  for (const r of opts.regions) {
    if (!isRegionName(r)) throw new PreviewError(`--region needs a region name such as eu-west-1, got "${r}"`);
  }
  const concurrency = text("concurrency");
  if (concurrency !== undefined) {
    const n = Number(concurrency);
    if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
      throw new PreviewError(`--concurrency needs a whole number from 1 to ${MAX_CONCURRENCY}, got "${concurrency}"`);
    }
    opts.concurrency = n;
  }
  const maxAccounts = text("max-accounts");
  if (maxAccounts !== undefined) {
    const n = Number(maxAccounts);
    if (!Number.isSafeInteger(n) || n < 1) throw new PreviewError(`--max-accounts needs a whole number of at least 1, got "${maxAccounts}"`);
    if (!opts.organization) throw new PreviewError("--max-accounts applies to --organization only");
    opts.maxAccounts = n;
  }
  if (opts.organization && opts.roleName === undefined) {
    throw new PreviewError("--organization needs --role-name <role to assume in each account> (see --help)");
  }
  if (!opts.organization && opts.roleName !== undefined) {
    throw new PreviewError("--role-name applies to --organization only");
  }
  if (opts.roleName !== undefined && !/^[\w+=,.@/-]{1,64}$/.test(opts.roleName)) {
    throw new PreviewError(`--role-name needs an IAM role name, got "${opts.roleName}"`);
  }
  return opts;
}

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

async function callerIdentity(session: Session): Promise<Identity> {
  try {
    return await session.identity();
  } catch (err) {
    if (err instanceof AccountInputError) throw new PreviewError(err.message);
    if (isCredentialsError(err)) {
      throw new PreviewError(`no AWS credentials: ${awsError(err)} (set AWS_PROFILE, use --profile, or run aws sso login)`);
    }
    throw new PreviewError(`cannot identify the caller (sts:GetCallerIdentity): ${awsError(err)}`);
  }
}

/**
 * How an exit-2 error reaches stdout with --json: an object of its own, or, once an organization's
 * stream has started, the stream's closing "error" member, so stdout stays one JSON object.
 */
interface ErrorOutput {
  json?: (message: string) => string;
}

async function runOrganization(
  session: Session, caller: Identity, judge: Judge, opts: CliOptions, io: Io, errors: ErrorOutput, progressNote: { accounts: string },
): Promise<number> {
  const progress = progressLine(io.stderr);
  let first = true;
  let sarif: OrganizationSarifWriter | undefined;
  try {
    if (opts.sarif !== undefined) {
      // Opened before the first account is read, so that a file that cannot be written fails at once.
      const info = await judge.turn.run(() => judge.client.getAnalyzerInfo());
      const pack = { name: info.name, displayName: info.displayName, version: info.version, dir: judge.dir };
      sarif = new OrganizationSarifWriter(opts.sarif, pack, info.policies);
    }
    if (opts.json) {
      io.stdout.write(`{\n"caller": ${safeJson(caller, 0)},\n"accounts": [\n`);
      errors.json = (message) => `\n],\n"error": ${safeJson({ message }, 0)}\n}\n`;
    }
    let summary: OrganizationSummary;
    try {
      summary = await checkOrganization(session, caller, judge, {
        roleName: opts.roleName as string,
        maxAccounts: opts.maxAccounts,
        regions: opts.regions,
        concurrency: opts.concurrency,
        limiter: new Limiter(opts.concurrency, judge.stop),
        onAccount(result) {
          progress.done();
          if (result.report) io.stderr.write(formatWarnings(result.report));
          if (opts.json) {
            io.stdout.write(`${first ? "" : ",\n"}${resultJson(result)}`);
          } else {
            io.stdout.write(`Account ${accountLabel(result.account, result.name)}: ${result.verdict}\n`);
            io.stdout.write(result.report ? formatText(result.report) + "\n" : `    ${terminalSafe(result.fault ?? "")}\n\n`);
          }
          sarif?.add(result);
          first = false;
        },
        onProgress: (done, listed, s) => {
          progressNote.accounts = `${done} of ${listed} accounts checked, `;
          progress.update(done, listed, s);
        },
      });
    } catch (err) {
      throw err instanceof PreviewError ? err : new PreviewError(`checking the organization failed: ${awsError(err)}`);
    } finally {
      progress.done();
    }
    if (sarif) io.stderr.write(sarifWritten(sarif.file, sarif.commit(summary, caller.account), summary.accounts));
    if (opts.json) {
      io.stdout.write(`\n],\n"summary": ${safeJson({ ...summary, exitCode: organizationExitCode(summary) }, 0)}\n}\n`);
    } else {
      io.stdout.write(summaryText(summary));
    }
    return organizationExitCode(summary);
  } catch (err) {
    sarif?.abort();
    throw err;
  }
}

/** A pack already started (by a caller checking many accounts in turn), used and left running. */
export interface StartedPack {
  client: PolicyPackClient;
  dir: string;
}

/** Runs the command; resolves to the exit status. */
export async function main(
  argv: string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
  started?: StartedPack,
): Promise<number> {
  let starting: Promise<PolicyPackClient> | undefined;
  const errors: ErrorOutput = { json: wantsJson(argv) ? errorJson : undefined };
  const deadline = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    const opts = parseArgs(argv);
    if (opts.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    let config: Record<string, PolicyConfig> | undefined;
    if (opts.configFile !== undefined) config = readPolicyPackConfig(opts.configFile);
    const bounds = new CallBounds({ connectMs: Math.min(CONNECT_MS, opts.callTimeoutMs), answerMs: opts.callTimeoutMs });
    const progress = { accounts: "" };
    timer = setTimeout(() => deadline.abort(new PreviewError(
      `the check did not finish within the ${opts.timeoutMs / 1000}s time limit (--timeout): ` +
      `${progress.accounts}${bounds.answered} AWS calls answered, ${bounds.pending.size} outstanding`)), opts.timeoutMs);
    let pack: Promise<StartedPack>;
    if (started) {
      pack = Promise.resolve(started);
    } else {
      // The pack starts while AWS is read: it takes a second or two to load its SDK.
      pack = startPack(checkPackDir(opts.packDir ?? defaultPackDir()));
      starting = pack.then((p) => p.client);
      starting.catch(() => undefined);
    }

    // As for the AWS CLI, --profile is AWS_PROFILE: every SDK setting (credentials, region,
    // endpoint_url) then comes from that profile.
    if (opts.profile !== undefined) process.env.AWS_PROFILE = opts.profile;
    const waiting = opts.organization ? undefined : waitingLine(io.stderr, bounds);
    try {
      return await untilAborted((async () => {
        const session = await Session.open(opts.regions, bounds);
        const caller = await callerIdentity(session);
        const { client, dir } = await pack;
        const judge: Judge = {
          client, dir, config, configFile: opts.configFile, organization: "aws", turn: new Limiter(1, deadline.signal), stop: deadline.signal,
        };

        if (opts.organization) return await runOrganization(session, caller, judge, opts, io, errors, progress);

        const clients = session.own();
        try {
          const read = await readAccount(clients, { account: caller.account, regions: opts.regions, limiter: new Limiter(opts.concurrency, deadline.signal) });
          if (!read.listed) {
            const why = read.faults.map((f) => `${f.what}: ${f.why}`).join("; ");
            throw new PreviewError(`nothing could be read in account ${caller.account}: ${why}`);
          }
          const report = await judgeAccount(judge, read);
          waiting?.done();
          io.stderr.write(formatWarnings(report));
          if (opts.sarif !== undefined) io.stderr.write(sarifWritten(opts.sarif, writeSarif(opts.sarif, report)));
          io.stdout.write(opts.json ? toJson(report) : formatText(report));
          return exitCode(report);
        } finally {
          clients.close();
        }
      })(), deadline.signal);
    } finally {
      waiting?.done();
    }
  } catch (err) {
    const message = firstLine(err instanceof PreviewError || err instanceof AccountInputError ? err.message : `unexpected failure: ${errorMessage(err)}`);
    io.stderr.write(`error: ${terminalSafe(message)}\n`);
    if (errors.json) io.stdout.write(errors.json(message));
    return 2;
  } finally {
    clearTimeout(timer);
    // Whatever is still under way fails at its next step instead of starting more calls.
    deadline.abort();
    if (starting) {
      await starting.then((c) => c.close(), () => undefined);
    }
  }
}

/**
 * The command as run from a shell or `npm run`: an interrupt, or the end of whatever started it,
 * stops the pack before exiting, so no process is left behind.
 */
export function runCli(argv: string[]): void {
  installSignalHandlers("the policy pack");
  void main(argv).then(exitWhenFlushed);
}

if (require.main === module) {
  runCli(process.argv.slice(2));
}
