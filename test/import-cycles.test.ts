// No module of the project imports itself through others: a cycle makes load order decide which
// module sees the other's exports as undefined, and makes a layer impossible to read on its own.
import * as path from "path";
import { localImportsOf, projectSources } from "./source-imports";

const ROOT = path.join(__dirname, "..");

/** Each import cycle of a graph, as the files on it in import order, back to the first (Tarjan's strongly connected components). */
function cyclesOf(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node)!);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(pathThrough(graph, new Set(component), node));
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return cycles;
}

/** One way round a strongly connected component, from `start` back to it. */
function pathThrough(graph: Map<string, string[]>, component: Set<string>, start: string): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift()!;
    for (const next of graph.get(node) ?? []) {
      if (next === start) {
        const way = [node];
        for (let at = node; at !== start; at = previous.get(at)!) way.unshift(previous.get(at)!);
        return [...way, start];
      }
      if (component.has(next) && !previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

describe("import cycles", () => {
  test("the check finds a cycle, and names its files in import order", () => {
    const graph = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a", "d"]], ["d", []], ["e", ["e"]]]);
    expect(cyclesOf(graph)).toEqual(expect.arrayContaining([["a", "b", "c", "a"], ["e", "e"]]));
    expect(cyclesOf(graph)).toHaveLength(2);
    expect(cyclesOf(new Map([["a", ["b"]], ["b", []]]))).toEqual([]);
  });

  test("no source file of the project imports itself through others", () => {
    const files = projectSources(ROOT, ["lib", "policies", "live-account", "tools", "test", "scripts", "testing"]);
    expect(files.length).toBeGreaterThan(100);
    const graph = new Map(files.map((f) => [f, localImportsOf(f)]));
    // The scan sees relative imports: the pack's entry loads its policies, the preview its worker's parts.
    expect(graph.get(path.join(ROOT, "index.ts"))?.length).toBeGreaterThan(0);
    const cycles = cyclesOf(graph).map((c) => c.map((f) => path.relative(ROOT, f)).join(" -> "));
    expect(cycles).toEqual([]);
  });
});
