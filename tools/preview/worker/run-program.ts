// Loads and runs the program's entry point inside the SDK's stack, as the SDK's run.js does, noting
// where each resource is declared and what its class says about its properties.

import * as fs from "fs";
import * as path from "path";
import { createRequire } from "module";
import { pathToFileURL } from "url";

import { outputOnlyProperties } from "../planned-outputs";
import { recordDeclaration } from "./declarations";
import { job } from "./job";
import { recorded } from "./recorded";
import { SdkLike } from "./sdk";

export async function runProgram(sdk: SdkLike): Promise<void> {
  process.argv = [process.argv[0], job.entry];
  await sdk.runtime.runInPulumiStack(async () => {
    sdk.runtime.registerStackTransformation((args) => {
      recordDeclaration(args.type, args.name, args.resource);
      if (!recorded.types[args.type]) {
        recorded.types[args.type] = { all: Object.keys(args.props ?? {}), computed: outputOnlyProperties(args.resource) };
      }
      return undefined;
    });
    return loadProgram();
  });
}

async function loadProgram(): Promise<unknown> {
  let exported: unknown;
  if (job.esm) {
    const importModule = new Function("specifier", "return import(specifier)") as (s: string) => Promise<Record<string, unknown>>;
    let entry = job.entry;
    if (fs.statSync(entry).isDirectory()) {
      const index = ["index.js", "index.mjs"].map((f) => path.join(entry, f)).find((f) => fs.existsSync(f));
      if (!index) {
        throw new Error(`no index.js or index.mjs in ${entry}`);
      }
      entry = index;
    }
    const mod = await importModule(pathToFileURL(entry).href);
    // As the SDK's run.js: a default export is the program, and named exports beside it are an error.
    if (Object.getOwnPropertyDescriptor(mod, "default") !== undefined) {
      if (Object.keys(mod).length !== 1) {
        throw new Error("expected entrypoint module to have either a default export or named exports but not both");
      }
      exported = mod.default;
    } else {
      exported = mod;
    }
  } else {
    let entry = job.entry;
    if (fs.statSync(entry).isDirectory() && !entry.endsWith(path.sep)) {
      entry += path.sep;
    }
    exported = createRequire(path.join(job.projectDir, "noop.js"))(entry);
  }
  return exported instanceof Function ? await exported() : await exported;
}
