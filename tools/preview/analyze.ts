// Sends resources through a policy pack the way the engine does during a preview: Remediate then
// Analyze for each resource (inputs), then AnalyzeStack once over every resource (outputs).

import * as fs from "fs";
import * as path from "path";

import { PolicyPackClient, startPolicyPack } from "../analyzer/client";
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
}

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
  warnings: string[];
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

async function call<T>(what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw new PreviewError(`the policy pack failed: ${firstLine(errorMessage(err))}`);
  }
}

/** Starts the pack in a checked directory, with a one-line error when it cannot. */
export async function startPack(packDir: string): Promise<{ client: PolicyPackClient; dir: string }> {
  const dir = checkPackDir(packDir);
  try {
    return { client: await startPolicyPack(dir), dir };
  } catch (err) {
    throw new PreviewError(`cannot start the policy pack in ${packDir}: ${firstLine(errorMessage(err))}`);
  }
}

export async function runPolicies(resources: PreviewResource[], options: PolicyRunOptions): Promise<PolicyRun> {
  const { client, dir } = await startPack(options.packDir);
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
  await call("ConfigureStack", () =>
    client.configureStack({
      stack: options.stack,
      project: options.project,
      organization: options.organization,
      tags: options.tags ?? {},
    }),
  );
  const info = await call("GetAnalyzerInfo", () => client.getAnalyzerInfo());
  if (options.config) {
    checkPolicyPackConfig(info, options.config, options.configFile ?? "config");
  }
  if (info.supportsConfig) {
    // The CLI always sends the reconciled config: schema defaults, the pack's own, then the file's.
    await call("Configure", () => client.configure(options.config ?? {}));
  }

  const pack = { name: info.name, displayName: info.displayName, version: info.version, dir };
  const diagnostics: ReportedDiagnostic[] = [];
  const remediations: ReportedRemediation[] = [];
  const resources = input.map((r) => ({ ...r }));
  let analyzed = 0;

  for (const r of resources) {
    if (!r.analyze) {
      continue;
    }
    const fixes = await call("Remediate", () => client.remediate(toAnalyzerResource(r, "inputs")));
    for (const fix of fixes) {
      if (fix.diagnostic) {
        diagnostics.push({
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
        remediations.push({
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
    const result = await call("Analyze", () => client.analyze(toAnalyzerResource(r, "inputs")));
    analyzed++;
    for (const d of result.diagnostics) {
      // The engine reports a violation against the resource it analyzed, whatever URN the pack names.
      diagnostics.push({ ...d, urn: r.urn, enforcementLevel: effectiveLevel(d.enforcementLevel), stage: "resource" });
    }
  }

  const stack = await call("AnalyzeStack", () => client.analyzeStack(resources.map((r) => toAnalyzerResource(r, "outputs"))));
  const known = new Set(resources.map((r) => r.urn));
  const root = rootStackUrn(options.stack, options.project);
  for (const d of stack.diagnostics) {
    // A stack violation names a resource of the stack, or else belongs to the stack itself.
    diagnostics.push({ ...d, urn: known.has(d.urn) ? d.urn : root, enforcementLevel: effectiveLevel(d.enforcementLevel), stage: "stack" });
  }
  const secretValues = [...collectResourceSecrets(input)];
  return { pack, info, diagnostics, remediations, analyzed, resources, secretValues, warnings: [] };
}
