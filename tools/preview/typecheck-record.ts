// What the type check's process and the preview say to each other, and how a checked file is
// stamped so that a later run can tell whether anything the check read has changed.

import * as crypto from "crypto";
import * as fs from "fs";

/** How to check one program, passed to the check's process as its single argument (JSON). */
export interface CheckJob {
  /** The directory the program runs in: tsconfig.json and relative paths are taken from it. */
  cwd: string;
  /** The program's entry file (.ts or .tsx). */
  entry: string;
  /** PULUMI_NODEJS_TSCONFIG_PATH, else "tsconfig.json". */
  tsconfigPath: string;
  /** The TypeScript compiler module to load: the one the program's @pulumi/pulumi resolves. */
  typescript: string;
  /** Where TypeScript keeps its incremental build info for this program: outside the program's folder. */
  buildInfoFile: string;
}

/** One error as ts-node reports it; file is relative to the program's directory. */
export interface TypeScriptError {
  file?: string;
  line?: number;
  column?: number;
  code: number;
  message: string;
  /** A syntax error: the program fails to load, and says so itself. */
  syntactic: boolean;
}

/** Every path the check consulted ("read:", "file:", "dir:", "dirs:", "real:" + absolute path) and its stamp then. */
export type CheckedFiles = Record<string, string>;

export type TypeCheckOutcome =
  | { kind: "checked"; errors: TypeScriptError[]; files: CheckedFiles }
  | { kind: "skipped"; reason: "noCheck"; files: CheckedFiles };

export type TypeCheckMessage =
  | { kind: "syntax"; errors: boolean }
  | { kind: "done"; outcome: TypeCheckOutcome }
  | { kind: "error"; message: string };

/** A file of the program's own, as ts-node sees it: its ignore list is node_modules. */
export function isOwnFile(file: string): boolean {
  return !/[\\/]node_modules[\\/]/.test(file);
}

function stat(p: string): fs.Stats | undefined {
  return fs.statSync(p, { throwIfNoEntry: false });
}

/**
 * What a path was when the compiler consulted it: a hash of the content of the program's own files
 * (an edit that keeps size and time cannot slip through), size, times and inode for installed
 * packages and TypeScript's libraries, existence for look-ups, the entries of a listed directory.
 */
export function stampOf(kind: "read" | "file" | "dir" | "dirs" | "real", p: string): string {
  try {
    switch (kind) {
      case "read": {
        if (isOwnFile(p)) {
          return `h:${crypto.createHash("sha1").update(fs.readFileSync(p)).digest("hex")}`;
        }
        // npm gives every installed file the same mtime: the inode and its change time tell a reinstall.
        const st = stat(p);
        return st?.isFile() ? `s:${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}` : "-";
      }
      case "file":
        return stat(p)?.isFile() ? "f" : "-";
      case "dir":
        return stat(p)?.isDirectory() ? "d" : "-";
      case "dirs":
        return `l:${crypto.createHash("sha1").update(fs.readdirSync(p).sort().join("\n")).digest("hex")}`;
      case "real":
        return `r:${fs.realpathSync.native(p)}`;
    }
  } catch {
    return "-";
  }
}

/** Whether every path a check consulted is still what it was. */
export function unchanged(files: CheckedFiles): boolean {
  for (const [key, stamp] of Object.entries(files)) {
    const colon = key.indexOf(":");
    if (stampOf(key.slice(0, colon) as Parameters<typeof stampOf>[0], key.slice(colon + 1)) !== stamp) {
      return false;
    }
  }
  return true;
}
