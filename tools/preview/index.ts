// Offline policy preview: run a Pulumi program under mocks (or read a stack export) and send what it
// declares through a policy pack over the Analyzer protocol, as `pulumi preview --policy-pack` would.

import * as path from "path";
import * as fs from "fs";

import { PolicyConfig } from "../analyzer/types";
import { analyzeWith, checkPackDir, runPolicies, startPack, TimeLimit } from "./analyze";
import { PreviewError } from "./errors";
import { loadProject, ProgramProject } from "./project";
import { DEFAULT_TIMEOUT_MS, ProgramRun, runProject, RunProgramOptions } from "./program";
import { buildReport, PreviewReport } from "./report";
import { readStateExport } from "./state";
import { programTypeCheck, ProgramTypeCheck } from "./typecheck";

export { PreviewError } from "./errors";
export { loadProject } from "./project";
export type { ProgramProject } from "./project";
export { runProgram, runProject } from "./program";
export type { ProgramRun, RunProgramOptions } from "./program";
export { readStateExport, parseStateExport } from "./state";
export type { StateRun } from "./state";
export { runPolicies, analyzeWith } from "./analyze";
export type { PolicyRun, PolicyRunOptions, ReportedDiagnostic } from "./analyze";
export { readPolicyPackConfig, parsePolicyPackConfig, checkPolicyPackConfig } from "./config";
export { buildReport, formatText, toJson, exitCode, summaryLine } from "./report";
export type { PreviewReport } from "./report";
export { toSarif, writeSarif } from "./sarif";
export { toAnalyzerResource } from "./resources";
export type { PreviewResource } from "./resources";
export { answerInvoke, renderPolicyDocument } from "./mocks";
export { TypeCheckError } from "./typecheck";
export type { TypeScriptError } from "./typecheck";

export interface PreviewOptions {
  /** The policy pack directory; the pack this tool belongs to by default. */
  packDir?: string;
  policyConfig?: Record<string, PolicyConfig>;
  policyConfigFile?: string;
  /** Stack tags the pack sees (over, for a program, the CLI's own pulumi:project, pulumi:runtime, pulumi:description). */
  stackTags?: Record<string, string>;
  /** Give up on a preview that takes longer than this, whatever it is doing (default 5 minutes). */
  timeoutMs?: number;
  /** Called now and then while the pack analyzes, with the resources done and the total. */
  onAnalyzeProgress?(analyzed: number, total: number): void;
  /** Called with the project once it is read, before the program runs (its warnings are the report's too). */
  onProject?(project: ProgramProject): void;
}

/** The run's deadline, from its start and the --timeout limit. */
function timeLimitFrom(options: PreviewOptions, started: number): TimeLimit {
  const ms = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return { deadline: started + ms, seconds: ms / 1000 };
}

/** The tags the CLI itself puts on a stack from its Pulumi.yaml. */
export function projectStackTags(project: ProgramProject): Record<string, string> {
  const tags: Record<string, string> = { "pulumi:project": project.name, "pulumi:runtime": "nodejs" };
  if (project.description) {
    tags["pulumi:description"] = project.description;
  }
  return tags;
}

/** The directory of the policy pack this tool is part of: the nearest one above this file. */
export function defaultPackDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "PulumiPolicy.yaml"))) {
      return dir;
    }
    if (path.dirname(dir) === dir) {
      throw new PreviewError("cannot find the policy pack this tool belongs to; name one with --policy-pack");
    }
  }
}

export interface ProgramPreviewOptions extends PreviewOptions, RunProgramOptions {
  /** Do not type-check a TypeScript program (the CLI's PULUMI_NODEJS_TRANSPILE_ONLY=true). */
  transpileOnly?: boolean;
}

/** Previews a program; a TypeScript program is type-checked meanwhile, as the CLI would (`TypeCheckError`). */
export async function previewProgram(dir: string, options: ProgramPreviewOptions = {}): Promise<PreviewReport> {
  const timeLimit = timeLimitFrom(options, Date.now());
  const project = loadProject(dir, options);
  options.onProject?.(project);
  const typeCheck = programTypeCheck(project, { transpileOnly: options.transpileOnly, timeLimit });
  try {
    return await previewProject(project, options, timeLimit, typeCheck);
  } finally {
    typeCheck.stop();
  }
}

async function previewProject(project: ProgramProject, options: ProgramPreviewOptions, timeLimit: TimeLimit, typeCheck: ProgramTypeCheck): Promise<PreviewReport> {
  const packDirArg = options.packDir ?? defaultPackDir();
  checkPackDir(packDirArg);
  // The pack starts while the program runs: both take a second or two to load their SDKs.
  const starting = startPack(packDirArg, timeLimit);
  starting.catch(() => undefined);
  let run: ProgramRun;
  try {
    run = await typeCheck.program(() => runProject(project, options));
  } catch (err) {
    await starting.then(
      ({ client }) => client.close(),
      () => undefined,
    );
    throw err;
  }
  const { client, dir: packDir } = await starting;
  try {
    const policies = await analyzeWith(client, packDir, run.resources, {
      packDir,
      config: options.policyConfig,
      configFile: options.policyConfigFile,
      stack: project.stack,
      project: project.name,
      organization: project.organization,
      tags: { ...projectStackTags(project), ...options.stackTags },
      applyRemediations: true,
      timeLimit,
      onProgress: options.onAnalyzeProgress,
    });
    await typeCheck.passed();
    return buildReport(
      { kind: "program", dir: project.dir, project: project.name, stack: project.stack, durationMs: run.durationMs },
      policies,
      project.warnings,
    );
  } finally {
    await client.close();
  }
}

export async function previewState(file: string, options: PreviewOptions = {}): Promise<PreviewReport> {
  const timeLimit = timeLimitFrom(options, Date.now());
  const state = readStateExport(file);
  const policies = await runPolicies(state.resources, {
    packDir: options.packDir ?? defaultPackDir(),
    config: options.policyConfig,
    configFile: options.policyConfigFile,
    stack: state.stack,
    project: state.project,
    organization: state.organization ?? "organization",
    tags: options.stackTags,
    applyRemediations: false,
    timeLimit,
    onProgress: options.onAnalyzeProgress,
  });
  return buildReport({ kind: "state", file: path.resolve(file), project: state.project, stack: state.stack }, policies, state.warnings);
}
