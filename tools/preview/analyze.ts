// Sends resources through a policy pack the way the engine does during a preview: Remediate then
// Analyze for each resource (inputs), then AnalyzeStack once over every resource (outputs).

import * as fs from "fs";
import * as path from "path";

import * as grpc from "@grpc/grpc-js";

import { AnalyzerCallError, PolicyPackClient, reconcileConfig, startPolicyPack } from "../analyzer/client";
import { AnalyzerInfo, Diagnostic, EnforcementLevel, PolicyConfig } from "../analyzer/types";
import { checkPolicyPackConfig } from "./config";
import { PreviewError, errorMessage, firstLine } from "./errors";
import { PreviewResource, rootStackUrn, toAnalyzerResource } from "./resources";
import { collectResourceSecrets } from "./safe-text";

export interface PolicyRunOptions {
  packDir: string;
  /** The --policy-pack-config file's contents, and its name for messages. */
  config?: Record<string, PolicyConfig>;
  configFile?: string;
  stack: string;
  project: string;
  organization: string;
  tags?: Record<string, string>;
  /**
   * Whether remediated inputs replace the originals before Analyze, as in a preview. An audit of
   * deployed state only reports what would change, as `pulumi policy analyze` does.
   */
  applyRemediations: boolean;
  /** The run's time limit: every call must be answered by the deadline (epoch milliseconds). */
  timeLimit?: TimeLimit;
  /** Called now and then with the resources analyzed so far and the total to analyze. */
  onProgress?(analyzed: number, total: number): void;
}

export interface TimeLimit {
  deadline: number;
  /** The limit as given, for messages. */
  seconds: number;
}

/** Resources whose Remediate and Analyze calls are in flight at once: replies arrive without a pause. */
const IN_FLIGHT = 8;

export interface ReportedDiagnostic extends Diagnostic {
  /** Analyze (one resource's inputs) or AnalyzeStack (all outputs). */
  stage: "resource" | "stack";
}

export interface ReportedRemediation {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  description: string;
  urn: string;
  /** The new inputs. */
  properties: Record<string, unknown>;
  /** Top-level inputs the remediation adds, changes or removes. */
  changed: string[];
  applied: boolean;
}

export interface PolicyRun {
  pack: { name: string; displayName: string; version: string; dir: string };
  info: AnalyzerInfo;
  diagnostics: ReportedDiagnostic[];
  remediations: ReportedRemediation[];
  /** Resources sent to Analyze. */
  analyzed: number;
  /** The resources as finally analyzed (after remediations, when applied). */
  resources: PreviewResource[];
  /**
   * The values the resources held as secrets before any remediation: a remediated input may come
   * back without its secret wrapper, and output must still hide its value.
   */
  secretValues: string[];
  /** The policies that ran at the mandatory level, after the config: what can fail the run. */
  mandatoryPolicies: string[];
}

/** A pack directory the CLI could run: PulumiPolicy.yaml, and the built entry point. */
export function checkPackDir(packDir: string): string {
  const dir = path.resolve(packDir);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new PreviewError(`no such policy pack directory: ${packDir}`);
  }
  if (!fs.existsSync(path.join(dir, "PulumiPolicy.yaml"))) {
    throw new PreviewError(`not a policy pack: ${packDir} has no PulumiPolicy.yaml`);
  }
  let main: unknown;
  try {
    main = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).main;
  } catch {
    main = undefined;
  }
  if (typeof main === "string" && !fs.existsSync(path.resolve(dir, main)) && !fs.existsSync(path.resolve(dir, `${main}.js`))) {
    throw new PreviewError(`the policy pack in ${packDir} is not built: ${main} is missing (run npm run build)`);
  }
  return dir;
}

function effectiveLevel(level: EnforcementLevel): EnforcementLevel {
  // A violation left after remediation, or from a stack policy, counts as mandatory.
  return level === "remediate" ? "mandatory" : level;
}

function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

/** What was done when the time limit fired, for its message. */
interface Progress {
  analyzed: number;
  total: number;
}

function timeLimitError(limit: TimeLimit, progress: Progress, stage: string): PreviewError {
  return new PreviewError(
    `the preview did not finish within the ${limit.seconds}s time limit (--timeout): ${stage}, ` +
      `${progress.analyzed.toLocaleString("en")} of ${progress.total.toLocaleString("en")} resources analyzed`,
  );
}

/** A request gRPC could not encode, or the pack's server refused for its size: the input's fault. */
function isUnsendable(err: unknown): err is AnalyzerCallError {
  return err instanceof AnalyzerCallError && (
    (err.code === grpc.status.INTERNAL && /serialization failure/i.test(err.message)) ||
    (err.code === grpc.status.RESOURCE_EXHAUSTED && /larger than max/i.test(err.message)));
}

async function call<T>(what: string, f: () => Promise<T>, limit?: TimeLimit, progress?: Progress, subject?: string): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (limit && progress && err instanceof AnalyzerCallError && err.code === grpc.status.DEADLINE_EXCEEDED && Date.now() >= limit.deadline) {
      throw timeLimitError(limit, progress, `waiting for the policy pack's ${what}`);
    }
    if (isUnsendable(err)) {
      throw new PreviewError(`${subject ?? "the input"} cannot be sent to the policy pack (${what}): ${firstLine(err.message)}; ` +
        "it is too large or holds what the Analyzer protocol cannot carry");
    }
    throw new PreviewError(`the policy pack failed: ${firstLine(errorMessage(err))}`);
  }
}

/** Starts the pack in a checked directory, with a one-line error when it cannot. */
export async function startPack(packDir: string, limit?: TimeLimit): Promise<{ client: PolicyPackClient; dir: string }> {
  const dir = checkPackDir(packDir);
  const startTimeoutMs = limit ? Math.max(1, Math.min(30_000, limit.deadline - Date.now())) : undefined;
  try {
    return { client: await startPolicyPack(dir, { startTimeoutMs }), dir };
  } catch (err) {
    if (limit && Date.now() >= limit.deadline) {
      throw new PreviewError(`the preview did not finish within the ${limit.seconds}s time limit (--timeout): starting the policy pack`);
    }
    // The pack's stderr follows the headline: the last lines of it, where a failing load says why.
    const [headline, ...stderr] = errorMessage(err).split("\n");
    throw new PreviewError(`cannot start the policy pack in ${packDir}: ${headline}`,
      stderr.slice(-PACK_STDERR_LINES).map((line) => `  ${line.replace(COLOUR_CODES, "")}`));
  }
}

/** How many of a pack's last stderr lines a start failure shows. */
const PACK_STDERR_LINES = 20;
/** Colour codes in Node's stack traces: dropped, as any other control character is escaped when printed. */
const COLOUR_CODES = /\u001b\[[0-9;]*m/g;

export async function runPolicies(resources: PreviewResource[], options: PolicyRunOptions): Promise<PolicyRun> {
  const { client, dir } = await startPack(options.packDir, options.timeLimit);
  try {
    return await analyzeWith(client, dir, resources, options);
  } finally {
    await client.close();
  }
}

/** Runs the policies with an already started pack. */
export async function analyzeWith(
  client: PolicyPackClient,
  dir: string,
  input: PreviewResource[],
  options: PolicyRunOptions,
): Promise<PolicyRun> {
  const limit = options.timeLimit;
  const deadline = limit ? { deadline: limit.deadline } : undefined;
  const resources = input.map((r) => ({ ...r }));
  const toAnalyze = resources.filter((r) => r.analyze);
  const progress: Progress = { analyzed: 0, total: toAnalyze.length };
  const ask = <T>(what: string, f: () => Promise<T>, subject?: string) => call(what, f, limit, progress, subject);

  await ask("ConfigureStack", () =>
    client.configureStack(
      {
        stack: options.stack,
        project: options.project,
        organization: options.organization,
        tags: options.tags ?? {},
      },
    ),
  );
  const info = await ask("GetAnalyzerInfo", () => client.getAnalyzerInfo());
  if (options.config) {
    checkPolicyPackConfig(info, options.config, options.configFile ?? "config");
  }
  if (info.supportsConfig) {
    // The CLI always sends the reconciled config: schema defaults, the pack's own, then the file's.
    await ask("Configure", () => client.configure(options.config ?? {}));
  }

  const pack = { name: info.name, displayName: info.displayName, version: info.version, dir };
  // Per resource, in resource order whatever order the replies come in.
  const perResource: { diagnostics: ReportedDiagnostic[]; remediations: ReportedRemediation[] }[] = toAnalyze.map(() => ({
    diagnostics: [],
    remediations: [],
  }));

  const analyzeOne = async (r: PreviewResource, found: (typeof perResource)[number]) => {
    const fixes = await ask("Remediate", () => client.remediate(toAnalyzerResource(r, "inputs"), deadline), `resource ${r.urn}`);
    for (const fix of fixes) {
      if (fix.diagnostic) {
        found.diagnostics.push({
          policyName: fix.policyName,
          policyPackName: info.name,
          policyPackVersion: info.version,
          description: fix.description,
          message: fix.diagnostic,
          urn: r.urn,
          enforcementLevel: "advisory",
          stage: "resource",
        });
      } else if (fix.properties) {
        found.remediations.push({
          policyName: fix.policyName,
          policyPackName: info.name,
          policyPackVersion: info.version,
          description: fix.description,
          urn: r.urn,
          properties: fix.properties,
          changed: changedKeys(r.inputs, fix.properties),
          applied: options.applyRemediations,
        });
        if (options.applyRemediations) {
          // The planned outputs follow the new inputs; what only the provider computes stays as it was.
          const outputs = { ...r.outputs };
          for (const k of Object.keys(r.inputs)) {
            delete outputs[k];
          }
          r.inputs = fix.properties;
          r.outputs = { ...outputs, ...fix.properties };
        }
      }
    }
    const result = await ask("Analyze", () => client.analyze(toAnalyzerResource(r, "inputs"), deadline), `resource ${r.urn}`);
    for (const d of result.diagnostics) {
      // The engine reports a violation against the resource it analyzed, whatever URN the pack names.
      found.diagnostics.push({ ...d, urn: r.urn, enforcementLevel: effectiveLevel(d.enforcementLevel), stage: "resource" });
    }
    progress.analyzed++;
    options.onProgress?.(progress.analyzed, progress.total);
  };

  // Several resources in flight at once, each one's Remediate before its Analyze, so that the pack
  // never waits for the next request; it answers them one by one, and each stands alone.
  let next = 0;
  const lane = async () => {
    while (next < toAnalyze.length) {
      const i = next++;
      await analyzeOne(toAnalyze[i], perResource[i]);
    }
  };
  const lanes = Array.from({ length: Math.min(IN_FLIGHT, toAnalyze.length) }, lane);
  // The first failure is the one reported; the other lanes' calls are left to end with the pack.
  await Promise.all(lanes);
  const diagnostics = perResource.flatMap((f) => f.diagnostics);
  const remediations = perResource.flatMap((f) => f.remediations);
  const analyzed = progress.analyzed;

  const stack = await ask("AnalyzeStack", () => client.analyzeStack(resources.map((r) => toAnalyzerResource(r, "outputs")), deadline),
    "the stack's resources");
  const known = new Set(resources.map((r) => r.urn));
  const root = rootStackUrn(options.stack, options.project);
  for (const d of stack.diagnostics) {
    // A stack violation names a resource of the stack, or else belongs to the stack itself.
    diagnostics.push({ ...d, urn: known.has(d.urn) ? d.urn : root, enforcementLevel: effectiveLevel(d.enforcementLevel), stage: "stack" });
  }
  const secretValues = [...collectResourceSecrets(input)];
  const levels = reconcileConfig(info, info.supportsConfig ? options.config ?? {} : {});
  const mandatoryPolicies = info.policies.map((p) => p.name)
    .filter((name) => effectiveLevel(levels[name]?.enforcementLevel ?? "advisory") === "mandatory");
  return { pack, info, diagnostics, remediations, analyzed, resources, secretValues, mandatoryPolicies };
}
