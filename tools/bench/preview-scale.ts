// `npm run bench` (or `npm run bench -- --preview-scale [--sizes=1000,5000]`): the offline preview of
// generated programs of 1,000, 5,000 and 20,000 resources against the floor, the same program run
// under plain `pulumi.runtime.setMocks` with no analysis (floor-runner.ts), in the same run, one
// after the other, alternating which goes first. Each side's time is spawn to exit; its peak memory
// is the most resident memory its processes held at once (sampled every 50 ms over the process tree).
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { guardedEnv, parentGuardPath, trackGroup } from "../analyzer/process-group";
import { workerHeapMb } from "../preview/program";
import { mib, ratio, table } from "./stats";

const REPO = path.resolve(__dirname, "..", "..", "..");
const PREVIEW = path.join(REPO, "bin", "tools", "preview", "main.js");
const FLOOR = path.join(__dirname, "floor-runner.js");
export const PREVIEW_SIZES = [1000, 5000, 20000];
const TARGET_TIME = 1.5;
const TARGET_MEMORY = 1.2;
const SAMPLE_MS = 50;

/**
 * A platform-style program: per block of 50 resources a component holding a bucket, its versioning
 * and public-access block, an IAM role and policy, and objects; a CIS trail per 1,000 resources.
 * Every resource but the stack and the provider is counted in `size`.
 */
export function scaleProgram(size: number, language: "js" | "ts" = "js"): string {
  const program = language === "js" ? scaleProgramJs(size) : scaleProgramJs(size)
    .replace(/^"use strict";\nconst pulumi = require\("@pulumi\/pulumi"\);\nconst aws = require\("@pulumi\/aws"\);/, 'import * as pulumi from "@pulumi/pulumi";\nimport * as aws from "@pulumi/aws";')
    .replace("const add = (make) =>", "const add = <T>(make: () => T): T | undefined =>")
    .replace("const policy = (statement) =>", "const policy = (statement: object) =>");
  return program;
}

function scaleProgramJs(size: number): string {
  return `"use strict";
const pulumi = require("@pulumi/pulumi");
const aws = require("@pulumi/aws");

const size = ${size};
let made = 0;
/** Makes one more resource, until there are \`size\`. */
const add = (make) => (made < size ? (made++, make()) : undefined);
const policy = (statement) => JSON.stringify({ Version: "2012-10-17", Statement: [statement] });

const logs = add(() => new aws.s3.Bucket("audit-logs"));
for (let t = 0; t < Math.max(1, Math.floor(size / 1000)); t++) {
  add(() => new aws.cloudtrail.Trail(\`trail-\${t}\`, {
    s3BucketName: logs.id,
    isMultiRegionTrail: t === 0,
    enableLogging: true,
    includeGlobalServiceEvents: true,
    enableLogFileValidation: true,
  }));
}
for (let b = 0; made < size; b++) {
  const team = add(() => new pulumi.ComponentResource("platform:index:Team", \`team-\${b}\`));
  const opts = { parent: team };
  const bucket = add(() => new aws.s3.Bucket(\`bucket-\${b}\`, { tags: { team: String(b) } }, opts));
  add(() => new aws.s3.BucketVersioning(\`versioning-\${b}\`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, opts));
  add(() => new aws.s3.BucketPublicAccessBlock(\`public-access-\${b}\`, { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true }, opts));
  const role = add(() => new aws.iam.Role(\`role-\${b}\`, {
    assumeRolePolicy: policy({ Effect: "Allow", Action: "sts:AssumeRole", Principal: { Service: "lambda.amazonaws.com" } }),
  }, opts));
  add(() => new aws.iam.RolePolicy(\`policy-\${b}\`, { role: role.id, policy: policy({ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }) }, opts));
  for (let o = 0; o < 44; o++) {
    add(() => new aws.s3.BucketObject(\`object-\${b}-\${o}\`, { bucket: bucket.id, key: \`data/\${o}.json\`, content: \`{"n": \${o}}\` }, opts));
  }
}
`;
}

export function writeProgram(size: number, language: "js" | "ts" = "js"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cis-cloudtrail-scale-${size}-`));
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: scale\nruntime: nodejs\n");
  fs.writeFileSync(path.join(dir, `index.${language}`), scaleProgram(size, language));
  // The program resolves @pulumi/pulumi and @pulumi/aws from this repository.
  fs.symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

/** Resident memory of a process and the pids of its children, from /proc; undefined once it is gone. */
function readProc(pid: number): { rssKb: number; children: number[] } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
    let children: number[] = [];
    try {
      children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      children = [];
    }
    return { rssKb: rss ? Number(rss[1]) : 0, children };
  } catch {
    return undefined;
  }
}

/** The resident memory of a process and all its descendants, now. */
function treeRssKb(root: number): number {
  let total = 0;
  const queue = [root];
  while (queue.length > 0) {
    const info = readProc(queue.pop() as number);
    if (info) {
      total += info.rssKb;
      queue.push(...info.children);
    }
  }
  return total;
}

export interface Measured {
  ms: number;
  peakKb: number;
  status: number | null;
  stderrTail: string;
}

export function measure(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    // A group of its own that ends with the bench: interrupted, the bench leaves no run behind.
    const child = spawn(process.execPath, ["--require", parentGuardPath(), ...args], {
      cwd, env: guardedEnv(env), stdio: ["ignore", "ignore", "pipe"], detached: true,
    });
    trackGroup(child);
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr = (stderr + c).slice(-2000)));
    let peakKb = 0;
    const sample = setInterval(() => {
      peakKb = Math.max(peakKb, treeRssKb(child.pid as number));
    }, SAMPLE_MS);
    child.on("error", reject);
    child.on("exit", (status) => {
      clearInterval(sample);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // The last samples of a process that exited between two ticks: its own high-water mark.
      resolve({ ms, peakKb, status, stderrTail: stderr.trim().split("\n").slice(-3).join(" | ") });
    });
  });
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export async function benchPreviewScale(sizes: number[], log: (m: string) => void): Promise<string> {
  const heapMb = workerHeapMb();
  const floorArgs = (dir: string) => [...(heapMb ? [`--max-old-space-size=${heapMb}`] : []), FLOOR, dir];
  const rows: string[][] = [];
  let met = true;
  for (const [i, size] of sizes.entries()) {
    const dir = writeProgram(size);
    try {
      const sides = i % 2 === 0 ? (["floor", "preview"] as const) : (["preview", "floor"] as const);
      const result: Partial<Record<"floor" | "preview", Measured>> = {};
      for (const side of sides) {
        const args = side === "floor" ? floorArgs(dir) : [PREVIEW, "--timeout", "3600", dir];
        const m = await measure(args, REPO);
        if (side === "floor" ? m.status !== 0 : m.status !== 0 && m.status !== 1) {
          throw new Error(`${side} of ${size} resources exited ${m.status}: ${m.stderrTail}`);
        }
        result[side] = m;
        log(`preview scale: ${size.toLocaleString("en")} resources, ${side} ${seconds(m.ms)}, peak ${mib(m.peakKb)}`);
      }
      const floor = result.floor as Measured;
      const preview = result.preview as Measured;
      const time = preview.ms / floor.ms;
      const memory = preview.peakKb / floor.peakKb;
      met &&= time <= TARGET_TIME && memory <= TARGET_MEMORY;
      rows.push([
        size.toLocaleString("en"),
        seconds(floor.ms), seconds(preview.ms), ratio(time),
        mib(floor.peakKb), mib(preview.peakKb), ratio(memory),
        `${(preview.peakKb / size).toFixed(0)} KiB`,
        time <= TARGET_TIME && memory <= TARGET_MEMORY ? "yes" : "NO",
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return [
    `Preview of generated programs (buckets, versioning, public-access blocks, IAM roles and policies, objects, ` +
      `components; a trail per 1,000) against the floor: the same program under plain pulumi.runtime.setMocks, ` +
      `no analysis. Time is spawn to exit; peak is the most memory the side's processes held at once ` +
      `(program worker, policy pack and command together for the preview). Heap limit for both: ${heapMb ?? "NODE_OPTIONS"} MiB.`,
    table(
      ["resources", "floor", "preview", "time ratio", "floor peak", "preview peak", "memory ratio", "preview per resource", "met"],
      rows,
    ),
    `Targets: time ≤ ${TARGET_TIME}× and peak memory ≤ ${TARGET_MEMORY}× the floor at every size: ${met ? "yes" : "NO"}.`,
  ].join("\n");
}
