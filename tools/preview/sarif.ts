// A preview's violations as SARIF 2.1.0, the format code scanning (GitHub, Azure DevOps, IDE
// viewers) reads: one rule per policy of the pack, one result per violation.

import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { pathToFileURL } from "url";
import type { Location, Log, ReportingDescriptor, ReportingDescriptorRelationship, Notification, Result, Run, ToolComponent } from "sarif";

import { EnforcementLevel, PolicyInfo } from "../analyzer/types";
import { PreviewError, errorMessage, firstLine } from "./errors";
import { AccountSource, PreviewReport, ReportDiagnostic, ReportResource, exitCode, redactReport } from "./report";
import { safeJson, terminalSafe } from "./safe-text";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

/** Where a reader of an alert learns about the tool: Pulumi's guide to policy packs (CrossGuard). */
export const INFORMATION_URI = "https://www.pulumi.com/docs/using-pulumi/crossguard/";

/** What SARIF calls a result's level, for each enforcement level. */
const LEVELS: Record<EnforcementLevel, Result.level> = {
  mandatory: "error",
  remediate: "error",
  advisory: "warning",
  disabled: "none",
};

/** GitHub reads "security-severity" as a score: 9.0 and up critical, 7.0 high, 4.0 medium, below low. */
const SECURITY_SEVERITY: Record<string, string> = { critical: "9.5", high: "8.0", medium: "5.5", low: "3.0" };

/** The URI base of every location: the directory the preview was run from, as CI runs it from the repository root. */
const SRCROOT = "%SRCROOT%";

function frameworkText(p: PolicyInfo): string | undefined {
  const f = p.framework;
  if (!f) return undefined;
  return `${f.name} v${f.version}, control ${f.reference}${f.specification ? `: ${f.specification}` : ""}`;
}

// No `name`: the id is already the policy's readable name, and SARIF wants a name, when given, to differ.
function rule(p: PolicyInfo): ReportingDescriptor {
  const framework = frameworkText(p);
  const tags = [...p.tags, "security"];
  if (p.framework) tags.push(`CIS-${p.framework.reference}`);
  const steps = p.remediationSteps ? `To fix: ${p.remediationSteps}` : "";
  const relationships: ReportingDescriptorRelationship[] = p.framework
    ? [{ target: { id: p.framework.reference, toolComponent: { name: p.framework.name } }, kinds: ["relevant"] }]
    : [];
  return {
    id: p.name,
    shortDescription: { text: p.description },
    fullDescription: { text: framework ? `${p.description} (${framework})` : p.description },
    help: {
      text: [p.description, framework, steps, p.url].filter(Boolean).join("\n\n"),
      markdown: [
        p.description,
        framework && `**${framework}**`,
        steps && `**To fix:** ${p.remediationSteps}`,
        p.url && `[AWS documentation](${p.url})`,
      ].filter(Boolean).join("\n\n"),
    },
    ...(p.url ? { helpUri: p.url } : {}),
    defaultConfiguration: { level: LEVELS[p.enforcementLevel], enabled: p.enforcementLevel !== "disabled" },
    relationships: relationships.length > 0 ? relationships : undefined,
    properties: {
      tags,
      ...(p.severity ? { severity: p.severity, "security-severity": SECURITY_SEVERITY[p.severity] } : {}),
      ...(p.policyType ? { policyType: p.policyType } : {}),
      ...(p.framework ? { framework: p.framework } : {}),
    },
  };
}

/** The benchmark each framework names, with the controls the rules refer to, for the rules' relationships. */
export function taxonomies(policies: PolicyInfo[]): NonNullable<Run["taxonomies"]> {
  const byName = new Map<string, { version: string; taxa: Map<string, string> }>();
  for (const p of policies) {
    if (!p.framework) continue;
    const entry = byName.get(p.framework.name) ?? { version: p.framework.version, taxa: new Map<string, string>() };
    entry.taxa.set(p.framework.reference, p.framework.specification);
    byName.set(p.framework.name, entry);
  }
  return [...byName].map(([name, { version, taxa }]) => ({
    name,
    version,
    taxa: [...taxa].map(([id, text]) => ({ id, shortDescription: { text: text || id } })),
  }));
}

/** A repository-relative URI where the file lies under the base directory, else an absolute file URI. */
function artifactUri(file: string, baseDir: string): { uri: string; uriBaseId?: string } {
  const rel = path.relative(baseDir, file);
  if (rel && !rel.startsWith("..") && !path.isAbsolute(rel)) {
    return { uri: rel.split(path.sep).map(encodeURIComponent).join("/"), uriBaseId: SRCROOT };
  }
  return { uri: pathToFileURL(file).href };
}

/**
 * Where code scanning shows an account's result: code scanning takes only results at a file path, and
 * a live account has none, so the path names the account and the trail ("aws-account/<id>/cloudtrail/
 * <trail>", or "aws-account/<id>" for the account as a whole). No file of the repository lies there.
 */
export function accountPath(account: string, resourceName?: string): string {
  return ["aws-account", account, ...(resourceName !== undefined ? ["cloudtrail", resourceName] : [])].map(encodeURIComponent).join("/");
}

/** The file a violation without a declaring line belongs to: the project's Pulumi.yaml, or the stack export. */
function fallbackFile(source: Exclude<PreviewReport["source"], AccountSource>): string {
  if (source.kind === "state") return source.file;
  const dir = source.dir;
  return ["Pulumi.yaml", "Pulumi.yml"].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f)) ?? path.join(dir, "Pulumi.yaml");
}

function physicalLocation(resource: ReportResource | undefined, report: PreviewReport, baseDir: string): NonNullable<Location["physicalLocation"]> {
  const source = report.source;
  if (source.kind === "account") {
    return { artifactLocation: { uri: accountPath(source.account, resource?.name) }, region: { startLine: 1 } };
  }
  const declared = source.kind === "program" ? resource?.declaredAt : undefined;
  if (declared && source.kind === "program") {
    return { artifactLocation: artifactUri(path.join(source.dir, declared.file), baseDir), region: { startLine: declared.line, startColumn: declared.column } };
  }
  return { artifactLocation: artifactUri(fallbackFile(source), baseDir), region: { startLine: 1 } };
}

/** A hex SHA-256 of the parts, separated so that no two lists of parts run together. */
function fingerprint(...parts: string[]): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex");
}

/**
 * The report's diagnostics as SARIF results. An account's results lie in its logical location (at
 * `accountIndex` of the run's logicalLocations) and name the account in their properties.
 */
export function sarifResults(report: PreviewReport, baseDir: string, accountIndex = 0): Result[] {
  const ruleIndex = new Map(report.policies.map((p, i) => [p.name, i]));
  const byUrn = new Map(report.resources.map((r) => [r.urn, r]));
  const source = report.source;
  const account = source.kind === "account" ? source : undefined;
  return report.diagnostics.map((d: ReportDiagnostic): Result => {
    const index = ruleIndex.get(d.policyName);
    const resource = byUrn.get(d.urn);
    return {
      ruleId: d.policyName,
      ...(index !== undefined ? { ruleIndex: index } : {}),
      level: LEVELS[d.enforcementLevel] ?? "warning",
      message: { text: d.message || d.description },
      locations: [{
        physicalLocation: physicalLocation(resource, report, baseDir),
        logicalLocations: [{
          name: resource?.name ?? d.resourceName ?? d.urn,
          fullyQualifiedName: d.urn,
          kind: "resource",
          ...(resource ? { decoratedName: resource.type } : {}),
          ...(account ? { parentIndex: accountIndex } : {}),
        }],
      }],
      // Stable across runs while the policy and the resource stay the same, wherever the line moves.
      // An account's result has no file for code scanning to take a line hash from: it gets ours,
      // one per account, policy and resource.
      partialFingerprints: {
        "policyAndResource/v1": fingerprint(d.policyName, d.urn),
        ...(account ? { primaryLocationLineHash: fingerprint(account.account, d.policyName, d.urn) } : {}),
      },
      properties: {
        ...(account ? { account: account.account, ...(account.accountName ? { accountName: account.accountName } : {}) } : {}),
        urn: d.urn,
        ...(d.resourceType ? { resourceType: d.resourceType } : {}),
        stage: d.stage,
        enforcementLevel: d.enforcementLevel,
      },
    };
  });
}

/** The tool that made a run: the pack, with one rule per policy. */
export function sarifDriver(pack: PreviewReport["policyPack"], policies: PolicyInfo[]): ToolComponent {
  return {
    name: pack.name,
    fullName: pack.displayName || pack.name,
    version: pack.version,
    semanticVersion: pack.version,
    informationUri: INFORMATION_URI,
    rules: policies.map(rule),
  };
}

/** An account as a run's logical location: the namespace its trails lie in. */
export function accountLogicalLocation(account: string, accountName?: string): NonNullable<Run["logicalLocations"]>[number] {
  return { name: account, fullyQualifiedName: account, kind: "namespace", ...(accountName ? { decoratedName: accountName } : {}) };
}

/** What could not be read in an account, as the tool's notification: the run did not see all it should. */
export function notJudgedNotices(source: AccountSource, prefix = ""): Notification[] {
  return source.notJudged.map((f) => ({ level: "warning", message: { text: `${prefix}not judged, could not be read: ${f.what}: ${f.why}` } }));
}

/** The preview's violations, or one account's, as one SARIF 2.1.0 run; file locations are relative to baseDir. */
export function toSarifRun(original: PreviewReport, baseDir = process.cwd()): Run {
  // Messages and names as every other output shows them: secret values replaced by [secret].
  const report = redactReport(original);
  const source = report.source;
  const run: Run = { tool: { driver: sarifDriver(report.policyPack, report.policies) } };
  if (source.kind === "account") {
    // A category of its own (runAutomationDetails): code scanning keeps one analysis per tool and category.
    const faults = notJudgedNotices(source);
    run.automationDetails = { id: `check-account/${source.account}/` };
    run.logicalLocations = [accountLogicalLocation(source.account, source.accountName)];
    run.invocations = [{
      executionSuccessful: faults.length === 0, exitCode: exitCode(report), toolExecutionNotifications: faults,
      properties: { verdict: report.summary.outcome },
    }];
  }
  run.taxonomies = taxonomies(report.policies);
  if (source.kind !== "account") run.originalUriBaseIds = { [SRCROOT]: { uri: pathToFileURL(baseDir + path.sep).href } };
  run.results = sarifResults(report, baseDir);
  run.properties = {
    project: source.project,
    stack: source.stack,
    source: source.kind,
    ...(source.kind === "account" ? { account: source.account, ...(source.accountName ? { accountName: source.accountName } : {}) } : {}),
  };
  return run;
}

/** The preview's violations as a SARIF 2.1.0 log of one run; file locations are relative to baseDir. */
export function toSarif(report: PreviewReport, baseDir = process.cwd()): Log {
  return { $schema: SARIF_SCHEMA, version: "2.1.0", runs: [toSarifRun(report, baseDir)] };
}

/**
 * A file written piece by piece to a temporary name and renamed to FILE once complete: an
 * interrupted run never leaves a FILE that looks whole. Every failure names FILE.
 */
export class PartialFile {
  readonly path: string;
  private fd: number | undefined;

  constructor(private readonly file: string, suffix = ".partial") {
    this.path = `${file}${suffix}`;
    this.fd = this.attempt(() => fs.openSync(this.path, "w"));
  }

  write(text: string): void {
    this.attempt(() => fs.writeSync(this.fd as number, text));
  }

  /** Appends what another partial file holds, a block at a time, and removes that file. */
  append(other: PartialFile): void {
    other.close();
    const buffer = Buffer.alloc(64 * 1024);
    const from = this.attempt(() => fs.openSync(other.path, "r"));
    try {
      for (let n: number; (n = this.attempt(() => fs.readSync(from, buffer, 0, buffer.length, null))) > 0;) {
        this.attempt(() => fs.writeSync(this.fd as number, buffer, 0, n));
      }
    } finally {
      fs.closeSync(from);
      other.abort();
    }
  }

  /** Puts the file in place under its own name. */
  commit(): void {
    this.close();
    this.attempt(() => fs.renameSync(this.path, this.file));
  }

  /** Drops the unfinished file. */
  abort(): void {
    this.close();
    fs.rmSync(this.path, { force: true });
  }

  private close(): void {
    if (this.fd !== undefined) this.attempt(() => fs.closeSync(this.fd as number));
    this.fd = undefined;
  }

  private attempt<T>(f: () => T): T {
    try {
      return f();
    } catch (err) {
      throw new PreviewError(`cannot write the SARIF file ${this.file}: ${firstLine(errorMessage(err))}`);
    }
  }
}

/** Writes the SARIF log of one run to file and says how many results it holds; a file that cannot be written is a clear error. */
export function writeSarif(file: string, report: PreviewReport): number {
  const log = new PartialFile(file);
  try {
    const sarif = toSarif(report);
    log.write(safeJson(sarif) + "\n");
    log.commit();
    return sarif.runs[0].results?.length ?? 0;
  } catch (err) {
    log.abort();
    throw err;
  }
}

/** What a command says on stderr once its SARIF file is complete. */
export function sarifWritten(file: string, results: number, accounts?: number): string {
  const what = `${results} ${results === 1 ? "result" : "results"}`;
  const of = accounts === undefined ? "" : ` for ${accounts} ${accounts === 1 ? "account" : "accounts"}`;
  return `SARIF: wrote ${what}${of} to ${terminalSafe(file)}\n`;
}
