// `npm run bench`: what the pack costs on every preview and update, against a bare pack (one no-op
// resource policy, one no-op stack policy) measured in the same process, alternating the two sides
// so that the machine's drift falls on both. Prints a table and exits 0; not a test.
//
// `npm run bench -- --profile` instead samples the CPU of each pack process, phase by phase, and
// prints where the time goes; `--stack` runs the AnalyzeStack comparison alone.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { startPolicyPack } from "../analyzer/client";
import { installSignalHandlers } from "../analyzer/process-group";
import { accountBench } from "./account";
import { hostileBench } from "./hostile";
import { liveAccountBench } from "./live-account";
import { makeNaivePack } from "./naive-pack";
import { summarise, waitForProfile } from "./profile";
import { median, mib, ms, percentile, ratio, table } from "./stats";
import { StackEncoder } from "./wire";
import { benchPreviewScale, PREVIEW_SIZES } from "./preview-scale";
import { benchTypeCheck } from "./typecheck";
import { stackEntries } from "../../testing/workload";
import { REPO, BARE_DIR, RUNS, TARGET_START, TARGET_STACK, LINEAR_LIMIT, Side, SIDES, log, peakRssKb, loadAverage, machine, StartSample, StartSide, measureStart, RunningPack, startRunning, AnalyzeResults, measureAnalyze, StackCase, measureStacks } from "./pack-measure";

function yes(met: boolean): string {
  return met ? "yes" : "NO";
}

async function bench(): Promise<void> {
  const began = Date.now();
  const loadBefore = loadAverage();
  log(`benchmarking ${REPO} against ${path.relative(REPO, BARE_DIR)} on ${machine()}`);
  const naive = makeNaivePack(REPO);
  let start: Record<StartSide, StartSample[]>;
  try {
    start = await measureStart(naive);
  } finally {
    naive.remove();
  }

  const packs = {} as Record<Side, RunningPack>;
  for (const side of SIDES) packs[side] = await startRunning(side);
  let analyze: AnalyzeResults;
  let stacks: StackCase[];
  const peak = {} as Record<Side, number>;
  try {
    analyze = await measureAnalyze(packs, RUNS.analyze, RUNS.analyzeWarmup);
    log("analyze: done");
    stacks = await measureStacks(packs, RUNS.stack, RUNS.stackWarmup);
    for (const side of SIDES) peak[side] = peakRssKb(packs[side].client.pid);
  } finally {
    for (const side of SIDES) {
      packs[side].wire.close();
      await packs[side].client.close();
    }
  }

  const out: string[] = [];
  const startMed = (side: StartSide) => median(start[side].map((s) => s.ms));
  const startRatio = startMed("ours") / startMed("bare");
  const stack10k = stacks.filter((c) => c.size === 10000);
  const stackRatios = stack10k.map((c) => median(c.samples.ours) / median(c.samples.bare));
  const worstStack = Math.max(...stackRatios);

  out.push(`Machine: ${machine()}`);
  out.push(`Runs: start ${RUNS.start} per side (the naive pack ${RUNS.naive} each, cold and warm); ` +
    `Analyze ${RUNS.analyze} calls per side after ${RUNS.analyzeWarmup} warm-up calls; ` +
    `AnalyzeStack ${RUNS.stack} runs per side and case (${RUNS.stackWarmup} warm-up before each size). ` +
    "Sides alternate run by run; figures are medians unless marked p99.");
  out.push("Absolute times are for this machine only; the ratios are what carries over.");
  out.push("");
  out.push(table(["Summary", "bare pack", "this pack", "ratio", "target", "met"], [
    ["start: spawn to first GetAnalyzerInfo", ms(startMed("bare")), ms(startMed("ours")), ratio(startRatio),
      `≤ ${TARGET_START}×`, yes(startRatio <= TARGET_START)],
    ["Analyze p50 (1,000 calls, 8 shapes)", ms(percentile(analyze.all.bare, 50)), ms(percentile(analyze.all.ours, 50)),
      ratio(percentile(analyze.all.ours, 50) / percentile(analyze.all.bare, 50)), "-", "-"],
    ["Analyze p99", ms(percentile(analyze.all.bare, 99)), ms(percentile(analyze.all.ours, 99)),
      ratio(percentile(analyze.all.ours, 99) / percentile(analyze.all.bare, 99)), "-", "-"],
    ...stack10k.map((c, i) => [
      `AnalyzeStack 10,000 resources, ${c.trails} trail${c.trails > 1 ? "s" : ""}`,
      ms(median(c.samples.bare)), ms(median(c.samples.ours)), ratio(stackRatios[i]),
      `≤ ${TARGET_STACK}×`, yes(stackRatios[i] <= TARGET_STACK),
    ]),
    ["peak RSS (VmHWM) after all calls", mib(peak.bare), mib(peak.ours), ratio(peak.ours / peak.bare), "-", "-"],
  ]));
  out.push("");

  out.push("Start (spawning run-policy-pack as the CLI does, to the first GetAnalyzerInfo answered)");
  const startSides: StartSide[] = ["bare", "ours", "naive (ts-node cache warm)", "naive (ts-node cache cold)"];
  out.push(table(["pack", "runs", "median", "min", "max", "vs bare", "peak RSS at start"], startSides.map((side) => {
    const times = start[side].map((s) => s.ms);
    return [side === "ours" ? "this pack (prebuilt bin/)" : side === "bare" ? "bare pack" : side, String(times.length),
      ms(median(times)), ms(Math.min(...times)), ms(Math.max(...times)), ratio(median(times) / startMed("bare")),
      mib(median(start[side].map((s) => s.peakKb)))];
  })));
  out.push("naive: the same sources without a build step (package.json without \"main\"), type-checked and " +
    "compiled by run-policy-pack's ts-node at start; cold = ts-node's disk cache empty (a fresh machine or CI " +
    "runner), warm = a later start on the same machine.");
  out.push("");

  out.push("Analyze, per resource shape (diagnostics: how many each pack reported for the shape, ours/bare)");
  out.push(table(["shape", "bare p50", "ours p50", "ratio p50", "bare p99", "ours p99", "diagnostics"],
    analyze.byShape.map((s) => [
      s.label, ms(percentile(s.samples.bare, 50)), ms(percentile(s.samples.ours, 50)),
      ratio(percentile(s.samples.ours, 50) / percentile(s.samples.bare, 50)),
      ms(percentile(s.samples.bare, 99)), ms(percentile(s.samples.ours, 99)), `${s.diagnostics.ours}/${s.diagnostics.bare}`,
    ])));
  out.push("");

  out.push("AnalyzeStack (the rest of each stack: S3 buckets, IAM role-policy attachments, security-group rules and " +
    "Route 53 records in turn, with the outputs their providers report; every trail but one falls short of CIS 3.1)");
  const range = (samples: number[]) => `${ms(Math.min(...samples))}–${ms(Math.max(...samples))}`;
  out.push(table(["resources", "trails", "request", "bare", "bare range", "ours", "ours range", "ratio", "ours per resource"],
    stacks.map((c) => [
      c.size.toLocaleString("en"), String(c.trails), mib(c.requestBytes / 1024),
      ms(median(c.samples.bare)), range(c.samples.bare), ms(median(c.samples.ours)), range(c.samples.ours),
      ratio(median(c.samples.ours) / median(c.samples.bare)), ms(median(c.samples.ours) / c.size),
    ])));
  const total = (size: number, side: Side) =>
    stacks.filter((c) => c.size === size).reduce((sum, c) => sum + median(c.samples[side]), 0);
  const growth = (side: Side) => total(10000, side) / total(1000, side);
  // Linear: 10× the resources costs at most LINEAR_LIMIT× the time, or grows no faster than the floor.
  const linear = growth("ours") <= Math.max(LINEAR_LIMIT, 1.25 * growth("bare"));
  out.push(`Growth from 1,000 to 10,000 resources, all trail counts together: ours ${ratio(growth("ours"))}, ` +
    `bare ${ratio(growth("bare"))} for 10× the input — linear (≤ ${LINEAR_LIMIT}×, or ≤ 1.25× the bare pack's own ` +
    `growth): ${yes(linear)}.`);
  out.push("Requests are serialised before timing and sent over the pack's own gRPC port, so a figure is the " +
    "pack's decoding, policies and reply plus the loopback trip; for the bare pack that is nearly all " +
    "deserialisation and gRPC.");
  out.push("");
  const met = startRatio <= TARGET_START && worstStack <= TARGET_STACK;
  out.push(`Targets: start ≤ ${TARGET_START}× bare: ${yes(startRatio <= TARGET_START)}; ` +
    `AnalyzeStack at 10,000 resources ≤ ${TARGET_STACK}× bare: ${yes(worstStack <= TARGET_STACK)} ` +
    `(worst ${ratio(worstStack)}). ${met ? "All targets met." : "Some targets missed: run with --profile."}`);
  out.push("", ...(await accountBench(log)), "", ...(await hostileBench(log)), "");
  out.push(`Bench took ${((Date.now() - began) / 1000).toFixed(0)} s; load average (1, 5, 15 min) ${loadBefore} ` +
    `before, ${loadAverage()} after: on a busy machine the ratios hold better than the absolute times.`);
  process.stdout.write(`${out.join("\n")}\n`);
}

// ---- --profile ----

async function profile(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cis-cloudtrail-profile-"));
  const preload = path.join(__dirname, "cpu-profiler.js");
  const envFor = (name: string) => {
    fs.mkdirSync(path.join(dir, name));
    return { NODE_OPTIONS: `--require "${preload}"`, CIS_BENCH_PROFILE_DIR: path.join(dir, name) };
  };
  const out: string[] = [`Machine: ${machine()}`, `CPU profiles (100 µs sampling) in ${dir}`, ""];
  const report = (title: string, file: string, prof: Parameters<typeof summarise>[0]) => {
    const s = summarise(prof, REPO);
    out.push(`${title}: ${ms(s.busyMs)} busy of ${ms(s.totalMs)} (${file})`);
    out.push(table(["area", "self", "share"], s.areas.map((a) => [a.name, ms(a.ms), `${a.percent.toFixed(1)}%`])));
    out.push(table(["function", "self", "share"], s.functions.map((f) => [f.name, ms(f.ms), `${f.percent.toFixed(1)}%`])));
    out.push("");
  };
  const phase = async (pack: RunningPack, name: string, n: number, title: string) => {
    process.kill(pack.client.pid, "SIGUSR2");
    const file = path.join(dir, name, `${n}.cpuprofile`);
    report(title, file, await waitForProfile(file));
  };

  const stackBytes = new StackEncoder().encode(stackEntries(10000, 100));
  for (const side of SIDES) {
    const pack = await startRunning(side, envFor(side));
    try {
      await phase(pack, side, 0, `${side}: start`);
      await measureAnalyze({ [side]: pack }, RUNS.analyze, 0);
      await phase(pack, side, 1, `${side}: ${RUNS.analyze} Analyze calls`);
      for (let i = 0; i < RUNS.stack; i++) await pack.wire.call("AnalyzeStack", stackBytes);
      await phase(pack, side, 2, `${side}: ${RUNS.stack} AnalyzeStack calls, 10,000 resources, 100 trails`);
    } finally {
      pack.wire.close();
      await pack.client.close();
    }
  }

  const naive = makeNaivePack(REPO);
  try {
    const env = { ...envFor("naive"), TS_NODE_CACHE_DIRECTORY: naive.freshCache() };
    const pack = await startPolicyPack(naive.dir, { env, startTimeoutMs: 180_000 });
    await pack.getAnalyzerInfo();
    process.kill(pack.pid, "SIGUSR2");
    const file = path.join(dir, "naive", "0.cpuprofile");
    report("naive pack, ts-node cache cold: start", file, await waitForProfile(file));
    await pack.close();
  } finally {
    naive.remove();
  }
  process.stdout.write(`${out.join("\n")}\n`);
}

/** `npm run bench -- --hostile` runs the hostile answers' part alone. */
async function hostileOnly(): Promise<void> {
  process.stdout.write(`Machine: ${machine()}\n${(await hostileBench(log)).join("\n")}\n`);
}

/** `npm run bench -- --account` runs the account check's part alone. */
async function accountOnly(): Promise<void> {
  process.stdout.write(`Machine: ${machine()}\n${(await accountBench(log)).join("\n")}\n`);
}

/** `npm run bench -- --live-account` runs the liveAccount part alone. */
async function liveAccountOnly(): Promise<void> {
  process.stdout.write(`Machine: ${machine()}\n${(await liveAccountBench(log)).join("\n")}\n`);
}

/** `npm run bench -- --stack` runs the AnalyzeStack part alone: the ratios at 1,000 and 10,000 resources. */
async function stackOnly(): Promise<void> {
  const packs = {} as Record<Side, RunningPack>;
  for (const side of SIDES) packs[side] = await startRunning(side);
  try {
    const stacks = await measureStacks(packs, RUNS.stack, RUNS.stackWarmup);
    process.stdout.write(`Machine: ${machine()}\n${table(["resources", "trails", "bare", "ours", "ratio"], stacks.map((c) => [
      c.size.toLocaleString("en"), String(c.trails), ms(median(c.samples.bare)), ms(median(c.samples.ours)),
      ratio(median(c.samples.ours) / median(c.samples.bare)),
    ]))}\n`);
  } finally {
    for (const side of SIDES) {
      packs[side].wire.close();
      await packs[side].client.close();
    }
  }
}

// The preview of generated programs against plain setMocks: after the pack's own figures, or alone
// with --preview-scale; --sizes=1000,5000 chooses the program sizes.
function previewSizes(): number[] {
  const arg = process.argv.find((a) => a.startsWith("--sizes="));
  return arg ? arg.slice("--sizes=".length).split(",").map(Number).filter((n) => n > 0) : PREVIEW_SIZES;
}

async function previewScale(): Promise<void> {
  process.stdout.write(`${await benchPreviewScale(previewSizes(), log)}\n`);
}

// The type check's cost against transpile-only runs: after the rest, or alone with --typecheck
// (--large=N for the generated program's size).
async function typeCheck(): Promise<void> {
  const arg = process.argv.find((a) => a.startsWith("--large="));
  process.stdout.write(`${await benchTypeCheck(log, arg ? Number(arg.slice("--large=".length)) : undefined)}\n`);
}

/** The parts that run alone, by option; with none, the whole bench runs. */
const MODES: readonly (readonly [string, string, () => Promise<void>])[] = [
  ["--profile", "sample the CPU of each pack process, phase by phase", profile],
  ["--live-account", "the stack policy's liveAccount reads alone", liveAccountOnly],
  ["--account", "the account check alone", accountOnly],
  ["--hostile", "hostile AWS answers alone: peak memory and time", hostileOnly],
  ["--preview-scale", "the preview of generated programs alone (--sizes=1000,5000)", previewScale],
  ["--stack", "the AnalyzeStack comparison alone, at 1,000 and 10,000 resources", stackOnly],
  ["--typecheck", "the type check against transpile-only runs alone (--large=N)", typeCheck],
];
const VALUE_OPTIONS = ["--sizes=", "--large="];

const USAGE = `Usage: npm run bench [-- OPTION]\n\nWith no option, every part runs in turn. One option runs one part:\n${
  MODES.map(([flag, what]) => `  ${flag.padEnd(18)}${what}`).join("\n")}\n  ${"--help".padEnd(18)}this text\n`;

const args = process.argv.slice(2);
if (args.includes("--help") || args.includes("-h")) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const unknownArg = args.find((a) => !MODES.some(([flag]) => flag === a) && !VALUE_OPTIONS.some((o) => a.startsWith(o)));
if (unknownArg !== undefined) {
  process.stderr.write(`bench: unknown option ${JSON.stringify(unknownArg)}\n\n${USAGE}`);
  process.exit(2);
}
installSignalHandlers("the benchmark's processes");
const run = MODES.find(([flag]) => args.includes(flag))?.[2]
  ?? (() => bench().then(liveAccountOnly).then(previewScale).then(typeCheck));
run().then(
  () => process.exit(0),
  (err) => {
    log(`bench failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  },
);
