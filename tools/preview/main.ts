// The preview command: `npm run preview -- <program dir>` or `npm run preview -- --state <export.json>`.
// Exit status: 0 no mandatory violation, 1 a mandatory violation, 2 the preview could not be made.

import { PolicyConfig } from "../analyzer/types";
import { errorMessage, firstLine, PreviewError } from "./errors";
import { defaultPackDir, previewProgram, previewState } from "./index";
import { readPolicyPackConfig } from "./config";
import { exitCode, formatText, PreviewReport, toJson } from "./report";
import { installSignalHandlers } from "../analyzer/process-group";
import { analysisProgress } from "./progress";

export const USAGE = `Usage:
  npm run preview -- [options] <program dir>
  npm run preview -- [options] --state <stack export file>

Runs a Pulumi TypeScript or JavaScript program under the SDK's mocks, in preview mode, and sends every
resource it declares through the policy pack over the Analyzer protocol, as \`pulumi preview
--policy-pack\` would. No Pulumi CLI, credentials or cloud account are needed: AWS lookups
(getCallerIdentity, getRegion, getPartition, getAvailabilityZones, iam.getPolicyDocument,
s3.getBucket) answer for account 123456789012, and values a real preview would not know yet
(ids, ARNs, names the provider would generate, other computed outputs) are unknown. Secure
config values are not decrypted: the program sees the secret "[secret]". What the program prints
goes to stderr; the report goes to stdout.

With --state, audits a deployed stack instead: Analyze over each resource's recorded inputs and the
stack policies over its recorded outputs (\`pulumi stack export\` output, deployment version 3).

Options:
  --stack <name>                 Stack whose Pulumi.<name>.yaml config to use (default: the only or
                                 first Pulumi.<stack>.yaml, else "dev")
  --policy-pack <dir>            Policy pack to run (default: this repository's pack)
  --policy-pack-config <file>    JSON file of {"<policy>": "<level>" | {"enforcementLevel": ..., <options>}},
                                 as for \`pulumi preview --policy-pack-config\`; "all" sets every level
  --stack-tag <name>=<value>     A stack tag for the pack to see (repeatable); a program's stack also
                                 has the CLI's pulumi:project, pulumi:runtime and pulumi:description
  --json                         Print a JSON object (source, policyPack, resources, diagnostics,
                                 remediations, summary) instead of text
  --timeout <seconds>            Give up on a preview, program or --state, that runs longer (default 300)
  -h, --help                     Print this help

Exit status: 0 no mandatory violation, 1 at least one mandatory violation, 2 bad input or a failure.
`;

export interface CliOptions {
  program?: string;
  state?: string;
  stack?: string;
  packDir?: string;
  configFile?: string;
  json: boolean;
  stackTags: Record<string, string>;
  timeoutMs?: number;
  help: boolean;
}

const VALUE_FLAGS = new Set(["--stack", "--stack-tag", "--policy-pack", "--policy-pack-config", "--state", "--timeout"]);

export function parseArgs(argv: string[]): CliOptions {
  const opts: CliOptions = { json: false, help: false, stackTags: {} };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg === "-h" || arg === "--help") {
      opts.help = true;
      continue;
    }
    if (arg === "--json") {
      opts.json = true;
      continue;
    }
    if (arg.startsWith("-")) {
      const eq = arg.indexOf("=");
      const flag = eq > 0 ? arg.slice(0, eq) : arg;
      if (!VALUE_FLAGS.has(flag)) {
        throw new PreviewError(`unknown option ${flag} (see --help)`);
      }
      let value: string | undefined;
      if (eq > 0) {
        value = arg.slice(eq + 1);
      } else {
        value = argv[++i];
        if (value === undefined || (value.startsWith("-") && value !== "-")) {
          throw new PreviewError(`${flag} needs a value (see --help)`);
        }
      }
      if (value === "") {
        throw new PreviewError(`${flag} needs a value (see --help)`);
      }
      switch (flag) {
        case "--stack":
          opts.stack = value;
          break;
        case "--stack-tag": {
          const eq = value.indexOf("=");
          if (eq <= 0) {
            throw new PreviewError(`--stack-tag needs <name>=<value>, got ${value}`);
          }
          opts.stackTags[value.slice(0, eq)] = value.slice(eq + 1);
          break;
        }
        case "--policy-pack":
          opts.packDir = value;
          break;
        case "--policy-pack-config":
          opts.configFile = value;
          break;
        case "--state":
          opts.state = value;
          break;
        case "--timeout": {
          const seconds = Number(value);
          if (!Number.isFinite(seconds) || seconds <= 0) {
            throw new PreviewError(`--timeout needs a number of seconds, got ${value}`);
          }
          opts.timeoutMs = seconds * 1000;
          break;
        }
      }
      continue;
    }
    positional.push(arg);
  }
  if (opts.help) {
    return opts;
  }
  if (opts.state !== undefined) {
    if (positional.length > 0) {
      throw new PreviewError("give a program directory or --state <file>, not both");
    }
    if (opts.stack !== undefined) {
      throw new PreviewError("--stack applies to programs; a stack export names its own stack");
    }
  } else if (positional.length === 0) {
    throw new PreviewError("no program directory given (see --help)");
  } else if (positional.length > 1) {
    throw new PreviewError(`one program directory at a time, got ${positional.length}: ${positional.join(" ")}`);
  } else {
    opts.program = positional[0];
  }
  return opts;
}

/** Shows "Running program... N resources registered" on a terminal, or now and then for long programs. */
export function progressReporter(stream: NodeJS.WriteStream, every = 100): { update(n: number): void; done(): void } {
  const tty = Boolean(stream.isTTY);
  let shown = false;
  let lastWrite = 0;
  let lastStep = 0;
  return {
    update(n: number) {
      if (tty) {
        const now = Date.now();
        if (now - lastWrite >= 100) {
          lastWrite = now;
          shown = true;
          stream.write(`\rRunning program... ${n} resources registered`);
        }
      } else if (Math.floor(n / every) > lastStep) {
        lastStep = Math.floor(n / every);
        stream.write(`Running program... ${n} resources registered\n`);
      }
    },
    done() {
      if (tty && shown) {
        stream.write("\r\x1b[K");
      }
    },
  };
}

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

/** Runs the command; resolves to the exit status. */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  try {
    const opts = parseArgs(argv);
    if (opts.help) {
      io.stdout.write(USAGE);
      return 0;
    }
    let policyConfig: Record<string, PolicyConfig> | undefined;
    if (opts.configFile !== undefined) {
      policyConfig = readPolicyPackConfig(opts.configFile);
    }
    const packDir = opts.packDir ?? defaultPackDir();
    let report: PreviewReport;
    const analysis = analysisProgress(io.stderr);
    const bounds = { timeoutMs: opts.timeoutMs, onAnalyzeProgress: (n: number, total: number) => analysis.update(n, total) };
    if (opts.state !== undefined) {
      try {
        report = await previewState(opts.state, { packDir, policyConfig, policyConfigFile: opts.configFile, stackTags: opts.stackTags, ...bounds });
      } finally {
        analysis.done();
      }
    } else {
      const progress = progressReporter(io.stderr);
      try {
        report = await previewProgram(opts.program as string, {
          packDir,
          policyConfig,
          policyConfigFile: opts.configFile,
          stackTags: opts.stackTags,
          stack: opts.stack,
          ...bounds,
          onProgress: (n) => progress.update(n),
          onOutput: (chunk) => io.stderr.write(chunk),
        });
      } finally {
        progress.done();
        analysis.done();
      }
    }
    for (const w of report.warnings) {
      io.stderr.write(`warning: ${w}\n`);
    }
    io.stdout.write(opts.json ? toJson(report) : formatText(report));
    return exitCode(report);
  } catch (err) {
    const message = err instanceof PreviewError ? err.message : `unexpected failure: ${errorMessage(err)}`;
    io.stderr.write(`error: ${firstLine(message)}\n`);
    return 2;
  }
}

// Ctrl-C, SIGTERM and SIGHUP end the program's worker and the policy pack, whole process groups.
export { installSignalHandlers } from "../analyzer/process-group";

if (require.main === module) {
  installSignalHandlers();
  void main(process.argv.slice(2)).then((code) => {
    // Exit once the output is flushed; a policy pack or program never keeps the command alive.
    process.stdout.write("", () => process.exit(code));
  });
}
