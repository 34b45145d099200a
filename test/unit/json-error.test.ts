// Where a file stops being JSON: the index jsonErrorIndex finds must agree with JSON.parse on
// whether the text is JSON at all, and point at the first character the parser cannot take.
import { jsonErrorIndex } from "../../tools/preview/errors";

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe("jsonErrorIndex", () => {
  test.each([
    ["{}", -1],
    ['{"a":[true,null,"x\\u0041",-1.5e3]}', -1],
    ['{"a":}', 5],
    ['{"a":1', 6],
    ["[1,2 3]", 5],
    ["[1,]", 3],
    ['{"a":1,}', 7],
    ["{,}", 1],
    [" 1 2", 3],
    ['"ab\ncd"', 3],
    ['{"a" 1}', 5],
    ["[-01]", 3],
    ["", 0],
    ["[[[[", 4],
    ["\u001b]0;title\u0007", 0],
  ])("%j stops at %d", (text, index) => {
    expect(jsonErrorIndex(text)).toBe(index);
    expect(index === -1).toBe(parses(text));
  });

  test("agrees with JSON.parse on whether text is JSON, over many small texts", () => {
    const pieces = ["{", "}", "[", "]", ",", ":", '"k"', "1", "-", "0", ".5", "e", "true", "nul", " ", '"\\', "x"];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    const disagreements: string[] = [];
    for (let n = 0; n < 5000; n++) {
      const text = Array.from({ length: 1 + (next() % 8) }, () => pieces[next() % pieces.length]).join("");
      if ((jsonErrorIndex(text) === -1) !== parses(text)) disagreements.push(text);
    }
    expect(disagreements).toEqual([]);
  });

  test("a deeply nested text is read without recursion", () => {
    expect(jsonErrorIndex("[".repeat(1_000_000))).toBe(1_000_000);
  });
});
