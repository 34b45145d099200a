// The GitHub Actions workflows are meant to be copied and run as written: each lists the secrets and
// variables it reads at the top, tests the Node.js versions package.json supports, and uses
// pulumi/actions and github/codeql-action with inputs those actions document.
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";

const ROOT = path.join(__dirname, "..");
const DIR = path.join(ROOT, ".github", "workflows");
const ENGINES = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).engines.node as string;

interface Step { name?: string; uses?: string; run?: string; if?: string; with?: Record<string, unknown> }
interface Job { needs?: string | string[]; env?: Record<string, string>; strategy?: { matrix?: { "node-version"?: number[] } }; steps: Step[] }
interface Workflow { on: Record<string, unknown>; permissions?: Record<string, string>; jobs: Record<string, Job> }

const files = fs.readdirSync(DIR).filter((f) => f.endsWith(".yml")).sort();
const text = (file: string) => fs.readFileSync(path.join(DIR, file), "utf8");
const workflow = (file: string) => parseYaml(text(file)) as Workflow;
const steps = (file: string) => Object.values(workflow(file).jobs).flatMap((j) => j.steps);
const using = (file: string, action: string) => steps(file).filter((s) => s.uses?.startsWith(`${action}@`));

/** The inputs pulumi/actions v7 declares in its action.yml. */
const PULUMI_ACTION_INPUTS = [
  "command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir", "comment-on-pr", "comment-on-pr-number",
  "comment-on-summary", "github-token", "cloud-url", "secrets-provider", "parallel", "message", "config-map",
  "expect-no-changes", "diff", "replace", "exclude", "exclude-dependents", "target", "target-dependents", "policyPacks",
  "policyPackConfigs", "refresh", "upsert", "remove", "edit-pr-comment", "color", "exclude-protected", "plan",
  "suppress-outputs", "suppress-progress", "always-include-summary", "continue-on-error", "log-verbosity", "log-flow", "debug",
];

describe("GitHub Actions workflows", () => {
  test("the three workflows are there", () => {
    expect(files).toEqual(["offline-policy-check.yml", "policy-preview.yml", "release.yml"]);
  });

  test.each(files)("%s lists every secret and variable it reads in its opening comment", (file) => {
    const header = text(file).split("\nname:")[0];
    const read = new Set([...text(file).matchAll(/\b(secrets|vars)\.([A-Z0-9_]+)/g)].map((m) => `${m[1]}.${m[2]}`));
    read.delete("secrets.GITHUB_TOKEN"); // GitHub provides it to every workflow.
    for (const ref of read) {
      const [kind, name] = ref.split(".");
      expect({ ref, listed: new RegExp(`#\\s+${kind === "secrets" ? "secret" : "variable"}\\s+${name}\\b`).test(header) })
        .toEqual({ ref, listed: true });
    }
  });

  test.each(files)("%s pins every action to a major version", (file) => {
    for (const s of steps(file).filter((x) => x.uses)) expect(s.uses).toMatch(/^[\w-]+\/[\w/-]+@v\d+$/);
  });

  test("tests run on Node.js 22 and 24, and package.json supports 22 and later", () => {
    expect(ENGINES).toBe(">=22");
    for (const file of ["offline-policy-check.yml", "release.yml"]) {
      const matrices = Object.values(workflow(file).jobs).map((j) => j.strategy?.matrix?.["node-version"]).filter(Boolean);
      expect({ file, matrices }).toEqual({ file, matrices: [[22, 24]] });
    }
    for (const file of files) {
      for (const s of using(file, "actions/setup-node")) {
        expect([22, "${{ matrix.node-version }}"]).toContain(s.with?.["node-version"]);
      }
    }
  });

  test("the pull-request workflow previews with pulumi/actions, the pack and its config, and comments on the pull request", () => {
    const [action, ...more] = using("policy-preview.yml", "pulumi/actions");
    expect(more).toEqual([]);
    expect(action.uses).toBe("pulumi/actions@v7");
    expect(action.with).toMatchObject({
      command: "preview",
      "stack-name": "${{ env.PULUMI_STACK }}",
      "work-dir": "${{ env.PULUMI_STACK_DIR }}",
      policyPacks: "${{ github.workspace }}",
      policyPackConfigs: "${{ github.workspace }}/${{ env.POLICY_PACK_CONFIG }}",
      "comment-on-pr": true,
    });
    for (const input of Object.keys(action.with ?? {})) expect(PULUMI_ACTION_INPUTS).toContain(input);
    expect(workflow("policy-preview.yml").permissions).toMatchObject({ "pull-requests": "write", "id-token": "write" });
  });

  test("a version tag runs the tests on every supported Node.js, then publishes the pack and the library", () => {
    const release = workflow("release.yml");
    expect(release.on).toEqual({ push: { tags: ["v*.*.*"] } });
    expect(release.jobs.test.steps.map((s) => s.run)).toContain("npm test");
    expect(release.jobs.publish.needs).toBe("test");
    const runs = release.jobs.publish.steps.map((s) => s.run ?? s.uses);
    const install = runs.findIndex((r) => r?.startsWith("npm ci"));
    const token = runs.indexOf("npm whoami");
    const cli = runs.indexOf("pulumi/actions@v7");
    const publish = runs.findIndex((r) => r?.startsWith("pulumi policy publish"));
    const npmPublish = runs.findIndex((r) => /^\s*(\*\)\s*)?npm publish --access public\s*;;$/m.test(r ?? ""));
    expect(install).toBeGreaterThanOrEqual(0);
    expect(token).toBeGreaterThan(install);
    expect(cli).toBeGreaterThan(token);
    expect(publish).toBeGreaterThan(cli);
    // The same checkout and build go to npm, authenticated the way actions/setup-node sets up.
    expect(npmPublish).toBeGreaterThan(publish);
    expect(release.jobs.publish.env?.NODE_AUTH_TOKEN).toBe("${{ secrets.NPM_TOKEN }}");
    const [setup] = using("release.yml", "actions/setup-node").filter((s) => s.with?.["node-version"] === 22);
    expect(setup.with?.["registry-url"]).toBe("https://registry.npmjs.org");
  });

  test("package.json can be published to npm: not private, a valid name, and the library as its exports", () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as Record<string, unknown>;
    expect(manifest.private).toBeUndefined();
    expect(manifest.name).toMatch(/^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/);
    expect((manifest.exports as Record<string, unknown>)["."]).toEqual({ types: "./bin/library.d.ts", default: "./bin/library.js" });
  });

  test("the offline check uploads the preview's SARIF file to code scanning", () => {
    const all = steps("offline-policy-check.yml");
    const scan = all.find((s) => s.run?.includes("--sarif"));
    const file = /--sarif (\S+)/.exec(scan?.run ?? "")?.[1];
    const upload = all.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"))!;
    expect(file).toBe("policy-results.sarif");
    expect(upload.with?.sarif_file).toBe(file);
    expect(all.indexOf(upload)).toBeGreaterThan(all.indexOf(scan!));
    expect(workflow("offline-policy-check.yml").permissions).toMatchObject({ "security-events": "write" });
  });
});
