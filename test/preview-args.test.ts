// The preview's command line, parsed by node:util's parseArgs in strict mode.
import { USAGE, main, parseArgs } from "../tools/preview/main";

const EVERY_OPTION = [
  "--stack <name>", "--secret-config <file>", "--policy-pack <dir>", "--policy-pack-config <file>", "--stack-tag <name>=<value>",
  "--state <file>", "--json", "--sarif <file>", "--transpile-only", "--timeout <seconds>", "-h, --help",
];

describe("preview arguments", () => {
  test("--help lists every option", () => {
    const listed = USAGE.split("\n").filter((l) => /^ {2}-/.test(l)).map((l) => l.trim().split(/ {2,}/)[0]);
    expect(listed).toEqual(EVERY_OPTION);
  });

  test("every option --help lists is accepted", () => {
    const opts = parseArgs([
      "--stack", "prod", "--secret-config", "plain.yaml", "--policy-pack", "pack", "--policy-pack-config", "c.json", "--stack-tag", "a=1", "--stack-tag=b=2",
      "--json", "--sarif", "out.sarif", "--transpile-only", "--timeout", "1.5", "dir",
    ]);
    expect(opts).toEqual({
      program: "dir", stack: "prod", secretConfigFile: "plain.yaml", packDir: "pack", configFile: "c.json", stackTags: { a: "1", b: "2" },
      json: true, sarif: "out.sarif", transpileOnly: true, timeoutMs: 1500, help: false,
    });
    expect(parseArgs(["-h"]).help).toBe(true);
  });

  test("after --, a name that starts with a dash is the program directory", () => {
    expect(parseArgs(["--", "--odd-dir"]).program).toBe("--odd-dir");
  });

  test.each([
    [["--frobnicate", "dir"], "unknown option --frobnicate (see --help)"],
    [["-x", "dir"], "unknown option -x (see --help)"],
    [["--sarif"], "--sarif needs a value (see --help)"],
    [["--sarif", "--json", "dir"], "--sarif needs a value (see --help)"],
    [["--sarif=", "dir"], "--sarif needs a value (see --help)"],
    [["--json=yes", "dir"], "--json takes no value (see --help)"],
  ])("%p is one clear error, exit 2", async (args, message) => {
    expect(() => parseArgs(args)).toThrow(message);
    let stdout = "";
    let stderr = "";
    const sink = (add: (s: string) => void) => ({ write: (s: string) => (add(s), true) }) as unknown as NodeJS.WriteStream;
    const io = { stdout: sink((s) => (stdout += s)), stderr: sink((s) => (stderr += s)) };
    await expect(main(args, io)).resolves.toBe(2);
    expect(stderr).toBe(`error: ${message}\n`);
    // Asked for JSON, the same error is also the one object on stdout; otherwise stdout stays empty.
    expect(stdout === "" ? undefined : JSON.parse(stdout)).toEqual(args.some((a) => /^--json(=|$)/.test(a)) ? { error: { message } } : undefined);
  });
});
