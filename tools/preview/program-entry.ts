// The program's entry point, module kind, working directory and node arguments, as the Node.js
// language host finds them from Pulumi.yaml and package.json.

import * as fs from "fs";
import * as path from "path";

import { isObject } from "../analyzer/types";
import { PreviewError } from "./errors";

export function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(file, "utf8"));
    return isObject(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function runtimeOptionsOf(runtime: unknown): { typescript: boolean; nodeArgs: string[] } {
  const options = isObject(runtime) && isObject(runtime.options) ? runtime.options : {};
  // The Node.js language host's own checks and messages.
  if (options.typescript !== undefined && typeof options.typescript !== "boolean") {
    throw new PreviewError("typescript option must be a boolean");
  }
  if (options.nodeargs !== undefined && typeof options.nodeargs !== "string") {
    throw new PreviewError("nodeargs option must be a string");
  }
  return { typescript: options.typescript !== false, nodeArgs: splitNodeArgs(options.nodeargs ?? "") };
}

/** Splits runtime.options.nodeargs into arguments as the language host does (shell words: quotes, backslashes, # comments). */
function splitNodeArgs(text: string): string[] {
  const args: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (/\s/.test(c)) {
      if (word !== undefined) args.push(word);
      word = undefined;
    } else if (c === "#" && word === undefined) {
      const eol = text.indexOf("\n", i);
      i = eol < 0 ? text.length : eol;
    } else if (c === "\\") {
      if (++i >= text.length) throw new PreviewError("runtime.options.nodeargs: EOF found after escape character");
      word = (word ?? "") + text[i];
    } else if (c === "'" || c === '"') {
      word ??= "";
      for (i++; ; i++) {
        if (i >= text.length) throw new PreviewError("runtime.options.nodeargs: EOF found when expecting closing quote");
        if (text[i] === c) break;
        if (c === '"' && text[i] === "\\") {
          if (++i >= text.length) throw new PreviewError("runtime.options.nodeargs: EOF found after escape character");
        }
        word += text[i];
      }
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) args.push(word);
  return args;
}
/** The entry point as the Node.js language host finds it. */
export function findEntry(dir: string, main: string | undefined, warnings: string[]): string {
  if (main !== undefined) {
    const entry = path.resolve(dir, main);
    if (!fs.existsSync(entry)) {
      throw new PreviewError(`Pulumi.yaml names main ${main}, which does not exist in ${dir}`);
    }
    return entry;
  }
  const pkg = readJson(path.join(dir, "package.json"));
  const exp = pkg?.exports;
  let declared: unknown;
  if (typeof exp === "string") {
    declared = exp;
  } else if (isObject(exp)) {
    const dot = exp["."];
    declared = typeof dot === "string" ? dot : isObject(dot) ? (dot.default ?? dot.require ?? dot.import) : undefined;
  } else {
    declared = pkg?.main;
  }
  if (typeof declared === "string" && declared !== "") {
    const entry = path.resolve(dir, declared);
    if (fs.existsSync(entry)) {
      return entry;
    }
    warnings.push(`package.json names entry point ${declared}, which does not exist; loading ${dir} instead`);
  }
  return dir;
}

export function hasIndex(dir: string): boolean {
  return ["index.js", "index.ts", "index.mjs", "index.cjs"].some((f) => fs.existsSync(path.join(dir, f)));
}

export function isEsm(dir: string, entry: string): boolean {
  if (entry.endsWith(".mjs")) {
    return true;
  }
  // The nearest package.json above the entry point decides, as in Node.
  let d = fs.existsSync(entry) && fs.statSync(entry).isDirectory() ? entry : path.dirname(entry);
  for (;;) {
    const pkg = readJson(path.join(d, "package.json"));
    if (pkg) {
      return pkg.type === "module";
    }
    const up = path.dirname(d);
    if (up === d || path.relative(dir, up).startsWith("..")) {
      return false;
    }
    d = up;
  }
}

/** The working directory the engine gives the program: main's directory, or main itself when it is one. */
export function programDir(dir: string, main: string | undefined, entry: string): string {
  if (main === undefined) {
    return dir;
  }
  return fs.statSync(entry).isDirectory() ? entry : path.dirname(entry);
}
