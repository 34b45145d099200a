// Every package a source file loads is declared in its package.json: the pack's own files (what
// `pulumi policy publish` ships, installed with `npm install --production`) only what "dependencies"
// lists, everything else "dependencies" or "devDependencies". A package that merely happens to be
// installed, because another package depends on it, can disappear with any upgrade.
import * as fs from "fs";
import { builtinModules } from "module";
import * as path from "path";
import * as ts from "typescript";
import { localImportsOf, projectSources, sourceFiles, specifiersOf } from "./source-imports";

const ROOT = path.join(__dirname, "..");

interface Manifest {
  main?: string;
  types?: string;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function manifest(dir: string): Manifest {
  return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as Manifest;
}

/** The package a module specifier names, or undefined for a relative path or a Node.js built-in. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("node:")) return undefined;
  const parts = specifier.split("/");
  const name = specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
  return builtinModules.includes(name) ? undefined : name;
}

/** Where a package's types live when it has none: "@types/x", "@types/scope__x". */
function typesPackage(pkg: string): string {
  return `@types/${pkg.replace(/^@([^/]+)\//, "$1__")}`;
}

/** "file: package" for each package a file loads that the allowed set does not hold. */
function undeclared(files: string[], allowed: Set<string>): string[] {
  const missing: string[] = [];
  for (const file of files) {
    for (const specifier of specifiersOf(file, fs.readFileSync(file, "utf8"))) {
      const pkg = packageOf(specifier);
      if (pkg !== undefined && !allowed.has(pkg) && !allowed.has(typesPackage(pkg))) missing.push(`${path.relative(ROOT, file)}: ${pkg}`);
    }
  }
  return missing;
}

const declared = (m: Manifest, dev: boolean) =>
  new Set([...Object.keys(m.dependencies ?? {}), ...(dev ? Object.keys(m.devDependencies ?? {}) : [])]);

describe("declared dependencies", () => {
  test("the scanner finds every way a file loads a package", () => {
    const text = [
      'import a from "pkg-a";',
      'import type { B } from "@scope/pkg-b/sub/path";',
      'export { c } from "pkg-c";',
      'const d = require("pkg-d");',
      'const e = import("pkg-e");',
      'const f = createRequire(__filename)("pkg-f");',
      "const here = createRequire(__filename);",
      'here("pkg-g"); here.resolve("pkg-h"); require.resolve("pkg-i/package.json");',
      'import * as fs from "fs"; import * as p from "node:path"; import x from "./local";',
    ].join("\n");
    const packages = specifiersOf("sample.ts", text).map(packageOf).filter((p) => p !== undefined).sort();
    expect(packages).toEqual(["@scope/pkg-b", "pkg-a", "pkg-c", "pkg-d", "pkg-e", "pkg-f", "pkg-g", "pkg-h", "pkg-i"]);
  });

  /** The folders the package ships, beside the pack's and the library's entries. */
  const SHIPPED_DIRS = ["policies", "lib", "live-account"];
  /** The sources of what the package ships: the pack's entry, the library's, the policies, lib/ and the live-account reader. */
  const shippedSources = () => [
    path.join(ROOT, "index.ts"), path.join(ROOT, "library.ts"),
    ...SHIPPED_DIRS.flatMap((dir) => sourceFiles(path.join(ROOT, dir))),
  ];

  test("the files the pack and the library ship load only its dependencies", () => {
    const root = manifest(ROOT);
    expect(undeclared(shippedSources(), declared(root, false))).toEqual([]);
  });

  test("no shipped file, and no product tool, loads the test and bench stand-ins in testing/", () => {
    const testing = path.join(ROOT, "testing") + path.sep;
    const product = [...shippedSources(), ...sourceFiles(path.join(ROOT, "tools"), [path.join(ROOT, "tools", "bench")])];
    expect(sourceFiles(path.join(ROOT, "testing")).length).toBeGreaterThan(0);
    const loads = product.flatMap((f) => localImportsOf(f).filter((i) => i.startsWith(testing)).map((i) => `${path.relative(ROOT, f)}: ${path.relative(ROOT, i)}`));
    expect(loads).toEqual([]);
  });

  test("the files the pack ships load no file it does not ship: no tool, test or bench infrastructure", () => {
    const shipped = new Set(shippedSources());
    const outside: string[] = [];
    for (const file of shipped) {
      for (const specifier of specifiersOf(file, fs.readFileSync(file, "utf8")).filter((s) => s.startsWith("."))) {
        const target = path.resolve(path.dirname(file), specifier);
        if (![".ts", "/index.ts"].some((ext) => shipped.has(target + ext))) outside.push(`${path.relative(ROOT, file)}: ${specifier}`);
      }
    }
    expect(shipped.size).toBeGreaterThan(20);
    expect(outside).toEqual([]);
  });

  /** What a file loads as soon as it is loaded: its value imports and re-exports, not `import type` nor `import()`. */
  function eagerSpecifiers(file: string): string[] {
    const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const out: string[] = [];
    for (const statement of source.statements) {
      if (ts.isImportDeclaration(statement) && !statement.importClause?.isTypeOnly && ts.isStringLiteral(statement.moduleSpecifier)) {
        out.push(statement.moduleSpecifier.text);
      } else if (ts.isExportDeclaration(statement) && !statement.isTypeOnly && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
        out.push(statement.moduleSpecifier.text);
      }
    }
    return out;
  }

  test("the pack's start loads no AWS SDK: the live-account reader is loaded only when liveAccount is on", () => {
    const loaded = new Set<string>();
    const sdk: string[] = [];
    const visit = (file: string): void => {
      if (loaded.has(file)) return;
      loaded.add(file);
      for (const specifier of eagerSpecifiers(file)) {
        if (specifier.startsWith(".")) {
          const target = path.resolve(path.dirname(file), specifier);
          const next = [`${target}.ts`, path.join(target, "index.ts")].find((f) => fs.existsSync(f));
          if (next) visit(next);
        } else if (specifier.startsWith("@aws-sdk/")) {
          sdk.push(`${path.relative(ROOT, file)}: ${specifier}`);
        }
      }
    };
    visit(path.join(ROOT, "index.ts"));
    expect(loaded.has(path.join(ROOT, "policies", "stack-has-cis-trail.ts"))).toBe(true);
    expect([...loaded].filter((f) => f.includes(`${path.sep}live-account`))).toEqual([]);
    expect(sdk).toEqual([]);
  });

  test("every shipped folder is in package.json's files", () => {
    const files = (manifest(ROOT) as Manifest & { files: string[] }).files;
    expect(SHIPPED_DIRS.filter((dir) => !files.includes(`bin/${dir}/**/*.js`) || !files.includes(`bin/${dir}/**/*.d.ts`))).toEqual([]);
  });

  test("main, types and every export are built from those sources, not from tools/ or tests", () => {
    const root = manifest(ROOT);
    const targets = [root.main, root.types, ...Object.values(root.exports ?? {}).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t)))]
      .filter((t): t is string => t !== undefined && t !== "./package.json");
    expect(targets.length).toBeGreaterThanOrEqual(4);
    const sourceOf = (target: string) => path.join(ROOT, path.normalize(target).replace(/^bin[\\/]/, "").replace(/(\.d)?\.ts$|\.js$/, ".ts"));
    expect(targets.filter((t) => !shippedSources().includes(sourceOf(t)))).toEqual([]);
  });

  test("tools, tests and scripts load only declared packages", () => {
    const root = manifest(ROOT);
    const files = projectSources(ROOT, ["tools", "testing", "scripts", "test"]);
    expect(files.length).toBeGreaterThan(30);
    expect(undeclared(files, declared(root, true))).toEqual([]);
  });

  test("google-protobuf is one copy, the one @pulumi/pulumi's stubs serialize with", () => {
    const stubs = require.resolve("@pulumi/pulumi/proto/analyzer_pb");
    const theirs = require.resolve("google-protobuf", { paths: [path.dirname(stubs)] });
    const ours = require.resolve("google-protobuf", { paths: [ROOT] });
    if (theirs !== ours) {
      throw new Error(`@pulumi/pulumi's stubs load ${path.relative(ROOT, theirs)}, tools/analyzer loads ${path.relative(ROOT, ours)}: ` +
        "make package.json's google-protobuf range match the SDK's, so npm installs one copy");
    }
  });

  test.each(["compliant-trail", "noncompliant-trail", "org-pack"])("examples/%s loads only what its own package.json declares", (example) => {
    const dir = path.join(ROOT, "examples", example);
    expect(undeclared(sourceFiles(dir), declared(manifest(dir), true))).toEqual([]);
  });
});
