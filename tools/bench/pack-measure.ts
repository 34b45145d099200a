// The pack against the bare pack, side by side in one process: start time, Analyze latency and
// AnalyzeStack over stacks of realistic size, and the helpers main.ts prints them with.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PolicyPackClient, startPolicyPack } from "../analyzer/client";
import { NaivePack } from "./naive-pack";
import { StackEncoder, WireClient, decodeResult, encodeAnalyze, encodeAnalyzeStack } from "./wire";
import { analyzeShapes, stack, stackEntries } from "../../testing/workload";

export const REPO = path.resolve(__dirname, "..", "..", "..");
export const BARE_DIR = path.join(REPO, "test", "fixtures", "bare-pack");

/** Run counts, chosen to keep a full run to about three minutes on a 2-core machine. */
export const RUNS = {
  start: 7,
  /** The naive pack, with a cold and with a warm ts-node cache, in the first rounds only. */
  naive: 5,
  analyzeWarmup: 100,
  analyze: 1000,
  /** Before the first case of each stack size. */
  stackWarmup: 1,
  /** A call varies by ±25% with garbage collection: nine per side keep the median steadier than the gap it measures. */
  stack: 9,
  /** Pause between AnalyzeStack calls, so one pack's leftover GC work does not land on the other's call. */
  settleMs: 100,
};
export const STACK_SIZES = [1000, 10000];
export const STACK_TRAILS = [1, 10, 100];
export const TARGET_START = 1.15;
export const TARGET_STACK = 1.0;
/** Ten times the resources may take at most this many times as long to count as linear. */
export const LINEAR_LIMIT = 12;

export type Side = "bare" | "ours";
export const SIDES: Side[] = ["bare", "ours"];
export const PACK_DIRS: Record<Side, string> = { bare: BARE_DIR, ours: REPO };

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Peak resident set size of a process, in KiB. */
export function peakRssKb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) : NaN;
}

/** Rotates a list by `n`, so each side goes first in turn. */
export function rotate<T>(items: readonly T[], n: number): T[] {
  const k = n % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(1)).join(" ");
}

export function machine(): string {
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  return `${os.cpus().length} cores (${cpu}), node ${process.version}, ${os.platform()} ${os.release()}`;
}

// ---- start ----

export interface StartSample {
  ms: number;
  peakKb: number;
  policies: number;
}

export async function timeStart(dir: string, env?: NodeJS.ProcessEnv): Promise<StartSample> {
  const t0 = process.hrtime.bigint();
  const pack = await startPolicyPack(dir, { env, startTimeoutMs: 180_000 });
  try {
    const info = await pack.getAnalyzerInfo();
    const elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
    return { ms: elapsed, peakKb: peakRssKb(pack.pid), policies: info.policies.length };
  } finally {
    await pack.close();
  }
}

export type StartSide = Side | "naive (ts-node cache warm)" | "naive (ts-node cache cold)";

export async function measureStart(naive: NaivePack): Promise<Record<StartSide, StartSample[]>> {
  const samples: Record<StartSide, StartSample[]> = {
    bare: [], ours: [], "naive (ts-node cache warm)": [], "naive (ts-node cache cold)": [],
  };
  let warmCache: string | undefined;
  for (let round = 0; round < RUNS.start; round++) {
    // A cold run comes before a warm one, and leaves the cache the warm runs use.
    const sides: StartSide[] = round < RUNS.naive
      ? ["bare", "ours", "naive (ts-node cache cold)", "naive (ts-node cache warm)"]
      : ["bare", "ours"];
    for (const side of rotate(sides, round)) {
      let sample: StartSample;
      if (side === "bare") {
        sample = await timeStart(BARE_DIR);
      } else if (side === "ours") {
        sample = await timeStart(REPO);
      } else if (side === "naive (ts-node cache cold)") {
        const cache = naive.freshCache();
        sample = await timeStart(naive.dir, { TS_NODE_CACHE_DIRECTORY: cache });
        warmCache ??= cache;
      } else {
        if (!warmCache) {
          // Fill a cache once, untimed, as the first start on a machine does.
          warmCache = naive.freshCache();
          await timeStart(naive.dir, { TS_NODE_CACHE_DIRECTORY: warmCache });
        }
        sample = await timeStart(naive.dir, { TS_NODE_CACHE_DIRECTORY: warmCache });
      }
      samples[side].push(sample);
    }
    log(`start: round ${round + 1}/${RUNS.start} done`);
  }
  // The naive pack must be the same pack: as many policies as the built one.
  const expected = samples.ours[0].policies;
  for (const side of ["naive (ts-node cache warm)", "naive (ts-node cache cold)"] as const) {
    const wrong = samples[side].find((s) => s.policies !== expected);
    if (wrong) throw new Error(`the ${side} pack served ${wrong.policies} policies, the built pack ${expected}`);
  }
  return samples;
}

// ---- long-lived packs: Analyze and AnalyzeStack ----

export interface RunningPack {
  client: PolicyPackClient;
  wire: WireClient;
}

export async function startRunning(side: Side, env?: NodeJS.ProcessEnv): Promise<RunningPack> {
  const client = await startPolicyPack(PACK_DIRS[side], { env, startTimeoutMs: 60_000 });
  // What the engine sends before the first resource.
  await client.configure({});
  await client.configureStack({ stack: "prod", project: "platform", organization: "acme", dryRun: true });
  const wire = new WireClient(client.port);
  await wire.ready();
  return { client, wire };
}

export interface AnalyzeResults {
  all: Record<Side, number[]>;
  byShape: { label: string; samples: Record<Side, number[]>; diagnostics: Record<Side, number> }[];
}

export async function measureAnalyze(packs: Partial<Record<Side, RunningPack>>, calls: number, warmup: number): Promise<AnalyzeResults> {
  const sides = SIDES.filter((side) => packs[side]);
  const shapes = analyzeShapes().map((s) => ({ ...s, bytes: encodeAnalyze(s.resource) }));
  const byShape = shapes.map((s) => ({
    label: s.label,
    samples: { bare: [] as number[], ours: [] as number[] },
    diagnostics: { bare: 0, ours: 0 },
  }));
  const all: Record<Side, number[]> = { bare: [], ours: [] };
  for (let i = 0; i < warmup + calls; i++) {
    const shape = i % shapes.length;
    // The order flips with each pass over the shapes, so every shape sees each side go first.
    for (const side of rotate(sides, Math.floor(i / shapes.length))) {
      const { reply, ms: elapsed } = await (packs[side] as RunningPack).wire.call("Analyze", shapes[shape].bytes);
      if (i < shapes.length) byShape[shape].diagnostics[side] = decodeResult(reply).diagnostics.length;
      if (i < warmup) continue;
      all[side].push(elapsed);
      byShape[shape].samples[side].push(elapsed);
    }
  }
  return { all, byShape };
}

export interface StackCase {
  size: number;
  trails: number;
  samples: Record<Side, number[]>;
  requestBytes: number;
}

export async function measureStacks(packs: Record<Side, RunningPack>, runs: number, warmup: number): Promise<StackCase[]> {
  const cases: StackCase[] = [];
  const encoder = new StackEncoder();
  if (!encoder.encode(stackEntries(40, 4)).equals(encodeAnalyzeStack(stack(40, 4)))) {
    throw new Error("a stack encoded resource by resource differs from the same stack encoded whole");
  }
  for (const size of STACK_SIZES) {
    for (const trails of STACK_TRAILS) {
      const bytes = encoder.encode(stackEntries(size, trails));
      const c: StackCase = {
        size, trails, samples: { bare: [], ours: [] }, requestBytes: bytes.length,
      };
      const warm = trails === STACK_TRAILS[0] ? warmup : 0;
      for (let i = 0; i < warm + runs; i++) {
        for (const side of rotate(SIDES, i)) {
          await new Promise((resolve) => setTimeout(resolve, RUNS.settleMs));
          const { ms: elapsed } = await packs[side].wire.call("AnalyzeStack", bytes);
          if (i >= warm) c.samples[side].push(elapsed);
        }
      }
      cases.push(c);
      log(`stack: ${size} resources, ${trails} trails done`);
    }
  }
  return cases;
}

// ---- report ----

