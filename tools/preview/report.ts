// What a preview found, as text in the style of `pulumi preview`'s policy section, or as JSON.
// Both show secrets as "[secret]" (see redactReport); the text escapes every control character
// that comes from a program, an export or a pack (see terminalSafe).

import * as path from "path";

import { PolicyInfo } from "../analyzer/types";
import { PolicyRun, ReportedDiagnostic, ReportedRemediation } from "./analyze";
import { SourceLocation } from "./protocol";
import { PreviewResource } from "./resources";
import { collectResourceSecrets, collectSecretPlaintexts, redactSecrets, safeJson, secretFilter, terminalSafe } from "./safe-text";

export type PreviewSource =
  | { kind: "program"; dir: string; project: string; stack: string; durationMs?: number }
  | { kind: "state"; file: string; project: string; stack: string }
  | AccountSource;

/** A live AWS account read through the API (`npm run check-account`). */
export interface AccountSource {
  kind: "account";
  account: string;
  /** The account's name in its organization, when listed from one. */
  accountName?: string;
  project: string;
  stack: string;
  regions: string[];
  /** Opt-in regions that are not enabled: not checked. */
  skippedRegions: string[];
  trails: { name: string; arn: string; homeRegion: string; organizationTrail: boolean; owner: string; complete: boolean }[];
  /** What could not be read, and the AWS error. Never a pass. */
  notJudged: { what: string; why: string }[];
}

export interface ReportResource {
  urn: string;
  type: string;
  name: string;
  parent?: string;
  provider?: string;
  analyzed: boolean;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  declaredAt?: SourceLocation;
}

export interface ReportDiagnostic extends ReportedDiagnostic {
  resourceType?: string;
  resourceName?: string;
}

/** The headline: "not judged" when the verdict depends on what could not be read (exit status 3). */
export type Outcome = "passed" | "failed" | "not judged";

export interface PreviewSummary {
  outcome: Outcome;
  mandatory: number;
  advisory: number;
  remediations: number;
  resourcesAnalyzed: number;
}

export interface PreviewReport {
  source: PreviewSource;
  policyPack: { name: string; displayName: string; version: string; dir: string };
  /** Each policy's metadata, as GetAnalyzerInfo gives it. */
  policies: PolicyInfo[];
  resources: ReportResource[];
  diagnostics: ReportDiagnostic[];
  remediations: ReportedRemediation[];
  summary: PreviewSummary;
  warnings: string[];
}

// The secret values a run knew of, kept beside its report rather than in it (a report is serialised whole).
const knownSecretValues = new WeakMap<PreviewReport, string[]>();
/** Each report's redacted copy, and each copy itself: redacting twice changes nothing. */
const redacted = new WeakMap<PreviewReport, PreviewReport>();

export function buildReport(source: PreviewSource, run: PolicyRun, warnings: string[] = []): PreviewReport {
  const byUrn = new Map<string, PreviewResource>(run.resources.map((r) => [r.urn, r]));
  const diagnostics: ReportDiagnostic[] = run.diagnostics.map((d) => {
    const r = byUrn.get(d.urn);
    return r ? { ...d, resourceType: r.type, resourceName: r.name } : { ...d };
  });
  const report: PreviewReport = {
    source,
    policyPack: run.pack,
    policies: run.info.policies,
    resources: run.resources.map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      parent: r.parent,
      provider: r.provider?.urn,
      analyzed: r.analyze,
      inputs: r.inputs,
      outputs: r.outputs,
      declaredAt: r.declaredAt,
    })),
    diagnostics,
    remediations: run.remediations,
    summary: {
      outcome: "passed",
      mandatory: diagnostics.filter((d) => d.enforcementLevel === "mandatory").length,
      advisory: diagnostics.filter((d) => d.enforcementLevel === "advisory").length,
      remediations: run.remediations.length,
      resourcesAnalyzed: run.analyzed,
    },
    warnings,
  };
  report.summary.outcome = outcomeOf(report, new Set(run.mandatoryPolicies));
  knownSecretValues.set(report, run.secretValues);
  return report;
}

/**
 * Failed when a mandatory policy is violated (the preview would fail). For an account, not judged
 * when something could not be read and a policy running at the mandatory level (its own default or
 * the config's) did not pass outright on what was: an advisory policy's result never changes it.
 */
function outcomeOf(report: PreviewReport, mandatory: ReadonlySet<string>): Outcome {
  if (report.summary.mandatory > 0) return "failed";
  if (report.source.kind === "account" && report.source.notJudged.length > 0
    && report.diagnostics.some((d) => d.stage === "stack" && mandatory.has(d.policyName))) return "not judged";
  return "passed";
}

const EXIT_CODES: Record<Outcome, number> = { passed: 0, failed: 1, "not judged": 3 };

/** The exit status the report's outcome means. */
export function exitCode(report: PreviewReport): number {
  return EXIT_CODES[report.summary.outcome];
}

/**
 * The report as any output may show it: every secret in resources and remediations as "[secret]",
 * and every value a secret holds replaced wherever else it appears (a diagnostic that quotes it, an
 * output that copies it), as the engine filters secret values out of what it prints.
 */
export function redactReport(report: PreviewReport): PreviewReport {
  // Every writer asks (text, warnings, JSON, SARIF): the walk is made once per report.
  let done = redacted.get(report);
  if (!done) {
    const plaintexts = collectResourceSecrets(report.resources, new Set(knownSecretValues.get(report)));
    for (const r of report.remediations) {
      collectSecretPlaintexts(r.properties, plaintexts);
    }
    done = redactSecrets(report, secretFilter(plaintexts)) as PreviewReport;
    redacted.set(report, done);
    redacted.set(done, done);
  }
  return done;
}

/** The keys of a preview's JSON report, in order: the output is made from this list, and --help lists it. */
export const REPORT_KEYS = ["source", "policyPack", "policies", "resources", "diagnostics", "remediations", "summary", "warnings"] as const satisfies readonly (keyof PreviewReport)[];
/** An account's report has no warnings: what a preview could not do as `pulumi preview` would. */
export const ACCOUNT_REPORT_KEYS = REPORT_KEYS.filter((k) => k !== "warnings");

// Every key of a report is in the list: a key added to PreviewReport and not here fails to compile.
const everyKeyListed: Record<Exclude<keyof PreviewReport, (typeof REPORT_KEYS)[number]>, never> = {};
void everyKeyListed;

/** The report as its JSON shows it: secrets redacted, the keys of REPORT_KEYS (ACCOUNT_REPORT_KEYS for an account). */
export function reportJson(report: PreviewReport): Record<string, unknown> {
  const r = redactReport(report);
  const keys: readonly (keyof PreviewReport)[] = r.source.kind === "account" ? ACCOUNT_REPORT_KEYS : REPORT_KEYS;
  return Object.fromEntries(keys.map((k) => [k, r[k]]));
}

/** The report as JSON: secrets redacted, every character printable (controls escaped as \uXXXX). */
export function toJson(report: PreviewReport): string {
  return safeJson(reportJson(report)) + "\n";
}

/** What a --json run prints on stdout when it cannot make a report (exit status 2). */
export function errorJson(message: string, data: Record<string, unknown> = {}): string {
  return safeJson({ error: { message, ...data } }) + "\n";
}

/** Warnings as stderr lines, controls escaped. */
export function warningLines(warnings: string[]): string {
  return warnings.map((w) => `warning: ${terminalSafe(w)}\n`).join("");
}

/** The report's warnings as stderr lines, secrets redacted and controls escaped. */
export function formatWarnings(report: PreviewReport): string {
  return warningLines(redactReport(report).warnings);
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

export function summaryLine(s: PreviewSummary): string {
  const parts = [plural(s.mandatory, "mandatory violation", "mandatory violations"), `${s.advisory} advisory`];
  if (s.remediations > 0) {
    parts.push(plural(s.remediations, "remediation", "remediations"));
  }
  parts.push(plural(s.resourcesAnalyzed, "resource analyzed", "resources analyzed"));
  return `Policies: ${parts.join(", ")}`;
}

function shortPath(p: string): string {
  const rel = path.relative(process.cwd(), p) || ".";
  return rel.length < p.length ? rel : p;
}

/** type::name, or the URN where two resources share type and name (under different parents). */
function labeller(resources: ReportResource[]): (urn: string) => string {
  const counts = new Map<string, number>();
  const label = new Map<string, string>();
  for (const r of resources) {
    const l = `${r.type}::${r.name}`;
    counts.set(l, (counts.get(l) ?? 0) + 1);
    label.set(r.urn, l);
  }
  return (urn) => {
    const l = label.get(urn);
    return terminalSafe(l && counts.get(l) === 1 ? l : urn);
  };
}

/**
 * A pack's message keeps its own line breaks, but a name, type or URN it quotes is shown escaped
 * as everywhere else, so that a line break in a name cannot start a line of the report.
 */
function echoGuard(resources: ReportResource[]): (message: string) => string {
  const unsafe = new Set<string>();
  for (const r of resources) {
    for (const s of [r.name, r.type, r.urn]) {
      if (terminalSafe(s) !== s) {
        unsafe.add(s);
      }
    }
  }
  const longestFirst = [...unsafe].sort((a, b) => b.length - a.length);
  return (message) => longestFirst.reduce((m, s) => m.split(s).join(terminalSafe(s)), message);
}

/** Lines of a message, each escaped and indented: no line of it reaches the report's margin. */
function indent(text: string, by: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((l, i, all) => !(l.trim() === "" && (i === 0 || i === all.length - 1)))
    .map((l) => (l.trim() === "" ? "" : by + terminalSafe(l)));
}

function accountLines(source: AccountSource): string[] {
  const name = source.accountName ? ` (${source.accountName})` : "";
  const lines = [`Checking account ${source.account}${name} in ${plural(source.regions.length, "region", "regions")}`];
  if (source.skippedRegions.length > 0) {
    lines.push(`    skipped, opt-in regions not enabled: ${source.skippedRegions.join(", ")}`);
  }
  lines.push(source.trails.length === 0 ? "Trails: none" : "Trails:");
  for (const t of source.trails) {
    const where = t.organizationTrail ? `organization trail of account ${t.owner}` : `account ${t.owner}`;
    lines.push(`    ${t.name}  home ${t.homeRegion}, ${where}${t.complete ? "" : ", not fully read (unknown to the pack)"}`);
  }
  if (source.notJudged.length > 0) {
    lines.push("Not judged (could not be read):");
    for (const f of source.notJudged) lines.push(`    ${f.what}: ${f.why}`);
  }
  return lines;
}

const LEVEL_ORDER: Record<string, number> = { mandatory: 0, advisory: 1, remediate: 2, disabled: 3 };

/** The report as text. Secrets are redacted, and every string from the input is escaped (terminalSafe). */
export function formatText(original: PreviewReport): string {
  const report = redactReport(original);
  const label = labeller(report.resources);
  const guard = echoGuard(report.resources);
  const t = terminalSafe;
  const lines: string[] = [];
  if (report.source.kind === "account") {
    lines.push(...accountLines(report.source).map(terminalSafe));
  } else {
    const what =
      report.source.kind === "program"
        ? `program ${t(shortPath(report.source.dir))}`
        : `state ${t(shortPath(report.source.file))}`;
    lines.push(`Previewing ${what} (project ${t(report.source.project)}, stack ${t(report.source.stack)})`);
  }
  lines.push("");
  lines.push("Policies:");
  const pack = report.policyPack;
  lines.push(
    `    ${report.summary.outcome === "failed" ? "FAILED" : report.summary.outcome}  ${t(pack.name)}@v${t(pack.version)} (local: ${t(shortPath(pack.dir))})`,
  );

  const groups = new Map<string, ReportDiagnostic[]>();
  for (const d of report.diagnostics) {
    const key = `${d.enforcementLevel}\u0000${d.policyName}`;
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  const ordered = [...groups.values()].sort(
    (a, b) =>
      (LEVEL_ORDER[a[0].enforcementLevel] ?? 9) - (LEVEL_ORDER[b[0].enforcementLevel] ?? 9) ||
      a[0].policyName.localeCompare(b[0].policyName),
  );
  if (ordered.length === 0) {
    lines.push("        no violations");
  }
  for (const group of ordered) {
    lines.push(`        - [${t(group[0].enforcementLevel)}]  ${t(group[0].policyName)}`);
    for (const d of group) {
      lines.push(`            ${label(d.urn)}`);
      lines.push(...indent(guard(d.message || d.description), "                "));
    }
  }
  if (report.remediations.length > 0) {
    lines.push("");
    lines.push("Remediations:");
    for (const r of report.remediations) {
      const what = r.changed.length > 0 ? `: ${t(r.changed.join(", "))}` : "";
      lines.push(`    - [remediate]  ${t(r.policyName)}  ${label(r.urn)}  (${r.applied ? "applied" : "not applied"}${what})`);
      lines.push(...indent(guard(r.description), "          "));
    }
  }
  lines.push("");
  lines.push(summaryLine(report.summary));
  return lines.join("\n") + "\n";
}
