// What Pulumi Cloud shows and runs for a published pack: the name index.ts gives the PolicyPack,
// the version the SDK reads from package.json, the runtime PulumiPolicy.yaml names, and the built
// file package.json "main" points at. These must agree with CHANGELOG.md and the publishing guide.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";
import { parse as parseYaml } from "yaml";
import { policies } from "../policies";

const ROOT = path.join(__dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
const PACKAGE = JSON.parse(read("package.json")) as { version: string; main: string; files?: string[] };

/** The released entries of CHANGELOG.md, newest first: "## [1.2.3] - 2026-01-31". */
function releases(): { version: string; date: string }[] {
  return [...read("CHANGELOG.md").matchAll(/^## \[([^\]]+)\](?: - (\S+))?\s*$/gm)]
    .filter((m) => m[1] !== "Unreleased")
    .map((m) => ({ version: m[1], date: m[2] ?? "" }));
}

/** The name given to `new PolicyPack(...)` in index.ts. */
function packName(): string {
  const match = /new\s+PolicyPack\(\s*["']([^"']+)["']/.exec(read("index.ts"));
  if (!match) throw new Error("index.ts creates no PolicyPack with a literal name");
  return match[1];
}

describe("version", () => {
  test("package.json has a semantic version", () => {
    expect(PACKAGE.version).toMatch(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/);
  });

  test("package.json's version is the top released CHANGELOG entry", () => {
    const [top] = releases();
    expect(top?.version).toBe(PACKAGE.version);
  });

  test("CHANGELOG entries are dated and newest first", () => {
    const all = releases();
    expect(all.length).toBeGreaterThan(0);
    for (const { date } of all) expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const dates = all.map((r) => r.date);
    expect(dates).toEqual([...dates].sort().reverse());
  });

  test("CHANGELOG names every policy of the pack", () => {
    const changelog = read("CHANGELOG.md");
    expect(policies.map((p) => p.name).filter((name) => !changelog.includes(`\`${name}\``))).toEqual([]);
  });
});

describe("name", () => {
  test("index.ts names the pack cis-cloudtrail, a name Pulumi Cloud accepts", () => {
    expect(packName()).toBe("cis-cloudtrail");
    expect(packName()).toMatch(/^[a-zA-Z0-9._-]{1,100}$/);
  });

  test("the publishing guide uses that name", () => {
    const guide = read("docs/publishing.md");
    expect(guide).toContain(`<org>/${packName()}`);
    const named = [...guide.matchAll(/pulumi policy [a-z-]+ <org>\/([A-Za-z0-9._-]+)/g)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((n) => n !== packName())).toEqual([]);
  });
});

describe("PulumiPolicy.yaml", () => {
  test("exists and names the nodejs runtime", () => {
    const project = parseYaml(read("PulumiPolicy.yaml")) as { runtime?: string | { name?: string } };
    const runtime = typeof project.runtime === "string" ? project.runtime : project.runtime?.name;
    expect(runtime).toBe("nodejs");
  });
});

describe("main", () => {
  /** The file tsc writes for index.ts under this project's tsconfig.json. */
  function emittedIndex(): string {
    const configPath = path.join(ROOT, "tsconfig.json");
    const configFile = ts.readConfigFile(configPath, ts.sys.readFile);
    if (configFile.error) throw new Error(ts.flattenDiagnosticMessageText(configFile.error.messageText, "\n"));
    const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, ROOT, undefined, configPath);
    const [js] = ts.getOutputFileNames(parsed, path.join(ROOT, "index.ts"), false).filter((f) => f.endsWith(".js"));
    return path.relative(ROOT, js).split(path.sep).join("/");
  }

  test("package.json main is the file tsc emits for index.ts", () => {
    expect(PACKAGE.main).toBe(emittedIndex());
  });

  test('package.json "files" ships main, PulumiPolicy.yaml, the prepare script and CHANGELOG.md', () => {
    expect(PACKAGE.files).toEqual(expect.arrayContaining([PACKAGE.main, "PulumiPolicy.yaml", "scripts/prepare.js", "CHANGELOG.md"]));
  });

  test("the prepare script does nothing where there are no sources, even with a compiler at hand", () => {
    // Like an unpacked tarball: package.json and the script, with typescript resolvable as it is after
    // any install (it comes in as a peer of @pulumi/pulumi even with --production).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cis-cloudtrail-prepare-"));
    try {
      fs.mkdirSync(path.join(dir, "scripts"));
      fs.copyFileSync(path.join(ROOT, "scripts", "prepare.js"), path.join(dir, "scripts", "prepare.js"));
      fs.copyFileSync(path.join(ROOT, "package.json"), path.join(dir, "package.json"));
      fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
      const result = spawnSync(process.execPath, ["scripts/prepare.js"], { cwd: dir, encoding: "utf8", timeout: 60_000 });
      expect(result.status).toBe(0);
      expect(fs.readdirSync(dir).sort()).toEqual(["node_modules", "package.json", "scripts"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
