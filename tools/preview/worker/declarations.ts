// Where the program declares each resource, by type and name: the first frame in the program's own
// files while the resource's constructor runs (registration itself happens later, off that stack).

import * as path from "path";
import { findSourceMap } from "module";
import { fileURLToPath } from "url";

import { SourceLocation } from "../protocol";
import { isProgramFile, job } from "./job";

/** Null when two declarations of one type and name come from different places. */
const declarations = new Map<string, SourceLocation | null>();

export function recordDeclaration(type: string, name: string, resource: unknown): void {
  const key = `${type}\u0000${name}`;
  const at = declarationSite(ownConstructors(resource));
  const seen = declarations.get(key);
  declarations.set(key, seen === undefined || (seen && at && seen.file === at.file && seen.line === at.line) ? at : null);
}

export function declarationOf(type: string, name: string): SourceLocation | undefined {
  return declarations.get(`${type}\u0000${name}`) ?? undefined;
}

/**
 * The caller in the program's files, from V8's call sites (cheaper than formatting a stack) and
 * mapped back to the TypeScript source through the source map Node.js keeps for the file.
 */
function declarationSite(skip: Set<string>): SourceLocation | null {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  const holder: { stack?: NodeJS.CallSite[] } = {};
  let sites: NodeJS.CallSite[] | undefined;
  try {
    Error.stackTraceLimit = 50;
    Error.prepareStackTrace = (_, callSites) => callSites;
    Error.captureStackTrace(holder, declarationSite);
    sites = holder.stack; // formatted on first read, so read before prepareStackTrace is restored
  } finally {
    Error.stackTraceLimit = limit;
    Error.prepareStackTrace = prepare;
  }
  for (const site of Array.isArray(sites) ? sites : []) {
    const name = site.getFileName();
    const file = name?.startsWith("file:") ? fileURLToPath(name) : name; // an ES module's frames are URLs
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    // A component class's own constructor (its super() call) is not where the component is declared.
    const own = site.isConstructor() && skip.has(site.getFunctionName() ?? "");
    if (!file || !line || !column || own || !isProgramFile(file)) {
      continue;
    }
    const entry = findSourceMap(file)?.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
    if (entry?.originalSource && entry.originalLine !== undefined && entry.originalColumn !== undefined) {
      const source = entry.originalSource.startsWith("file:") ? fileURLToPath(entry.originalSource) : path.resolve(path.dirname(file), entry.originalSource);
      return { file: path.relative(job.projectDir, source), line: entry.originalLine + 1, column: entry.originalColumn + 1 };
    }
    return { file: path.relative(job.projectDir, file), line, column };
  }
  return null;
}

/** The names of a resource's class and the classes it extends. */
function ownConstructors(resource: unknown): Set<string> {
  const names = new Set<string>();
  for (let c = (resource as { constructor?: unknown })?.constructor; typeof c === "function" && c !== Object; c = Object.getPrototypeOf(c)) {
    if (c.name) names.add(c.name);
  }
  return names;
}
