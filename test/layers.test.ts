// docs/architecture.md draws the layers and which may import which: this checks the code against
// that drawing, so the page cannot drift from the imports it describes.
import * as fs from "fs";
import * as path from "path";
import { localImportsOf, projectSources } from "./source-imports";

const ROOT = path.join(__dirname, "..");

interface Layer {
  /** Folders ("tools/preview/") or root files ("index.ts") the layer holds. */
  members: string[];
  /** The layers' members it may import; "*" is anything. */
  allowed: string[];
}

/** The layer table of docs/architecture.md: the first fenced block after "## Layers", one layer per line. */
function layersOf(markdown: string): Layer[] {
  const section = markdown.slice(markdown.indexOf("## Layers"));
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  const names = (text: string) =>
    text.replace(/\([^)]*\)/g, "").split(",").map((n) => n.trim()).filter((n) => n !== "");
  return block
    .split("\n")
    .slice(1) // the heading line
    .filter((line) => line.trim() !== "" && !line.startsWith("----"))
    .map((line) => {
      const [left, right = ""] = line.split(/\s{2,}/);
      const allowed = right.startsWith("anything") ? ["*"] : right.startsWith("nothing") ? [] : names(right);
      return { members: names(left), allowed };
    });
}

const holds = (member: string, file: string) =>
  member.endsWith("/*") ? file.startsWith(member.slice(0, -1)) : member.endsWith("/") ? file.startsWith(member) : file === member;

/** The layer a project-relative file is in: the one with the longest member that holds it. */
function layerOf(layers: Layer[], file: string): Layer | undefined {
  let best: { layer: Layer; length: number } | undefined;
  for (const layer of layers) {
    for (const member of layer.members) {
      if (holds(member, file) && member.length > (best?.length ?? -1)) best = { layer, length: member.length };
    }
  }
  return best?.layer;
}

/** "from -> to" for each import the table does not allow. */
function violations(layers: Layer[], graph: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [from, imports] of graph) {
    const layer = layerOf(layers, from);
    if (!layer || layer.allowed.includes("*")) continue;
    for (const to of imports) {
      const target = layerOf(layers, to);
      const allowed = target === layer || layer.allowed.some((member) => holds(member, to));
      if (!allowed) out.push(`${from} -> ${to}`);
    }
  }
  return out;
}

describe("layers", () => {
  const layers = layersOf(fs.readFileSync(path.join(ROOT, "docs", "architecture.md"), "utf8"));

  test("the check reads the table and rejects an import upwards or sideways", () => {
    expect(layers.length).toBeGreaterThan(8);
    expect(layerOf(layers, "lib/text.ts")?.allowed).toEqual([]);
    expect(layerOf(layers, "tools/preview/worker/main.ts")?.members).toEqual(["tools/preview/"]);
    const graph = new Map([
      ["lib/cis.ts", ["lib/trail.ts", "policies/common.ts"]],
      ["tools/preview/main.ts", ["tools/account/main.ts", "tools/analyzer/client.ts"]],
    ]);
    expect(violations(layers, graph)).toEqual(["lib/cis.ts -> policies/common.ts", "tools/preview/main.ts -> tools/account/main.ts"]);
  });

  test("every source file is in a layer, and imports only what its layer may", () => {
    // The root's configs (eslint, jest) are no layer's: only its TypeScript is the pack's.
    const files = projectSources(ROOT, ["lib", "policies", "live-account", "tools", "testing"])
      .filter((f) => path.dirname(f) !== ROOT || f.endsWith(".ts"));
    const relative = (f: string) => path.relative(ROOT, f).split(path.sep).join("/");
    const graph = new Map(files.map((f) => [relative(f), localImportsOf(f).map(relative)]));
    expect(graph.size).toBeGreaterThan(80);
    expect([...graph.keys()].filter((f) => !layerOf(layers, f))).toEqual([]);
    expect(violations(layers, graph)).toEqual([]);
  });
});
