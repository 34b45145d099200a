// What a project source file loads, read from its text: shared by the dependency and import-cycle checks.
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

/**
 * The module specifiers a file loads: imports, exports from, import types, import(), require(),
 * require.resolve(), and calls of a require made with createRequire (`createRequire(f)("x")`, or a
 * name bound to one).
 */
export function specifiersOf(fileName: string, text: string): string[] {
  const found = new Set(ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName));
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const requires = new Set<string>(["require"]);
  const isCreateRequire = (e: ts.Expression): boolean =>
    ts.isCallExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === "createRequire";
  const isRequire = (e: ts.Expression): boolean =>
    (ts.isIdentifier(e) && requires.has(e.text)) || isCreateRequire(e);
  const visit = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer && isCreateRequire(node.initializer)) {
      requires.add(node.name.text);
    }
    if (ts.isCallExpression(node) && node.arguments.length > 0 && ts.isStringLiteralLike(node.arguments[0])) {
      const callee = node.expression;
      const resolves = ts.isPropertyAccessExpression(callee) && callee.name.text === "resolve" && isRequire(callee.expression);
      if (isRequire(callee) || resolves) found.add(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...found];
}

export function sourceFiles(dir: string, skip: string[] = []): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!["node_modules", "bin"].includes(entry.name) && !skip.includes(full)) out.push(...sourceFiles(full, skip));
    } else if (/\.(ts|js|mjs|cjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
      out.push(full);
    }
  }
  return out;
}

/**
 * The project's own source files: those at the root (the pack's and the library's entries, the
 * tools' configs) and under each of `dirs`, never the test fixtures' programs.
 */
export function projectSources(root: string, dirs: readonly string[]): string[] {
  const rootFiles = fs.readdirSync(root).filter((f) => /\.(ts|js)$/.test(f)).map((f) => path.join(root, f));
  const fixtures = path.join(root, "test", "fixtures");
  return [...rootFiles, ...dirs.map((d) => path.join(root, d)).filter((d) => fs.existsSync(d)).flatMap((d) => sourceFiles(d, [fixtures]))];
}

/** The project file a relative specifier names, as Node.js or tsc resolves it; undefined for a package or a missing file. */
export function resolveLocal(fromFile: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = path.resolve(path.dirname(fromFile), specifier);
  const stem = base.replace(/\.js$/, "");
  const candidates = [base, `${stem}.ts`, `${base}.ts`, `${base}.js`, path.join(base, "index.ts"), path.join(base, "index.js")];
  return candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile());
}

/** The project files a file loads through relative specifiers. */
export function localImportsOf(file: string): string[] {
  const found = specifiersOf(file, fs.readFileSync(file, "utf8")).map((s) => resolveLocal(file, s));
  return [...new Set(found.filter((f): f is string => f !== undefined))];
}
