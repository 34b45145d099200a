// Reads V8 CPU profiles and says where the time went: by function and by area of code.
import * as fs from "fs";
import * as path from "path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface Share {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Busy time: everything but (idle). */
  busyMs: number;
  functions: Share[];
  areas: Share[];
}

/** Waits for the profile a pack writes after SIGUSR2 (see cpu-profiler.ts). */
export async function waitForProfile(file: string, timeoutMs = 30_000): Promise<CpuProfile> {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`no CPU profile at ${file} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
}

/** Which part of the code a frame belongs to: the pack, a package, Node itself or V8. */
export function areaOf(url: string, functionName: string, repo: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const file = url.startsWith("file://") ? decodeURIComponent(new URL(url).pathname) : url;
  if (file.startsWith("node:")) return "node core";
  const nm = file.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const parts = file.slice(nm + "/node_modules/".length).split("/");
    const pkg = parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
    const rest = parts.slice(pkg.includes("/") ? 2 : 1);
    if (pkg === "@pulumi/pulumi" && rest[0] === "vendor") return `@pulumi/pulumi/vendor/${rest[1]}`;
    return pkg;
  }
  if (file.startsWith(repo)) return `pack: ${path.relative(repo, file)}`;
  return file;
}

export function summarise(profile: CpuProfile, repo: string, top = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  if (profile.samples && profile.timeDeltas) {
    // Each sample's time is the gap to the next one.
    for (let i = 0; i < profile.samples.length; i++) {
      const dt = profile.timeDeltas[i + 1] ?? 0;
      selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + dt);
    }
  }
  const totalUs = profile.endTime - profile.startTime;
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") continue;
    busyUs += us;
    const area = areaOf(url, functionName, repo);
    areas.set(area, (areas.get(area) ?? 0) + us);
    const key = url ? `${functionName || "(anonymous)"} (${place(url, area, repo)}:${lineNumber + 1})` : functionName;
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const shares = (m: Map<string, number>) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, top)
      .map(([name, us]) => ({ name, ms: us / 1000, percent: busyUs > 0 ? (100 * us) / busyUs : 0 }));
  return { totalMs: totalUs / 1000, busyMs: busyUs / 1000, functions: shares(fns), areas: shares(areas) };
}

/** Where a frame's code lives, briefly: a path in the pack, or a package and a file name. */
function place(url: string, area: string, repo: string): string {
  const file = url.startsWith("file://") ? decodeURIComponent(new URL(url).pathname) : url;
  if (area.startsWith("pack: ")) return path.relative(repo, file);
  if (area === "node core") return file;
  return `${area} ${path.basename(file)}`;
}
