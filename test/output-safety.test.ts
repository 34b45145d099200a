// Output a user can trust: hostile names and secrets run through every output format of the preview
// (text, JSON, stderr, the JSON error object), and the policy pack config checked as the CLI does.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { PolicyPackClient, startPolicyPack } from "../tools/analyzer/client";
import { AnalyzerInfo, SECRET_SIG, SIG_KEY } from "../tools/analyzer/types";
import { checkPolicyPackConfig, parsePolicyPackConfig } from "../tools/preview/config";
import { previewProgram, previewState } from "../tools/preview/index";
import { formatText, formatWarnings, PreviewReport, toJson } from "../tools/preview/report";
import { CliResult, preview } from "./run-cli";
import {
  collectSecretPlaintexts,
  quoteExcerpt,
  redactSecrets,
  safeJson,
  secretFilter,
  terminalSafe,
  terminalSafeLines,
} from "../tools/preview/safe-text";

const ROOT = path.join(__dirname, "..");
const FIXTURES = path.join(__dirname, "fixtures");
const HOSTILE_PROGRAM = path.join(FIXTURES, "programs", "hostile-ts");
const HOSTILE_EXPORT = path.join(FIXTURES, "states", "hostile-show-secrets.json");
const CONFIGS = path.join(FIXTURES, "policy-configs");
const ECHO_PACK = path.join(FIXTURES, "echo-pack");

delete process.env.AWS_REGION;
delete process.env.AWS_DEFAULT_REGION;

/** Every plaintext the hostile fixtures hold as a secret, and the ciphertexts of their encrypted ones. */
const PROGRAM_SECRETS = [
  "s3cr3t-bucket-name-31",
  "secret-trail-name-77",
  "kms-key-plaintext-7f3a",
  "tag-secret-value-91",
  "config-plain-secret-55",
  "data-secret-arn-62",
  "nested-secret-object-88",
  "hunter2-program-secret",
  "aG9zdGlsZSBzZWNyZXQga2V5IGNpcGhlcnRleHQ",
  "aG9zdGlsZSBkYiBwYXNzd29yZCBjaXBoZXJ0ZXh0",
];
const EXPORT_SECRETS = [
  "export-stack-output-secret",
  "export-provider-secret-key",
  "export-secret-bucket",
  "export-kms-key-plaintext",
  "export-json-object-secret",
  "export-data-secret-arn",
  "export-plaintext-db-pass",
  "export-ciphertext-blob",
];

// Control characters of every class, bidi controls and Unicode line breaks; a report may hold none
// but its own line feeds.
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
const LINE_BREAK = /[\n\r\u000b\u000c\u0085\u2028\u2029]/;


function expectNoSecret(outputs: Record<string, string>, secrets: string[]): void {
  for (const [where, text] of Object.entries(outputs)) {
    for (const secret of secrets) {
      expect({ where, secret, found: text.includes(secret) }).toEqual({ where, secret, found: false });
    }
  }
}

/** No control character, and no line that starts with text taken from a name (after any indent). */
function expectSafeText(text: string, names: string[]): void {
  expect(text).not.toMatch(CONTROL);
  const taken = names.flatMap((n) => [n, ...n.split(LINE_BREAK).slice(1)]).map((s) => s.trim()).filter((s) => s.length > 0);
  expect(taken.length).toBeGreaterThan(names.length);
  for (const line of text.split("\n")) {
    const start = line.trimStart();
    for (const t of taken) {
      expect({ line, startsWithName: start.startsWith(t) }).toEqual({ line, startsWithName: false });
    }
  }
}

/** The names of the hostile fixture's trails, read back from a JSON report. */
function hostileNames(report: PreviewReport): string[] {
  const names = report.resources.filter((r) => r.type === "aws:cloudtrail/trail:Trail").map((r) => r.name);
  expect(names.filter((n) => terminalSafe(n) !== n).length).toBe(names.length);
  return names;
}

function findByName(report: PreviewReport, prefix: string) {
  const r = report.resources.find((x) => x.name.startsWith(prefix));
  if (!r) throw new Error(`no resource named ${prefix}...`);
  return r;
}

describe("safe text", () => {
  test.each([
    ["ANSI colour and erase", "a\u001b[31mb\u001b[2J", "a\\u001b[31mb\\u001b[2J"],
    ["OSC title and hyperlink", "\u001b]0;t\u0007\u001b]8;;u\u001b\\", "\\u001b]0;t\\u0007\\u001b]8;;u\\u001b\\"],
    ["CR, LF and tab", "a\rb\nc\td", "a\\rb\\nc\\td"],
    ["NUL, backspace, DEL", "\u0000\u0008\u007f", "\\u0000\\u0008\\u007f"],
    ["C1 CSI, OSC, NEL", "\u009b2J\u009d\u0085", "\\u009b2J\\u009d\\u0085"],
    ["bidi override, isolates and marks", "\u202eexe\u202c\u2066\u2069\u200e\u200f\u061c", "\\u202eexe\\u202c\\u2066\\u2069\\u200e\\u200f\\u061c"],
    ["line and paragraph separators", "a\u2028b\u2029c", "a\\u2028b\\u2029c"],
    ["an unpaired UTF-16 half", "x\ud800y", "x\\ud800y"],
    ["printable text, accents and emoji unchanged", "Trail \"main\" café 😀 \\u001b", "Trail \"main\" café 😀 \\u001b"],
  ])("terminalSafe escapes %s", (_what, input, expected) => {
    expect(terminalSafe(input)).toBe(expected);
    expect(terminalSafe(expected)).toBe(expected);
  });

  test("terminalSafeLines keeps line feeds and tabs, nothing else", () => {
    expect(terminalSafeLines("a\tb\nc\r\u001b[2Kd\n")).toBe("a\tb\nc\\r\\u001b[2Kd\n");
  });

  test("quoteExcerpt quotes escaped, length-limited file content", () => {
    expect(quoteExcerpt("\u001b]0;pwned\u0007" + "A".repeat(100), 12)).toBe('"\\u001b]0;pwned\\u0007AA"...');
    expect(quoteExcerpt("short")).toBe('"short"');
  });

  test("safeJson writes every control and bidi character as \\uXXXX and reads back the same", () => {
    const value = { name: "a\u001b\u009b\u202e\u2028\n" };
    const text = safeJson(value);
    expect(text.replace(/\n/g, "")).not.toMatch(CONTROL);
    expect(JSON.parse(text)).toEqual(value);
  });

  test("redactSecrets: every secret, whatever it holds or however an export stores it, is [secret]", () => {
    const secret = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });
    const tree = {
      a: secret("x"),
      b: [1, secret({ deep: "y" })],
      c: { [SIG_KEY]: SECRET_SIG, plaintext: '"z"' },
      d: { [SIG_KEY]: SECRET_SIG, ciphertext: "v1:abc" },
      e: "plain",
    };
    expect(redactSecrets(tree)).toEqual({ a: "[secret]", b: [1, "[secret]"], c: "[secret]", d: "[secret]", e: "plain" });
    expect([...collectSecretPlaintexts(tree)].sort()).toEqual(["x", "y", "z"]);
    // A secret object in outputs is mostly the SDK's or provider's wrapping of one secret field.
    const lifted = { tags: secret({ account: "123456789012", contact: secret("me@example.com") }), id: secret("i-123") };
    expect([...collectSecretPlaintexts(lifted, new Set(), false)].sort()).toEqual(["i-123", "me@example.com"]);
  });

  test("secretFilter: as the engine's, skips values under 3 characters and true/false, catches JSON-escaped forms", () => {
    const filter = secretFilter(["ab", "true", "hunter2", 'pa"ss\\word']);
    expect(filter("ab true hunter2")).toBe("ab true [secret]");
    expect(filter(JSON.stringify({ p: 'pa"ss\\word' }))).toBe('{"p":"[secret]"}');
    expect(redactSecrets({ "key-hunter2": ["hunter2!"] }, filter)).toEqual({ "key-[secret]": ["[secret]!"] });
  });
});

describe("the hostile program through every output format", () => {
  let text: CliResult;
  let json: CliResult;
  let report: PreviewReport;
  beforeAll(async () => {
    [text, json] = await Promise.all([
      preview([HOSTILE_PROGRAM]),
      preview(["--json", "--policy-pack-config", path.join(CONFIGS, "remediate.json"), HOSTILE_PROGRAM]),
    ]);
    report = JSON.parse(json.stdout) as PreviewReport;
  });

  test("no secret's value, and no ciphertext, in the text report, the JSON report or stderr", () => {
    expect(text.status).toBe(0);
    expect(json.status).toBe(0);
    expectNoSecret({ "text stdout": text.stdout, "text stderr": text.stderr, "json stdout": json.stdout, "json stderr": json.stderr }, PROGRAM_SECRETS);
  });

  test("JSON shows each secret as [secret] where it was, in inputs, outputs and remediated inputs", () => {
    const trail = findByName(report, "ansi");
    expect(trail.inputs).toMatchObject({ name: "[secret]", s3BucketName: "[secret]", kmsKeyId: "[secret]", tags: { owner: "[secret]", token: "[secret]", db: "[secret]" } });
    expect(trail.outputs).toMatchObject({ s3BucketName: "[secret]", kmsKeyId: "[secret]" });
    const other = findByName(report, "osc");
    expect(other.inputs.tags).toBe("[secret]");
    // Remediated (ReadOnly to All), the selectors that held a secret data resource ARN come back
    // from the pack as one secret.
    expect(other.inputs.eventSelectors).toBe("[secret]");
    expect(report.remediations.find((r) => r.urn === other.urn)?.changed).toContain("eventSelectors");
    expect(report.remediations.length).toBeGreaterThan(0);
    for (const r of report.remediations) {
      expect(r.properties.s3BucketName).toBe("[secret]");
    }
  });

  test("the text report and stderr hold no control character, and no line starts with text from a name", () => {
    const names = hostileNames(report);
    expect(names.length).toBe(8);
    expectSafeText(text.stdout, names);
    expectSafeText(text.stderr, names);
    // The names are there, escaped, so the user can still tell the trails apart.
    for (const n of names) {
      expect(text.stdout).toContain(`aws:cloudtrail/trail:Trail::${terminalSafe(n)}\n`);
    }
    expect(text.stderr).toContain("the program prints \\u001b]0;program-title\\u0007 and \\u001b[2K too\n");
  });

  test("JSON is printable text that reads back every name exactly", () => {
    expect(json.stdout.replace(/\n/g, "")).not.toMatch(CONTROL);
    expect(hostileNames(report)).toContain(
      "forged\n    passed  cis-cloudtrail@v0.1.0 (local: forged)\n        no violations\n\nPolicies: 0 mandatory violations, 0 advisory, 0 resources analyzed",
    );
  });
});

describe("what a pack says is redacted too", () => {
  test("this pack never echoes a secret: its messages name trails by logical name only", async () => {
    const [program, exported] = await Promise.all([previewProgram(HOSTILE_PROGRAM, { onOutput: () => undefined }), previewState(HOSTILE_EXPORT)]);
    expect(program.diagnostics.length).toBeGreaterThan(20);
    expect(exported.diagnostics.length).toBeGreaterThan(5);
    const said = (r: PreviewReport) => JSON.stringify(r.diagnostics.map((d) => [d.message, d.description]));
    expectNoSecret({ program: said(program), export: said(exported) }, [...PROGRAM_SECRETS, ...EXPORT_SECRETS]);
  });

  test("a pack that echoes inputs leaks nothing: each secret's value is [secret] wherever it is quoted", async () => {
    const report = await previewProgram(HOSTILE_PROGRAM, { packDir: ECHO_PACK, onOutput: () => undefined });
    const raw = JSON.stringify(report.diagnostics);
    expect(raw).toContain("s3cr3t-bucket-name-31");
    expectNoSecret({ text: formatText(report), json: toJson(report), warnings: formatWarnings(report) }, PROGRAM_SECRETS);
    expect(toJson(report)).toContain('\\"s3BucketName\\":\\"[secret]\\"');
  });
});

describe("the hostile export (made with --show-secrets) through every output format", () => {
  let text: CliResult;
  let json: CliResult;
  beforeAll(async () => {
    [text, json] = await Promise.all([preview(["--state", HOSTILE_EXPORT]), preview(["--json", "--state", HOSTILE_EXPORT])]);
  });

  test("no plaintext in any output, even one the export copied outside a secret", () => {
    expect(fs.readFileSync(HOSTILE_EXPORT, "utf8")).toContain('"copied": "export-plaintext-db-pass"');
    expect([text.status, json.status]).toEqual([0, 0]);
    expectNoSecret({ "text stdout": text.stdout, "text stderr": text.stderr, "json stdout": json.stdout, "json stderr": json.stderr }, EXPORT_SECRETS);
  });

  test("secrets in the stack's outputs, the provider's inputs and a trail's are [secret]", () => {
    const report = JSON.parse(json.stdout) as PreviewReport;
    expect(report.resources.find((r) => r.type === "pulumi:pulumi:Stack")?.outputs).toEqual({ dbPassword: "[secret]", plain: "visible" });
    expect(report.resources.find((r) => r.type === "pulumi:providers:aws")?.inputs.secretKey).toBe("[secret]");
    expect(findByName(report, "export\u001b").inputs).toMatchObject({ s3BucketName: "[secret]", tags: "[secret]" });
    expect(findByName(report, "export\n").outputs.tagsAll).toEqual({ copied: "[secret]" });
    expectSafeText(text.stdout, hostileNames(report));
  });
});

describe("exit status 2 with --json: a JSON error object on stdout, one escaped line on stderr", () => {
  test.each([
    ["an ESC-prefixed stack export", ["--json", "--state", path.join(FIXTURES, "states", "escape-prefixed.json")], /escape-prefixed\.json is not valid JSON at byte 0: Unexpected token '\\u001b', "\\u001b\]0;pwned\\u0007"\.\.\. is not valid JSON$/],
    ["a binary policy pack config", ["--json", "--policy-pack-config", path.join(CONFIGS, "escape-prefixed.json"), "--state", HOSTILE_EXPORT], /escape-prefixed\.json is not valid JSON: Unexpected token '\\u001b', "\\u001b\[2J\\u001b\]0;pw"\.\.\. is not valid JSON$/],
    ["an unknown option", ["--frobnicate", "--json"], /^unknown option --frobnicate \(see --help\)$/],
    ["a name with control characters in an argument", ["--json", "--state", "no\u001b[2Jsuch.json"], /^no such file: no\\u001b\[2Jsuch\.json$/],
  ])("%s", async (_what, args, pattern) => {
    const result = await preview(args);
    expect(result.status).toBe(2);
    expect(result.stderr).not.toMatch(CONTROL);
    expect(result.stderr.split("\n")).toHaveLength(2);
    const line = result.stderr.replace(/^error: /, "").trimEnd();
    expect(line).toMatch(pattern);
    const doc = JSON.parse(result.stdout) as { error: { message: string } };
    expect(Object.keys(doc)).toEqual(["error"]);
    expect(terminalSafe(doc.error.message)).toBe(line);
    expect(result.stdout.replace(/\n/g, "")).not.toMatch(CONTROL);
  });

  test("without --json, stdout stays empty", async () => {
    const result = await preview(["--state", path.join(FIXTURES, "states", "escape-prefixed.json")]);
    expect([result.status, result.stdout]).toEqual([2, ""]);
  });
});

describe("policy pack config checked as the CLI does (pkg/resource/analyzer/config.go), and never less", () => {
  let client: PolicyPackClient;
  let info: AnalyzerInfo;
  beforeAll(async () => {
    client = await startPolicyPack(ROOT);
    info = await client.getAnalyzerInfo();
  });
  afterAll(() => client.close());

  const check = (file: string) => () => checkPolicyPackConfig(info, parsePolicyPackConfig(fs.readFileSync(path.join(CONFIGS, file), "utf8"), file), file);

  test("an unknown policy name is an error naming the pack's policies (the CLI ignores it)", () => {
    expect(check("unknown-policy.json")).toThrow(
      /^policy pack config unknown-policy\.json is invalid: aws-cloudtrail-stack-has-cis-trial: cis-cloudtrail has no such policy \(its policies: aws-cloudtrail-s3-object-read-events, .*aws-cloudtrail-stack-has-cis-trail, .*aws-cloudtrail-trail-valid-configuration\)$/,
    );
  });

  test("an unknown option inside a policy's object is an error listing its options (the CLI ignores it)", () => {
    expect(check("unknown-option.json")).toThrow(
      /aws-cloudtrail-trail-meets-cis: exemptTrail is not an option of this policy \(its options: allowedExcludedEventSources, exemptTrails, requireGlobalServiceEvents\)$/,
    );
    expect(() => checkPolicyPackConfig(info, { "aws-cloudtrail-trail-valid-configuration": { strict: true } }, "f")).toThrow(
      /aws-cloudtrail-trail-valid-configuration: strict is not an option of this policy \(it takes none\)$/,
    );
  });

  test("an enum error lists the allowed values, in the words of the CLI's validator", () => {
    expect(check("enum.json")).toThrow(
      /aws-cloudtrail-stack-has-cis-trail: scope must be one of the following: "every-stack", "stacks-with-trails", "tagged-stacks"$/,
    );
    expect(() => checkPolicyPackConfig(info, { "aws-cloudtrail-trail-meets-cis": { allowedExcludedEventSources: ["s3.amazonaws.com"] } }, "f")).toThrow(
      /aws-cloudtrail-trail-meets-cis: allowedExcludedEventSources\.0 must be one of the following: "kms\.amazonaws\.com", "rdsdata\.amazonaws\.com"$/,
    );
  });

  test("a wrong type names the expected and the given type; every error is reported, sorted, as the CLI does", () => {
    expect(check("wrong-type.json")).toThrow(/aws-cloudtrail-stack-has-cis-trail: requireGlobalServiceEvents: invalid type: expected boolean, given string$/);
    const all = { "aws-cloudtrail-stack-has-cis-trail": { scope: "x", requireGlobalServiceEvents: 1 }, nope: { enforcementLevel: "advisory" as const } };
    expect(() => checkPolicyPackConfig(info, all, "f")).toThrow(
      /is invalid: aws-cloudtrail-stack-has-cis-trail: requireGlobalServiceEvents: invalid type: expected boolean, given integer; aws-cloudtrail-stack-has-cis-trail: scope must be one of .*; nope: cis-cloudtrail has no such policy/,
    );
  });

  test("a valid config, and an empty file as the CLI allows, pass", () => {
    expect(() => checkPolicyPackConfig(info, parsePolicyPackConfig(fs.readFileSync(path.join(ROOT, "policy-config.example.json"), "utf8"), "x"), "x")).not.toThrow();
    expect(parsePolicyPackConfig(" \n", "empty.json")).toEqual({});
  });

  test("a config file for a pack that does not support config is an error, as in the CLI", () => {
    expect(() => checkPolicyPackConfig({ ...info, supportsConfig: false }, {}, "f.json")).toThrow(
      /^policy pack cis-cloudtrail does not support config, but f\.json was given$/,
    );
  });

  test("ESC environments, which the CLI opens through its backend, stop the offline preview", () => {
    expect(() => parsePolicyPackConfig('{"environments": ["org/policy-env"]}', "f")).toThrow(/lists ESC environments, which the offline preview cannot open$/);
    expect(() => parsePolicyPackConfig('{"environments": "org/env"}', "f")).toThrow(/"environments" must be an array of strings$/);
  });

  test("through the command: a misspelt option stops the preview with exit 2", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "config-"));
    const file = path.join(dir, "config.json");
    fs.copyFileSync(path.join(CONFIGS, "unknown-option.json"), file);
    const result = await preview(["--json", "--policy-pack-config", file, "--state", HOSTILE_EXPORT]);
    expect(result.status).toBe(2);
    expect((JSON.parse(result.stdout) as { error: { message: string } }).error.message).toMatch(/exemptTrail is not an option of this policy/);
  });
});
