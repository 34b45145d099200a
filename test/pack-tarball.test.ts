// The pack as `pulumi policy publish` ships it: `npm pack` of this directory, unpacked into an empty
// directory, its dependencies installed with the command Pulumi runs there, then started as the CLI
// starts an installed pack and spoken to over the Analyzer protocol. Nothing here may resolve a
// module from this source tree: the unpacked pack must run on what its tarball and install give it.
//
// How Pulumi installs a published Node.js pack (pkg/backend/httpstate/policypack.go, the Node.js
// language host's InstallDependencies, sdk/nodejs/npm/npm.go): it extracts the tarball, moves its
// package/ folder to ~/.pulumi/policies/<org>/pulumi-analyzer-<name>-v<version>, and runs
// `npm install --loglevel=error` there, adding `--production` when PulumiPolicy.yaml's runtime options
// say `production: true`. npm runs the package's own `prepare` script on that install. The test
// installs with `--production`, the stricter of the two: it proves the pack needs nothing from
// devDependencies, and a full install only adds packages beside it.
//
// The same tarball is the library an organization's own pack installs from npm: examples/org-pack,
// copied into a scratch directory, installs it with `npm install <tarball>`, and is then run over
// the Analyzer protocol and through `npm run preview -- --policy-pack`.
import { SpawnSyncReturns, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PolicyPackClient, startPolicyPack } from "../tools/analyzer/client";
import { AnalyzeResult, ResourceToAnalyze } from "../tools/analyzer/types";
import type { PreviewReport } from "../tools/preview/report";

const ROOT = path.join(__dirname, "..");
const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  main: string;
  exports: Record<string, unknown>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const PACK_NAME = "cis-cloudtrail";
const POLICIES = [
  "aws-cloudtrail-stack-has-cis-trail",
  "aws-cloudtrail-trail-valid-configuration",
  "aws-cloudtrail-trail-meets-cis",
  "aws-cloudtrail-trail-log-file-validation",
  "aws-cloudtrail-trail-kms-encryption",
  "aws-cloudtrail-trail-cloudwatch-logs",
  "aws-cloudtrail-s3-object-write-events",
  "aws-cloudtrail-s3-object-read-events",
];
/** Pulumi Cloud stores and every stack's CLI downloads this tarball: keep it small. */
const MAX_TARBALL_BYTES = 200 * 1024;
/** Build, pack and an install from the npm cache take 20-40 s here; a cold cache or a busy CI machine more. */
const SETUP_TIMEOUT_MS = 300_000;
const COMMAND_TIMEOUT_MS = 240_000;

/** Files npm adds to any tarball when they exist, whatever "files" says. */
const DOCS_IF_PRESENT = ["README.md", "LICENSE", "LICENSE.md", "LICENCE", "NOTICE"];

interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string; size: number }[];
}

/**
 * The environment for a child npm: this one without what an enclosing `npm test` exports about this
 * package and its lifecycle, so the child sees only the directory it runs in.
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_package_|npm_lifecycle_|npm_command$|npm_config_local_prefix$|init_cwd$)/i.test(key)) env[key] = value;
  }
  return env;
}

function run(command: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env: childEnv(), encoding: "utf8", timeout: COMMAND_TIMEOUT_MS });
  if (result.error || result.status !== 0) {
    const why = result.error ? result.error.message : `exit ${result.status ?? result.signal}`;
    throw new Error(`${command} ${args.join(" ")} in ${cwd} failed (${why})\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

/** `npm pack --json` prints the array last; a lifecycle script may print before it. */
function parsePackJson(stdout: string): PackResult {
  const start = stdout.search(/^\[/m);
  if (start < 0) throw new Error(`npm pack printed no JSON:\n${stdout}`);
  const results = JSON.parse(stdout.slice(start)) as PackResult[];
  expect(results).toHaveLength(1);
  return results[0];
}

/** Every file under dir, relative and with forward slashes, skipping the named top-level entries. */
function listFiles(dir: string, skip: string[] = []): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (!rel && skip.includes(entry.name)) continue;
      if (entry.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  walk("");
  return out.sort();
}

/** The .js files tsc emits into bin/ for the TypeScript sources in a source folder. */
function emittedFor(sourceDir: string): string[] {
  return listFiles(path.join(ROOT, sourceDir))
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
    .flatMap((f) => [".js", ".d.ts"].map((ext) => `bin/${sourceDir}/${f.replace(/\.ts$/, ext)}`));
}

interface Packed {
  work: string;
  packed: PackResult;
  tarball: string;
}

let packing: Promise<Packed> | undefined;

/** Builds and packs the package once for every test here, as `pulumi policy publish` and `npm publish` do. */
function packOnce(): Promise<Packed> {
  packing ??= (async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "cis-cloudtrail-tarball-"));
    run("npm", ["run", "build", "--silent"], ROOT);
    // `pulumi policy publish` runs `npm pack --loglevel=error` in the pack's directory.
    const tarballs = path.join(work, "tarballs");
    fs.mkdirSync(tarballs);
    const packed = parsePackJson(run("npm", ["pack", "--json", "--loglevel=error", "--pack-destination", tarballs], ROOT).stdout);
    console.log(
      `${packed.filename}: ${packed.files.length} files, ${(packed.size / 1024).toFixed(1)} kB packed, ` +
        `${(packed.unpackedSize / 1024).toFixed(1)} kB unpacked`,
    );
    return { work, packed, tarball: path.join(tarballs, packed.filename) };
  })();
  return packing;
}

afterAll(async () => {
  const done = await packing?.catch(() => undefined);
  if (done) fs.rmSync(done.work, { recursive: true, force: true });
});

function trail(name: string, properties: Record<string, unknown>): ResourceToAnalyze {
  const type = "aws:cloudtrail/trail:Trail";
  return { type, name, urn: `urn:pulumi:prod::audit::${type}::${name}`, properties };
}

const bucket: ResourceToAnalyze = {
  type: "aws:s3/bucket:Bucket",
  name: "logs",
  urn: "urn:pulumi:prod::audit::aws:s3/bucket:Bucket::logs",
  properties: { bucket: "audit-logs" },
};

const mandatory = (result: AnalyzeResult) =>
  result.diagnostics.filter((d) => d.enforcementLevel === "mandatory").map((d) => d.policyName);

describe("the published tarball", () => {
  let work: string;
  let packed: PackResult;
  let packDir: string;
  let pack: PolicyPackClient | undefined;

  beforeAll(async () => {
    let tarball: string;
    ({ work, packed, tarball } = await packOnce());

    // Extract into an empty directory and move package/ where Pulumi would keep the installed pack.
    const extract = path.join(work, "extract");
    fs.mkdirSync(extract);
    run("tar", ["-xzf", tarball, "-C", extract], work);
    const policies = path.join(work, "policies");
    fs.mkdirSync(policies);
    packDir = path.join(policies, `pulumi-analyzer-${PACK_NAME}-v${PACKAGE.version}`);
    fs.renameSync(path.join(extract, "package"), packDir);

    run("npm", ["install", "--loglevel=error", "--production", "--prefer-offline", "--no-audit", "--no-fund"], packDir);
    pack = await startPolicyPack(packDir);
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await pack?.close();
  });

  /** The client, which beforeAll has started unless it failed (and then said why). */
  const client = (): PolicyPackClient => {
    if (!pack) throw new Error("the pack was not started");
    return pack;
  };

  test(`is under ${MAX_TARBALL_BYTES / 1024} kB`, () => {
    expect(packed.size).toBeGreaterThan(0);
    expect(packed.size).toBeLessThan(MAX_TARBALL_BYTES);
  });

  test("holds the built pack and library with their type declarations, manifest, prepare script and docs, and nothing else", () => {
    const files = packed.files.map((f) => f.path).sort();
    const required = [
      "CHANGELOG.md",
      "PulumiPolicy.yaml",
      PACKAGE.main,
      "bin/library.js",
      "bin/library.d.ts",
      ...emittedFor("lib"),
      ...emittedFor("live-account"),
      ...emittedFor("policies"),
      "package.json",
      "scripts/prepare.js",
    ].sort();
    const docs = DOCS_IF_PRESENT.filter((f) => fs.existsSync(path.join(ROOT, f)));
    expect(files.filter((f) => !docs.includes(f))).toEqual(required);
    expect(files).toEqual(expect.arrayContaining(docs));
  });

  test("leaves out tests, the test and bench stand-ins, examples, tools, sources, lockfiles and build state", () => {
    const files = packed.files.map((f) => f.path);
    const unwanted = files.filter(
      (f) =>
        /^(test|testing|examples|tools|bin\/tools|bin\/testing|node_modules|docs|\.github|\.ci)\//.test(f) ||
        (f.endsWith(".ts") && !f.endsWith(".d.ts")) ||
        /(^|\/)(tsconfig[^/]*\.json|package-lock\.json|\.tsbuildinfo|jest\.config\.js|eslint\.config\.js)$/.test(f),
    );
    expect(unwanted).toEqual([]);
  });

  test("installs with Pulumi's command, and prepare leaves the unpacked pack as packed", () => {
    // prepare.js builds only in a source checkout: the tarball has no sources, so bin/ stays as packed.
    expect(listFiles(packDir, ["node_modules", "package-lock.json"])).toEqual(packed.files.map((f) => f.path).sort());
    const installed = (name: string) => fs.existsSync(path.join(packDir, "node_modules", ...name.split("/"), "package.json"));
    expect(Object.keys(PACKAGE.dependencies).filter((name) => !installed(name))).toEqual([]);
    // A production install: devDependencies that no dependency needs are absent.
    expect(["@pulumi/aws", "@pulumi/aws-native", "@aws-sdk/client-ec2", "@aws-sdk/client-s3", "@aws-sdk/client-organizations", "jest", "eslint"]
      .filter(installed)).toEqual([]);
  });

  test("runs on the installed pack's own modules, none from the source tree", () => {
    const resolved = require.resolve("@pulumi/policy", { paths: [packDir] });
    expect(resolved.startsWith(packDir + path.sep)).toBe(true);
    expect(path.relative(ROOT, packDir).startsWith("..")).toBe(true);
  });

  test(`GetAnalyzerInfo names the pack ${PACK_NAME}, the package.json version and its eight policies`, async () => {
    const info = await client().getAnalyzerInfo();
    expect(info.name).toBe(PACK_NAME);
    expect(info.version).toBe(PACKAGE.version);
    expect(info.policies.map((p) => p.name)).toEqual(POLICIES);
    expect(info.policies.find((p) => p.name === POLICIES[0])).toMatchObject({ policyType: "stack", enforcementLevel: "mandatory" });
  });

  test("AnalyzeStack of a stack without a trail gives the mandatory stack-has-cis-trail violation", async () => {
    const result = await client().analyzeStack([bucket]);
    expect(mandatory(result)).toEqual(["aws-cloudtrail-stack-has-cis-trail"]);
    const [violation] = result.diagnostics;
    expect(violation).toMatchObject({ policyPackName: PACK_NAME, policyPackVersion: PACKAGE.version });
    expect(violation.message).toContain("This stack has no CloudTrail trail");
  });

  test("a compliant classic trail gives no mandatory diagnostic, in AnalyzeStack or Analyze", async () => {
    const compliant = trail("audit", {
      isMultiRegionTrail: true, s3BucketName: "audit-logs",
      eventSelectors: [{ readWriteType: "All", dataResources: [{ type: "AWS::S3::Object", values: ["arn:aws:s3"] }] }],
    });
    expect(await client().analyzeStack([bucket, compliant])).toEqual({ diagnostics: [], notApplicable: [] });
    expect(mandatory(await client().analyze(compliant))).toEqual([]);
  });

  test("a single-region trail still fails the stack", async () => {
    const singleRegion = trail("audit", { isMultiRegionTrail: false, s3BucketName: "audit-logs" });
    const result = await client().analyzeStack([bucket, singleRegion]);
    expect(mandatory(result)).toEqual(["aws-cloudtrail-stack-has-cis-trail"]);
    expect(result.diagnostics[0].urn).toBe(singleRegion.urn);
  });

  test("the pack wrote no errors while it ran", () => {
    expect(client().stderr()).not.toMatch(/error/i);
  });
});

const ORG_PACK = "acme-policies";
const ORG_POLICY = "acme-cloudtrail-trail-organization-trail";
/** What examples/org-pack/index.ts selects, in its order, and the level each runs at there. */
const ORG_POLICIES = {
  [ORG_POLICY]: "mandatory",
  "aws-cloudtrail-stack-has-cis-trail": "mandatory",
  "aws-cloudtrail-trail-valid-configuration": "mandatory",
  "aws-cloudtrail-trail-log-file-validation": "mandatory",
  "aws-cloudtrail-trail-kms-encryption": "mandatory",
};
/** ts-node type-checks the org pack's index.ts as it starts: seconds more than a built pack. */
const ORG_START_TIMEOUT_MS = 120_000;
const PREVIEW_TIMEOUT_MS = 240_000;

/** `npm run -s preview -- ...args` from the repository root, as a user runs it. */
function npmPreview(args: string[]): SpawnSyncReturns<string> {
  return spawnSync("npm", ["run", "-s", "preview", "--", ...args], {
    cwd: ROOT,
    env: { ...childEnv(), AWS_REGION: "", AWS_DEFAULT_REGION: "" },
    encoding: "utf8",
    timeout: PREVIEW_TIMEOUT_MS,
  });
}

describe("an organization's own pack that installs the packed library", () => {
  let orgDir: string;
  let tarball: string;
  let org: PolicyPackClient | undefined;

  beforeAll(async () => {
    const packedOnce = await packOnce();
    tarball = packedOnce.tarball;
    // examples/org-pack as an organization would start it: its own directory, outside this repository.
    orgDir = path.join(packedOnce.work, ORG_PACK);
    fs.mkdirSync(orgDir);
    const example = path.join(ROOT, "examples", "org-pack");
    for (const file of fs.readdirSync(example).filter((f) => f !== "node_modules")) {
      fs.copyFileSync(path.join(example, file), path.join(orgDir, file));
    }
    run("npm", ["install", "--loglevel=error", "--prefer-offline", "--no-audit", "--no-fund", tarball], orgDir);
    org = await startPolicyPack(orgDir, { startTimeoutMs: ORG_START_TIMEOUT_MS });
  }, SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await org?.close();
  });

  const client = (): PolicyPackClient => {
    if (!org) throw new Error("the organization's pack was not started");
    return org;
  };
  const library = () => path.join(orgDir, "node_modules", ...PACKAGE.name.split("/"));

  test("installs the library from the tarball, with one @pulumi/policy for the library and the pack", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(orgDir, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(manifest.dependencies[PACKAGE.name]).toBe(`file:${path.relative(orgDir, tarball)}`);
    const installed = JSON.parse(fs.readFileSync(path.join(library(), "package.json"), "utf8")) as { version: string };
    expect(installed.version).toBe(PACKAGE.version);
    // Two copies would each have their own classes and deserializer: the library's checks and guard
    // would not see the pack's requests.
    const sdk = (from: string) => require.resolve("@pulumi/policy", { paths: [from] });
    expect(sdk(library())).toBe(sdk(orgDir));
    expect(sdk(orgDir).startsWith(orgDir + path.sep)).toBe(true);
    const present = (name: string) => fs.existsSync(path.join(orgDir, "node_modules", ...name.split("/"), "package.json"));
    // The library's devDependencies stay out of an organization's pack.
    expect(["@pulumi/aws", "@pulumi/aws-native", "@aws-sdk/client-ec2", "@aws-sdk/client-s3", "jest", "eslint"].filter(present)).toEqual([]);
  });

  test("resolves the package's exports only: its entry and types, no file inside it", () => {
    // Node.js's own resolution, from the org pack's directory, as the pack's `import` runs.
    const script = `for (const s of process.argv.slice(1)) { try { console.log(require.resolve(s)); } catch (e) { console.log(e.code); } }`;
    const result = run(process.execPath, ["-e", script, PACKAGE.name, `${PACKAGE.name}/bin/policies/common`, `${PACKAGE.name}/package.json`], orgDir);
    const installed = fs.realpathSync(library());
    expect(result.stdout.trim().split("\n")).toEqual([
      path.join(installed, "bin", "library.js"),
      "ERR_PACKAGE_PATH_NOT_EXPORTED",
      path.join(installed, "package.json"),
    ]);
    expect(fs.existsSync(path.join(library(), "bin", "library.d.ts"))).toBe(true);
  });

  test("GetAnalyzerInfo lists its own policy and the selected ones, at the levels it chose", async () => {
    const info = await client().getAnalyzerInfo();
    expect(info.name).toBe(ORG_PACK);
    expect(Object.fromEntries(info.policies.map((p) => [p.name, p.enforcementLevel]))).toEqual(ORG_POLICIES);
    expect(info.policies.map((p) => p.name)).toEqual(Object.keys(ORG_POLICIES));
    // A selected policy keeps its metadata and config schema.
    const stack = info.policies.find((p) => p.name === "aws-cloudtrail-stack-has-cis-trail");
    expect(stack).toMatchObject({ policyType: "stack", severity: "high" });
    expect(Object.keys(stack?.configSchema?.properties ?? {})).toEqual(expect.arrayContaining(["scope", "ownerStackTag"]));
  });

  test("Analyze of a single-account trail: its own policy and the selected ones report it, mandatory", async () => {
    const result = await client().analyze(trail("audit", { isMultiRegionTrail: true, s3BucketName: "audit-logs" }));
    expect(mandatory(result).sort()).toEqual([ORG_POLICY, "aws-cloudtrail-trail-kms-encryption", "aws-cloudtrail-trail-log-file-validation"]);
    expect(result.diagnostics.find((d) => d.policyName === ORG_POLICY)?.message)
      .toContain('The trail "audit" is not an organization trail: set isOrganizationTrail to true.');
    expect(result.diagnostics.every((d) => d.policyPackName === ORG_PACK)).toBe(true);
  });

  test("Analyze of a trail that meets all of them reports nothing", async () => {
    const result = await client().analyze(trail("audit", {
      isMultiRegionTrail: true, isOrganizationTrail: true, s3BucketName: "audit-logs", enableLogFileValidation: true,
      kmsKeyId: "arn:aws:kms:us-east-1:111122223333:key/example",
    }));
    expect(result.diagnostics).toEqual([]);
  });

  test("AnalyzeStack without a trail gives the selected stack policy's violation", async () => {
    const result = await client().analyzeStack([bucket]);
    expect(mandatory(result)).toEqual(["aws-cloudtrail-stack-has-cis-trail"]);
  });

  test("npm run preview -- --policy-pack <the org pack> blocks examples/noncompliant-trail", () => {
    const result = npmPreview(["--policy-pack", orgDir, "examples/noncompliant-trail"]);
    expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status: 1 });
    expect(result.stdout).toContain(`FAILED  ${ORG_PACK}@v0.1.0`);
    expect(result.stdout).toContain(`[mandatory]  ${ORG_POLICY}`);
    expect(result.stdout).toContain("[mandatory]  aws-cloudtrail-stack-has-cis-trail");
    expect(result.stdout).toContain("[mandatory]  aws-cloudtrail-trail-kms-encryption");
  }, PREVIEW_TIMEOUT_MS);

  test("the policy config of the selected policies applies in the org pack, and names only what it selected", () => {
    const configFile = path.join(orgDir, "policy-config.json");
    fs.writeFileSync(configFile, JSON.stringify({
      "aws-cloudtrail-trail-kms-encryption": { exemptTrails: ["regional-read-only"] },
      "aws-cloudtrail-trail-log-file-validation": "advisory",
    }));
    const result = npmPreview(["--json", "--policy-pack", orgDir, "--policy-pack-config", configFile, "examples/noncompliant-trail"]);
    expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status: 1 });
    const report = JSON.parse(result.stdout) as PreviewReport;
    const at = (policy: string) => report.diagnostics.filter((d) => d.policyName === policy)
      .map((d) => `${d.enforcementLevel} ${d.urn.split("::").pop()}`).sort();
    expect(at("aws-cloudtrail-trail-kms-encryption")).toEqual(["mandatory all-regions-read-only"]);
    expect(at("aws-cloudtrail-trail-log-file-validation")).toEqual(["advisory all-regions-read-only", "advisory regional-read-only"]);
    expect(at(ORG_POLICY)).toEqual(["mandatory all-regions-read-only", "mandatory regional-read-only"]);

    // A policy the org pack did not select is not in it: configuring it is an error, as with the CLI.
    fs.writeFileSync(configFile, JSON.stringify({ "aws-cloudtrail-trail-cloudwatch-logs": { exemptTrails: [] } }));
    const unselected = npmPreview(["--policy-pack", orgDir, "--policy-pack-config", configFile, "examples/noncompliant-trail"]);
    expect(unselected.status).toBe(2);
    expect(unselected.stderr).toContain("aws-cloudtrail-trail-cloudwatch-logs");
  }, 2 * PREVIEW_TIMEOUT_MS);

  test("the org pack wrote no errors while it ran", () => {
    expect(client().stderr()).not.toMatch(/error/i);
  });
});
