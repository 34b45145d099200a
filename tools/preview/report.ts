// What a preview found, as text in the style of `pulumi preview`'s policy section, or as JSON.

import * as path from "path";

import { PolicyInfo } from "../analyzer/types";
import { PolicyRun, ReportedDiagnostic, ReportedRemediation } from "./analyze";
import { SourceLocation } from "./protocol";
import { PreviewResource } from "./resources";

export type PreviewSource =
  | { kind: "program"; dir: string; project: string; stack: string; durationMs?: number }
  | { kind: "state"; file: string; project: string; stack: string };

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

export interface PreviewSummary {
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

export function buildReport(source: PreviewSource, run: PolicyRun, warnings: string[] = []): PreviewReport {
  const byUrn = new Map<string, PreviewResource>(run.resources.map((r) => [r.urn, r]));
  const diagnostics: ReportDiagnostic[] = run.diagnostics.map((d) => {
    const r = byUrn.get(d.urn);
    return r ? { ...d, resourceType: r.type, resourceName: r.name } : { ...d };
  });
  return {
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
      mandatory: diagnostics.filter((d) => d.enforcementLevel === "mandatory").length,
      advisory: diagnostics.filter((d) => d.enforcementLevel === "advisory").length,
      remediations: run.remediations.length,
      resourcesAnalyzed: run.analyzed,
    },
    warnings: [...warnings, ...run.warnings],
  };
}

/** 1 when a mandatory policy is violated (the preview would fail), else 0. */
export function exitCode(report: PreviewReport): number {
  return report.summary.mandatory > 0 ? 1 : 0;
}

export function toJson(report: PreviewReport): string {
  return JSON.stringify(report, null, 2) + "\n";
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
    return l && counts.get(l) === 1 ? l : urn;
  };
}

function indent(text: string, by: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((l, i, all) => !(l.trim() === "" && (i === 0 || i === all.length - 1)))
    .map((l) => (l.trim() === "" ? "" : by + l));
}

const LEVEL_ORDER: Record<string, number> = { mandatory: 0, advisory: 1, remediate: 2, disabled: 3 };

export function formatText(report: PreviewReport): string {
  const label = labeller(report.resources);
  const lines: string[] = [];
  const what =
    report.source.kind === "program"
      ? `program ${shortPath(report.source.dir)}`
      : `state ${shortPath(report.source.file)}`;
  lines.push(`Previewing ${what} (project ${report.source.project}, stack ${report.source.stack})`);
  lines.push("");
  lines.push("Policies:");
  const pack = report.policyPack;
  lines.push(`    ${report.summary.mandatory > 0 ? "FAILED" : "passed"}  ${pack.name}@v${pack.version} (local: ${shortPath(pack.dir)})`);

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
    lines.push(`        - [${group[0].enforcementLevel}]  ${group[0].policyName}`);
    for (const d of group) {
      lines.push(`            ${label(d.urn)}`);
      lines.push(...indent(d.message || d.description, "                "));
    }
  }
  if (report.remediations.length > 0) {
    lines.push("");
    lines.push("Remediations:");
    for (const r of report.remediations) {
      const what = r.changed.length > 0 ? `: ${r.changed.join(", ")}` : "";
      lines.push(`    - [remediate]  ${r.policyName}  ${label(r.urn)}  (${r.applied ? "applied" : "not applied"}${what})`);
      lines.push(...indent(r.description, "          "));
    }
  }
  lines.push("");
  lines.push(summaryLine(report.summary));
  return lines.join("\n") + "\n";
}
