// The same pack as a TypeScript pack without a build step: package.json has no "main", so
// run-policy-pack finds index.ts through ts-node, which type-checks and compiles it at start.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface NaivePack {
  dir: string;
  /** A ts-node cache directory no run has used: the first start of a pack on a machine. */
  freshCache(): string;
  remove(): void;
}

export function makeNaivePack(repo: string): NaivePack {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cis-cloudtrail-naive-"));
  for (const entry of ["index.ts", "library.ts", "policies", "lib", "PulumiPolicy.yaml"]) {
    fs.cpSync(path.join(repo, entry), path.join(dir, entry), { recursive: true });
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8"));
  delete pkg.main;
  delete pkg.scripts;
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  // The repository's compiler options, for the pack's own sources only, compiled in memory.
  const tsconfig = JSON.parse(fs.readFileSync(path.join(repo, "tsconfig.json"), "utf8"));
  for (const key of ["incremental", "tsBuildInfoFile", "rootDir", "outDir"]) delete tsconfig.compilerOptions[key];
  tsconfig.include = ["index.ts", "library.ts", "policies/**/*.ts", "lib/**/*.ts"];
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(tsconfig, null, 2) + "\n");
  // The installed dependencies, as `pulumi policy` installs them beside a pack.
  fs.symlinkSync(path.join(repo, "node_modules"), path.join(dir, "node_modules"), "dir");
  let caches = 0;
  return {
    dir,
    freshCache: () => path.join(dir, ".ts-node-cache", String(caches++)),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
