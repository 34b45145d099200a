// A preview's violations as SARIF 2.1.0, the format code scanning (GitHub, Azure DevOps, IDE
// viewers) reads: one rule per policy of the pack, one result per violation.

import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { pathToFileURL } from "url";
import type { Location, Log, ReportingDescriptor, ReportingDescriptorRelationship, Notification, Result, Run, ToolComponent } from "sarif";

import { EnforcementLevel, PolicyInfo } from "../analyzer/types";
import { PreviewError, errorMessage, firstLine } from "./errors";
import { PreviewReport, ReportDiagnostic, ReportResource, exitCode, redactReport } from "./report";
import { safeJson } from "./safe-text";

export const SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json";

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
    name: p.name,
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
function taxonomies(policies: PolicyInfo[]): NonNullable<Log["runs"][number]["taxonomies"]> {
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
 * The file a violation without a declaring line belongs to: the project's Pulumi.yaml, or the stack
 * export. A live account has no file: its results carry the trail's logical location only.
 */
function fallbackFile(report: PreviewReport): string | undefined {
  if (report.source.kind === "account") return undefined;
  if (report.source.kind === "state") return report.source.file;
  const dir = report.source.dir;
  return ["Pulumi.yaml", "Pulumi.yml"].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f)) ?? path.join(dir, "Pulumi.yaml");
}

function location(d: ReportDiagnostic, resource: ReportResource | undefined, report: PreviewReport, baseDir: string): Location {
  const source = report.source;
  const declared = source.kind === "program" ? resource?.declaredAt : undefined;
  const fallback = fallbackFile(report);
  const physicalLocation = declared && source.kind === "program"
    ? {
        artifactLocation: artifactUri(path.join(source.dir, declared.file), baseDir),
        region: { startLine: declared.line, startColumn: declared.column },
      }
    : fallback !== undefined ? { artifactLocation: artifactUri(fallback, baseDir), region: { startLine: 1 } } : undefined;
  return {
    ...(physicalLocation ? { physicalLocation } : {}),
    logicalLocations: [{
      name: resource?.name ?? d.resourceName ?? d.urn,
      fullyQualifiedName: d.urn,
      kind: "resource",
      ...(resource ? { decoratedName: resource.type } : {}),
      // In an account's run, every resource lies in the account (the run's logical location 0).
      ...(source.kind === "account" ? { parentIndex: 0 } : {}),
    }],
  };
}

/** The tool that made a run: the pack, with one rule per policy. */
function driver(pack: PreviewReport["policyPack"], policies: PolicyInfo[]): ToolComponent {
  return {
    name: pack.name,
    fullName: pack.displayName || pack.name,
    version: pack.version,
    semanticVersion: pack.version,
    rules: policies.map(rule),
  };
}

/**
 * What tells one account's run from another's: the account as the run's logical location, and a
 * category of its own (runAutomationDetails), since code scanning takes one run per tool and
 * category. What could not be read is the tool's notification: the run did not see all it should.
 */
function accountRunDetails(account: string, accountName: string | undefined, faults: Notification[], exitCode: number, verdict: string): Partial<Run> {
  return {
    automationDetails: { id: `check-account/${account}/` },
    logicalLocations: [{ name: account, fullyQualifiedName: account, kind: "namespace", ...(accountName ? { decoratedName: accountName } : {}) }],
    invocations: [{ executionSuccessful: faults.length === 0, exitCode, toolExecutionNotifications: faults, properties: { verdict } }],
  };
}

/** The preview's violations as one SARIF 2.1.0 run; file locations are relative to baseDir. */
export function toSarifRun(original: PreviewReport, baseDir = process.cwd()): Run {
  // Messages and names as every other output shows them: secret values replaced by [secret].
  const report = redactReport(original);
  const policies = report.policies;
  const ruleIndex = new Map(policies.map((p, i) => [p.name, i]));
  const byUrn = new Map(report.resources.map((r) => [r.urn, r]));
  const results: Result[] = report.diagnostics.map((d) => {
    const index = ruleIndex.get(d.policyName);
    return {
      ruleId: d.policyName,
      ...(index !== undefined ? { ruleIndex: index } : {}),
      level: LEVELS[d.enforcementLevel] ?? "warning",
      message: { text: d.message || d.description },
      locations: [location(d, byUrn.get(d.urn), report, baseDir)],
      // Stable across runs while the policy and the resource stay the same, wherever the line moves.
      partialFingerprints: { "policyAndResource/v1": createHash("sha256").update(`${d.policyName}\u0000${d.urn}`).digest("hex") },
      properties: {
        urn: d.urn,
        ...(d.resourceType ? { resourceType: d.resourceType } : {}),
        stage: d.stage,
        enforcementLevel: d.enforcementLevel,
      },
    };
  });
  const source = report.source;
  return {
    tool: { driver: driver(report.policyPack, policies) },
    ...(source.kind === "account"
      ? accountRunDetails(source.account, source.accountName, source.notJudged.map((f) => ({
          level: "warning",
          message: { text: `not judged, could not be read: ${f.what}: ${f.why}` },
        })), exitCode(report), report.summary.outcome)
      : {}),
    taxonomies: taxonomies(policies),
    originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(baseDir + path.sep).href } },
    results,
    properties: {
      project: source.project,
      stack: source.stack,
      source: source.kind,
      ...(source.kind === "account" ? { account: source.account, ...(source.accountName ? { accountName: source.accountName } : {}) } : {}),
    },
  };
}

/** The preview's violations as a SARIF 2.1.0 log of one run; file locations are relative to baseDir. */
export function toSarif(report: PreviewReport, baseDir = process.cwd()): Log {
  return { $schema: SARIF_SCHEMA, version: "2.1.0", runs: [toSarifRun(report, baseDir)] };
}

/** The run of an account that could not be read at all: no results, and why, as the tool's failure. */
export function unreadableAccountRun(pack: PreviewReport["policyPack"], policies: PolicyInfo[], account: string, accountName: string, fault: string): Run {
  return {
    tool: { driver: driver(pack, policies) },
    ...accountRunDetails(account, accountName || undefined, [{ level: "error", message: { text: `could not be read: ${fault}` } }], 2, "unreadable"),
    results: [],
    properties: { source: "account", account, ...(accountName ? { accountName } : {}) },
  };
}

/**
 * A SARIF log written run by run, so that no more than one run is held at a time. It is written to
 * FILE.partial and renamed to FILE once complete: an interrupted run never leaves a FILE that looks
 * whole.
 */
export class SarifLogWriter {
  private readonly partial: string;
  private fd: number | undefined;
  private runs = 0;

  constructor(private readonly file: string) {
    this.partial = `${file}.partial`;
    this.fd = this.attempt(() => fs.openSync(this.partial, "w"));
    this.write(`{\n  "$schema": ${JSON.stringify(SARIF_SCHEMA)},\n  "version": "2.1.0",\n  "runs": [`);
  }

  add(run: Run): void {
    // JSON strings hold no raw line break, so indenting every line keeps the text the same JSON.
    this.write(`${this.runs++ === 0 ? "" : ","}\n    ${safeJson(run).replace(/\n/g, "\n    ")}`);
  }

  /** Ends the log and puts it in place. */
  commit(): void {
    this.write(`${this.runs > 0 ? "\n  " : ""}]\n}\n`);
    this.attempt(() => {
      fs.closeSync(this.fd as number);
      this.fd = undefined;
      fs.renameSync(this.partial, this.file);
    });
  }

  /** Drops the unfinished log. */
  abort(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    fs.rmSync(this.partial, { force: true });
  }

  private write(text: string): void {
    this.attempt(() => fs.writeSync(this.fd as number, text));
  }

  private attempt<T>(f: () => T): T {
    try {
      return f();
    } catch (err) {
      throw new PreviewError(`cannot write the SARIF file ${this.file}: ${firstLine(errorMessage(err))}`);
    }
  }
}

/** Writes the SARIF log to file; a file that cannot be written is a clear error. */
export function writeSarif(file: string, report: PreviewReport): void {
  const log = new SarifLogWriter(file);
  try {
    log.add(toSarifRun(report));
    log.commit();
  } catch (err) {
    log.abort();
    throw err;
  }
}
