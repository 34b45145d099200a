// Policy names and config options are what organizations' policy configs and policy groups refer
// to: renaming one breaks every config that names it. test/fixtures/released-names.json lists the
// names and options of the released versions; one may disappear only with a CHANGELOG.md entry
// marked **BREAKING** that names it (the policy, and for an option the option too). A name not yet
// released must be in the [Unreleased] section; at a release, add it to the list.
import * as fs from "fs";
import * as path from "path";
import { policies } from "../policies";

const ROOT = path.join(__dirname, "..");
const RELEASED_FILE = "test/fixtures/released-names.json";

/** Policy name -> its config options. */
type Names = Record<string, string[]>;

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

function liveNames(): Names {
  return Object.fromEntries(policies.map((p) => [p.name, Object.keys(p.configSchema?.properties ?? {}).sort()]));
}

/** The CHANGELOG's list items, each with its continuation lines. */
function entries(changelog: string): string[] {
  const out: string[] = [];
  for (const line of changelog.split("\n")) {
    if (/^\s*[-*] /.test(line)) out.push(line);
    else if (/^\s+\S/.test(line) && out.length > 0) out[out.length - 1] += `\n${line}`;
    else if (line.trim() !== "" && out.length > 0 && !/^\s/.test(line)) out.push("");
  }
  return out.filter((e) => e !== "");
}

const mentions = (text: string, name: string) => text.includes(`\`${name}\``);

/** The text between "## [Unreleased]" and the next release heading. */
function unreleased(changelog: string): string {
  const match = /^## \[Unreleased\][^\n]*\n([\s\S]*?)(?=^## \[|(?![\s\S]))/m.exec(changelog);
  return match ? match[1] : "";
}

/** What disappeared from the released names without a BREAKING entry naming it. */
function unannouncedRemovals(released: Names, live: Names, changelog: string): string[] {
  const breaking = entries(changelog).filter((e) => e.includes("BREAKING"));
  const announced = (...names: string[]) => breaking.some((e) => names.every((n) => mentions(e, n)));
  const missing: string[] = [];
  for (const [policy, options] of Object.entries(released)) {
    if (!(policy in live)) {
      if (!announced(policy)) missing.push(`policy ${policy}`);
      continue;
    }
    for (const option of options) {
      if (!live[policy].includes(option) && !announced(policy, option)) missing.push(`option ${option} of ${policy}`);
    }
  }
  return missing;
}

/** What is in the pack but neither in the released names nor new in [Unreleased]. */
function unlisted(released: Names, live: Names, changelog: string): string[] {
  const news = unreleased(changelog);
  const out: string[] = [];
  for (const [policy, options] of Object.entries(live)) {
    if (!(policy in released)) {
      if (!mentions(news, policy)) out.push(`policy ${policy}`);
      continue;
    }
    for (const option of options) {
      if (!released[policy].includes(option) && !mentions(news, option)) out.push(`option ${option} of ${policy}`);
    }
  }
  return out;
}

const RELEASED = JSON.parse(read(RELEASED_FILE)) as Names;
const CHANGELOG = read("CHANGELOG.md");

describe("stable policy names and config options", () => {
  test("every released policy and option is still there, or a BREAKING CHANGELOG entry names its removal", () => {
    const removed = unannouncedRemovals(RELEASED, liveNames(), CHANGELOG);
    if (removed.length > 0) {
      throw new Error(
        `${removed.join(", ")}: gone from the pack, which breaks every policy config that names it. Keep it, or add ` +
        "a CHANGELOG.md entry that says **BREAKING** and names it in backticks (the policy, and the option), and " +
        "release it as a new major version (minor before 1.0.0).");
    }
  });

  test(`every policy and option is in ${RELEASED_FILE}, or new in CHANGELOG [Unreleased]`, () => {
    const added = unlisted(RELEASED, liveNames(), CHANGELOG);
    if (added.length > 0) {
      throw new Error(
        `${added.join(", ")}: not released yet, so name it in backticks in CHANGELOG.md's [Unreleased] section; ` +
        `once it is released, add it to ${RELEASED_FILE}.`);
    }
  });

  describe("the checks catch what they are for", () => {
    const released: Names = { "aws-x-kept": ["a", "b"], "aws-x-gone": [] };
    const live: Names = { "aws-x-kept": ["a"], "aws-x-new": ["c"] };

    test("a removed policy or option without a BREAKING entry is reported", () => {
      const changelog = "## [Unreleased]\n\n### Removed\n\n- `aws-x-gone`, and option `b` of `aws-x-kept`.\n";
      expect(unannouncedRemovals(released, live, changelog)).toEqual(["option b of aws-x-kept", "policy aws-x-gone"]);
    });

    test("a BREAKING entry naming the policy, or the policy and the option, announces it", () => {
      const changelog = [
        "## [Unreleased]", "", "### Removed", "",
        "- **BREAKING** `aws-x-gone` is removed: its check moved", "  into `aws-x-kept`.",
        "- **BREAKING** option `b` of `aws-x-kept` is removed.", "",
      ].join("\n");
      expect(unannouncedRemovals(released, live, changelog)).toEqual([]);
    });

    test("a BREAKING entry about another policy does not announce an option's removal", () => {
      const changelog = "## [Unreleased]\n\n- **BREAKING** option `b` of `aws-x-other` is removed.\n- `aws-x-gone` is gone (BREAKING).\n";
      expect(unannouncedRemovals(released, live, changelog)).toEqual(["option b of aws-x-kept"]);
    });

    test("a new policy or option counts only when [Unreleased] names it, not an older release", () => {
      expect(unlisted(released, live, "## [Unreleased]\n\n- `aws-x-new` with option `c`.\n\n## [0.1.0] - 2026-01-01\n")).toEqual([]);
      expect(unlisted(released, live, "## [Unreleased]\n\n## [0.1.0] - 2026-01-01\n\n- `aws-x-new` with option `c`.\n"))
        .toEqual(["policy aws-x-new"]);
      expect(unlisted({ ...released, "aws-x-new": [] }, live, "## [Unreleased]\n\n- nothing\n")).toEqual(["option c of aws-x-new"]);
    });
  });
});

describe("semantic versioning of breaking changes", () => {
  /** The released sections, newest first, with their text. */
  function releases(changelog: string): { version: string; text: string }[] {
    const parts = changelog.split(/^## \[/m).slice(1);
    return parts.map((p) => ({ version: p.slice(0, p.indexOf("]")), text: p })).filter((r) => r.version !== "Unreleased");
  }

  /** A release with a BREAKING entry raises the major version, or the minor one before 1.0.0. */
  function unbumped(changelog: string): string[] {
    const all = releases(changelog);
    const out: string[] = [];
    all.forEach((release, i) => {
      const previous = all[i + 1];
      if (!previous || !release.text.includes("BREAKING")) return;
      const [major, minor] = release.version.split(".").map(Number);
      const [pMajor, pMinor] = previous.version.split(".").map(Number);
      const bumped = pMajor === 0 ? major > 0 || minor > pMinor : major > pMajor;
      if (!bumped) out.push(`${release.version} after ${previous.version}`);
    });
    return out;
  }

  test("every release with a BREAKING entry is a new major version (minor before 1.0.0)", () => {
    expect(unbumped(CHANGELOG)).toEqual([]);
  });

  test("the check reports a breaking patch or minor release", () => {
    const changelog = (v: string) => `## [Unreleased]\n\n## [${v}] - 2026-02-01\n\n- **BREAKING** x\n\n## [1.2.3] - 2026-01-01\n`;
    expect(unbumped(changelog("1.3.0"))).toEqual(["1.3.0 after 1.2.3"]);
    expect(unbumped(changelog("2.0.0"))).toEqual([]);
  });
});
