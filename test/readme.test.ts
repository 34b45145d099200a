// The README documents every policy and option exactly as the pack defines them, so the docs
// cannot drift from the code.
import * as fs from "fs";
import * as path from "path";
import { Policy } from "@pulumi/policy";
import Ajv from "ajv";
import { policies } from "../policies";

const README = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

/** Rows of the first table after a heading, as arrays of trimmed cells. */
function tableAfter(heading: string): string[][] {
  const start = README.indexOf(`${heading}\n`);
  if (start < 0) return [];
  const lines = README.slice(start).split("\n").slice(1);
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

  test.each(policies.map((p) => [p.name, p] as const))("documents every option of %s with its default", (name, policy) => {
    const rows = tableAfter(`### \`${name}\``);
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
