// The preview command: `npm run preview -- <program dir>` or `npm run preview -- --state <export.json>`.
// Exit status: 0 no mandatory violation, 1 a mandatory violation, 2 the preview could not be made.

import { StringDecoder } from "string_decoder";

import { PolicyConfig } from "../analyzer/types";
import { CliOption, optionsHelp, parseStrict, wantsJson } from "./cli-options";
import { errorMessage, firstLine, PreviewError } from "./errors";
import { defaultPackDir, previewProgram, previewState } from "./index";
import { readPolicyPackConfig } from "./config";
import { errorJson, exitCode, formatText, formatWarnings, PreviewReport, REPORT_KEYS, toJson, warningLines } from "./report";
import { terminalSafe, terminalSafeLines } from "./safe-text";
import { sarifWritten, writeSarif } from "./sarif";
import { exitWhenFlushed, installSignalHandlers } from "../analyzer/process-group";
import { analysisProgress, statusLine } from "./progress";

/** Every option: its value's name (none for a flag) and its help text. --help lists them from here. */
const OPTIONS = {
  stack: {
    value: "<name>",
    help: "Stack whose Pulumi.<name>.yaml config to use (in Pulumi.yaml's stackConfigDir when set; a stack without " +
      'one has no stack config). Default: $PULUMI_STACK, else the only stack file, else "dev"; with several, ' +
      "choose one",
  },
  "secret-config": {
    value: "<file>",
    help: "YAML or JSON file of plaintext values for the stack's secure: config values ({<key>: <value>}, keys " +
      "as in the stack file), which offline cannot decrypt; the program reads them as secrets",
  },
  "policy-pack": { value: "<dir>", help: "Policy pack to run (default: this repository's pack)" },
  "policy-pack-config": {
    value: "<file>",
    help: 'JSON file of {"<policy>": "<level>" | {"enforcementLevel": ..., <options>}}, as for `pulumi preview ' +
      '--policy-pack-config`; "all" sets every level',
  },
  "stack-tag": {
    value: "<name>=<value>",
    multiple: true,
    help: "A stack tag for the pack to see (repeatable); a program's stack also has the CLI's pulumi:project, " +
      "pulumi:runtime and pulumi:description",
  },
  state: { value: "<file>", help: "Audit a `pulumi stack export` file instead of running a program" },
  json: {
    help: `Print a JSON object (${REPORT_KEYS.join(", ")}) instead of text; warnings lists what the preview could not do ` +
      "as `pulumi preview` would (ESC environments, for one)",
  },
  sarif: {
    value: "<file>",
    help: "Also write the violations as SARIF 2.1.0 to <file>, for GitHub code scanning and other SARIF viewers; " +
      "stderr says how many results it holds once it is complete",
  },
  "transpile-only": {
    help: "Do not type-check a TypeScript program, as PULUMI_NODEJS_TRANSPILE_ONLY=true does (the Pulumi CLI " +
      "type-checks unless that or the tsconfig's noCheck says otherwise, and runs no program with type errors)",
  },
  timeout: { value: "<seconds>", help: "Give up on a preview, program or --state, that runs longer (default 300)" },
  help: { short: "h", help: "Print this help" },
} satisfies Record<string, CliOption>;

type OptionName = keyof typeof OPTIONS;

export const USAGE = `Usage:
  npm run -s preview -- [options] <program dir>
  npm run -s preview -- [options] --state <stack export file>

Runs a Pulumi TypeScript or JavaScript program under the SDK's mocks, in preview mode, and sends every
resource it declares through the policy pack over the Analyzer protocol, as \`pulumi preview
--policy-pack\` would. No Pulumi CLI, credentials or cloud account are needed: AWS lookups
(getCallerIdentity, getRegion, getPartition, getAvailabilityZones, iam.getPolicyDocument,
s3.getBucket) answer for account 123456789012, and what a real preview would not know yet (ids,
ARNs, other outputs the provider computes) is unknown, as each provider reports it; names a
provider would generate are left out. Secure config values cannot be decrypted without the stack's
secrets provider: the preview names them before the program runs, and the program reads each as the
secret "[secret]" unless --secret-config gives its plaintext. Pulumi.yaml's config declarations are
checked against the stack's config as the CLI checks them. What the program prints goes to stderr;
the report goes to stdout. A TypeScript program is type-checked as the CLI's ts-node checks it,
meanwhile: with type errors there is no verdict, only the errors (exit 2), since the CLI would not
run it.

With --state, audits a deployed stack instead: Analyze over each resource's recorded inputs and the
stack policies over its recorded outputs (\`pulumi stack export\` output, deployment versions 1
to 4, or a backend checkpoint file).

Options:
${optionsHelp(OPTIONS)}

Exit status: 0 no mandatory violation, 1 at least one mandatory violation, 2 bad input or a failure
(one line on stderr; with --json, also {"error": {"message": ...}} on stdout). Use npm run -s so that
npm's own banner stays out of stdout.
`;

export interface CliOptions {
  program?: string;
  state?: string;
  stack?: string;
  packDir?: string;
  configFile?: string;
  secretConfigFile?: string;
  json: boolean;
  sarif?: string;
  stackTags: Record<string, string>;
  timeoutMs?: number;
  transpileOnly: boolean;
  help: boolean;
}

export function parseArgs(argv: string[]): CliOptions {
  const { values, positionals } = parseStrict(OPTIONS, argv, true);
  const text = (name: OptionName): string | undefined => {
    const value = values[name] as string | undefined;
    if (value === "") {
      throw new PreviewError(`--${name} needs a value (see --help)`);
    }
    return value;
  };
  const opts: CliOptions = {
    json: values.json === true,
    help: values.help === true,
    transpileOnly: values["transpile-only"] === true,
    stackTags: {},
    stack: text("stack"),
    packDir: text("policy-pack"),
    configFile: text("policy-pack-config"),
    secretConfigFile: text("secret-config"),
    state: text("state"),
    sarif: text("sarif"),
  };
  for (const tag of (values["stack-tag"] as string[] | undefined) ?? []) {
    const eq = tag.indexOf("=");
    if (eq <= 0) {
      throw new PreviewError(`--stack-tag needs <name>=<value>, got ${tag}`);
    }
    opts.stackTags[tag.slice(0, eq)] = tag.slice(eq + 1);
  }
  const timeout = text("timeout");
  if (timeout !== undefined) {
    const seconds = Number(timeout);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      throw new PreviewError(`--timeout needs a number of seconds, got ${timeout}`);
    }
    opts.timeoutMs = seconds * 1000;
  }
  if (opts.help) {
    return opts;
  }
  if (opts.state !== undefined) {
    if (positionals.length > 0) {
      throw new PreviewError("give a program directory or --state <file>, not both");
    }
    if (opts.stack !== undefined) {
      throw new PreviewError("--stack applies to programs; a stack export names its own stack");
    }
    if (opts.secretConfigFile !== undefined) {
      throw new PreviewError("--secret-config applies to programs; a stack export holds no encrypted config");
    }
    if (opts.transpileOnly) {
      throw new PreviewError("--transpile-only applies to programs; a stack export has nothing to compile");
    }
  } else if (positionals.length === 0) {
    throw new PreviewError("no program directory given (see --help)");
  } else if (positionals.length > 1) {
    throw new PreviewError(`one program directory at a time, got ${positionals.length}: ${positionals.join(" ")}`);
  } else {
    opts.program = positionals[0];
  }
  return opts;
}

/** Shows "Running program... N resources registered" on a terminal, or now and then for long programs. */
export function progressReporter(stream: NodeJS.WriteStream, every = 100): { update(n: number): void; done(): void } {
  const status = statusLine(stream);
  return {
    update: (n) => status.update(`Running program... ${n} resources registered`, Math.floor(n / every)),
    done: () => status.done(),
  };
}

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream;
}

export { wantsJson };

/** Runs the command; resolves to the exit status. */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let json = wantsJson(argv);
  try {
    const opts = parseArgs(argv);
    json = opts.json;
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
      const programText = new StringDecoder("utf8");
      try {
        report = await previewProgram(opts.program as string, {
          packDir,
          policyConfig,
          policyConfigFile: opts.configFile,
          stackTags: opts.stackTags,
          stack: opts.stack,
          secretConfigFile: opts.secretConfigFile,
          transpileOnly: opts.transpileOnly,
          ...bounds,
          // The project's warnings (secure values it cannot decrypt among them) before the program runs.
          onProject: (project) => io.stderr.write(warningLines(project.warnings)),
          onProgress: (n) => progress.update(n),
          // The program's own lines, with their control characters shown, not obeyed.
          onOutput: (chunk) => io.stderr.write(terminalSafeLines(programText.write(chunk))),
        });
      } finally {
        io.stderr.write(terminalSafeLines(programText.end()));
        progress.done();
        analysis.done();
      }
    }
    if (opts.state !== undefined) {
      io.stderr.write(formatWarnings(report));
    }
    if (opts.sarif !== undefined) io.stderr.write(sarifWritten(opts.sarif, writeSarif(opts.sarif, report)));
    io.stdout.write(opts.json ? toJson(report) : formatText(report));
    return exitCode(report);
  } catch (err) {
    const message = firstLine(err instanceof PreviewError ? err.message : `unexpected failure: ${errorMessage(err)}`);
    const { details, data } = err instanceof PreviewError ? err : { details: [], data: {} };
    io.stderr.write([message, ...details].map((line, i) => `${i === 0 ? "error: " : ""}${terminalSafe(line)}\n`).join(""));
    if (json) {
      io.stdout.write(errorJson(message, data));
    }
    return 2;
  }
}

// Ctrl-C, SIGTERM and SIGHUP end the program's worker and the policy pack, whole process groups.
export { exitWhenFlushed, installSignalHandlers } from "../analyzer/process-group";

if (require.main === module) {
  installSignalHandlers();
  void main(process.argv.slice(2)).then((code) => {
    // Exit once the output is flushed; a policy pack or program never keeps the command alive.
    exitWhenFlushed(code);
  });
}
