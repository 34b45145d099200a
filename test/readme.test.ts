// The README documents every policy and option exactly as the pack defines them, and shows what
// the tools really print and need, so the docs cannot drift from the code.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { Policy } from "@pulumi/policy";
import Ajv from "ajv";
import { policies } from "../policies";
import { parseStateExport } from "../tools/preview/state";
import { PREVIEW_MAIN, runCli } from "./run-cli";

const ROOT = path.join(__dirname, "..");

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
const README = read("README.md");
/** The full option reference, linked from the README's policy table. */
const POLICIES_DOC = read("docs/policies.md");
const PREVIEW_DOC = read("docs/offline-preview.md");

/** Rows of the first table after a heading, as arrays of trimmed cells. */
function tableAfter(heading: string, text = README): string[][] {
  const start = text.indexOf(`${heading}\n`);
  if (start < 0) return [];
  const lines = text.slice(start).split("\n").slice(1);
  const next = lines.findIndex((l) => l.startsWith("#"));
  return lines.slice(0, next < 0 ? undefined : next)
    .filter((l) => l.startsWith("|") && !/^\|\s*-/.test(l))
    .slice(1)
    .map((l) => l.split("|").slice(1, -1).map((c) => c.trim()));
}

const unquote = (cell: string) => cell.replace(/^`|`$/g, "");

describe("README", () => {
  test("the policies table lists every policy with its kind, level, severity and CIS control", () => {
    const rows = tableAfter("## Policies");
    expect(rows.map((r) => unquote(r[0]))).toEqual(policies.map((p) => p.name));
    for (const [name, kind, level, severity, control] of rows) {
      const policy = policies.find((p) => p.name === unquote(name)) as Policy & { validateStack?: unknown };
      expect(kind.startsWith(policy.validateStack ? "stack" : "resource")).toBe(true);
      expect(level).toBe(policy.enforcementLevel);
      expect(severity).toBe(policy.severity);
      expect(control.split(" ")[0]).toBe(policy.framework?.reference);
    }
  });

  test("links each doc page it moved out, and every relative link of the README and docs/ resolves", () => {
    for (const doc of ["policies", "offline-preview", "account-check", "performance", "architecture", "development", "publishing", "library"]) {
      expect(README).toContain(`](docs/${doc}.md)`);
    }
    const pages = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).map((f) => `docs/${f}`)];
    const broken: string[] = [];
    for (const page of pages) {
      for (const [, target] of read(page).matchAll(/\]\(([^)#\s]+)(#[^)\s]*)?\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        if (!fs.existsSync(path.join(ROOT, path.dirname(page), target))) broken.push(`${page}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  test.each(policies.map((p) => [p.name, p] as const))("docs/policies.md documents every option of %s with its default", (name, policy) => {
    const rows = tableAfter(`## \`${name}\``, POLICIES_DOC);
    const properties = policy.configSchema?.properties ?? {};
    expect(rows.map((r) => unquote(r[0])).sort()).toEqual(Object.keys(properties).sort());
    for (const [option, , defaultCell] of rows) {
      const schema = properties[unquote(option)] as { default?: unknown };
      expect({ option, default: JSON.parse(unquote(defaultCell)) }).toEqual({ option, default: schema.default });
    }
  });
});

describe("policy configurations shown in the docs", () => {
  const docs = ["README.md", ...fs.readdirSync(path.join(__dirname, "..", "docs")).map((f) => `docs/${f}`)];
  const blocks = docs.flatMap((doc) => {
    const text = fs.readFileSync(path.join(__dirname, "..", doc), "utf8");
    return [...text.matchAll(/```json\n([\s\S]*?)```/g)].map((m, i) => [`${doc} block ${i + 1}`, m[1]] as const);
  });
  const ajv = new Ajv({ strict: false });
  const levels = ["advisory", "mandatory", "remediate", "disabled"];

  test("there are some to check", () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  test.each(blocks)("%s is valid against the pack's schemas", (_where, json) => {
    const config = JSON.parse(json) as Record<string, unknown>;
    for (const [name, entry] of Object.entries(config)) {
      const policy = policies.find((p) => p.name === name);
      expect({ name, known: policy !== undefined }).toEqual({ name, known: true });
      if (typeof entry === "string") {
        expect(levels).toContain(entry);
        continue;
      }
      const { enforcementLevel, ...options } = entry as Record<string, unknown>;
      if (enforcementLevel !== undefined) expect(levels).toContain(enforcementLevel);
      const validate = ajv.compile({ type: "object", additionalProperties: false, ...policy?.configSchema });
      expect({ name, valid: validate(options), errors: validate.errors }).toMatchObject({ valid: true });
    }
  });
});

/** The body of the first fenced block whose first line starts with `firstLine`. */
function blockStartingWith(firstLine: string): string | undefined {
  return [...README.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.startsWith(firstLine));
}

describe("README claims checked against a real run", () => {
  test("the quick start's sample output is exactly what the preview prints, and it exits 1", async () => {
    const sample = blockStartingWith("Previewing program examples/noncompliant-trail");
    expect(sample).toBeDefined();
    // The example's stack file sets its region; the runner's own must not count.
    const { AWS_REGION: _r, AWS_DEFAULT_REGION: _d, ...withoutRegion } = process.env;
    void [_r, _d];
    const run = await runCli(PREVIEW_MAIN, ["examples/noncompliant-trail"], withoutRegion, true);
    expect(run.stdout).toBe(sample);
    expect(run.status).toBe(1);
    expect(README).toContain("It prints this and exits 1");
  });

  test("every npm run preview in the README is silent (-s), so stdout holds only the report", () => {
    expect(README).toMatch(/npm run -s preview -- .*--json/);
    expect(README).not.toMatch(/npm run preview\b/);
  });

  test("the Node.js version is the one @pulumi/pulumi declares", () => {
    const declared = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8")).engines.node as string;
    const major = /^>=(\d+)/.exec(declared)?.[1];
    expect(README).toContain(`with Node.js ${major} or later`);
    expect(README).toContain(`(\`engines.node ${declared}\`)`);
  });

  test("the tarball size is npm pack's, within 10%", () => {
    const claim = /The published tarball holds only the built pack and library \(about (\d+) kB/.exec(README);
    expect(claim).not.toBeNull();
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) {
      if (!/^npm_/i.test(key)) env[key] = value;
    }
    const packed = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts", "--loglevel=error"], { cwd: ROOT, env, encoding: "utf8" });
    expect(packed.status).toBe(0);
    const size = (JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[/m))) as { size: number }[])[0].size;
    expect(Math.abs(size / 1000 - Number(claim?.[1])) / Number(claim?.[1])).toBeLessThan(0.1);
  });

  test("the export versions accepted are those the reader accepts", () => {
    const claim = /deployment versions (\d) to (\d)/.exec(PREVIEW_DOC);
    expect(claim).not.toBeNull();
    const [low, high] = [Number(claim?.[1]), Number(claim?.[2])];
    const read = (version: number) => () => parseStateExport(JSON.stringify({ version, deployment: { resources: [] } }), "x.json");
    for (const v of [low, high]) expect(read(v)).not.toThrow();
    for (const v of [low - 1, high + 1]) expect(read(v)).toThrow(/which preview does not read/);
  });
});
