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
import { SpawnSyncReturns, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PolicyPackClient, startPolicyPack } from "../tools/analyzer/client";
import { AnalyzeResult, ResourceToAnalyze } from "../tools/analyzer/types";

const ROOT = path.join(__dirname, "..");
const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  main: string;
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
    .map((f) => `bin/${sourceDir}/${f.replace(/\.ts$/, ".js")}`);
}

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
    work = fs.mkdtempSync(path.join(os.tmpdir(), "cis-cloudtrail-tarball-"));
    run("npm", ["run", "build", "--silent"], ROOT);
    // `pulumi policy publish` runs `npm pack --loglevel=error` in the pack's directory.
    const tarballs = path.join(work, "tarballs");
    fs.mkdirSync(tarballs);
    packed = parsePackJson(run("npm", ["pack", "--json", "--loglevel=error", "--pack-destination", tarballs], ROOT).stdout);
    const tarball = path.join(tarballs, packed.filename);
    console.log(
      `${packed.filename}: ${packed.files.length} files, ${(packed.size / 1024).toFixed(1)} kB packed, ` +
        `${(packed.unpackedSize / 1024).toFixed(1)} kB unpacked`,
    );

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
    if (work) fs.rmSync(work, { recursive: true, force: true });
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

  test("holds the built pack, its manifest, prepare script and docs, and nothing else", () => {
    const files = packed.files.map((f) => f.path).sort();
    const required = [
      "CHANGELOG.md",
      "PulumiPolicy.yaml",
      PACKAGE.main,
      ...emittedFor("lib"),
      ...emittedFor("policies"),
      "package.json",
      "scripts/prepare.js",
    ].sort();
    const docs = DOCS_IF_PRESENT.filter((f) => fs.existsSync(path.join(ROOT, f)));
    expect(files.filter((f) => !docs.includes(f))).toEqual(required);
    expect(files).toEqual(expect.arrayContaining(docs));
  });

  test("leaves out tests, examples, tools, sources, lockfiles and build state", () => {
    const files = packed.files.map((f) => f.path);
    const unwanted = files.filter(
      (f) =>
        /^(test|examples|tools|bin\/tools|node_modules|docs|\.github|\.ci)\//.test(f) ||
        f.endsWith(".ts") ||
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
    expect(["@pulumi/aws", "@pulumi/aws-native", "jest", "eslint"].filter(installed)).toEqual([]);
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
