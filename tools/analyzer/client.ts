// Starts a policy pack the way the Pulumi CLI does and speaks pulumirpc.Analyzer to it.
import { ChildProcessByStdio, spawn } from "child_process";
import * as path from "path";
import { Readable } from "stream";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import {
  Empty,
  analyzeRequest,
  analyzeResult,
  analyzeStackRequest,
  analyzerInfo,
  configureRequest,
  reconcileConfig,
  remediateResult,
  stackConfigureRequest,
} from "./marshal";
import { guardedEnv, parentGuardPath, signalGroup, trackGroup } from "./process-group";
import { AnalyzeResult, AnalyzerInfo, PolicyConfig, RemediateResult, Remediation, ResourceToAnalyze, StackContext } from "./types";

export { reconcileConfig, secret, toStruct } from "./marshal";

/**
 * What the pack gets as <engine-address>. run-policy-pack drops that argument, and the Node SDK only
 * dials an engine named in PULUMI_NODEJS_ENGINE, which the CLI does not set for policy packs: logs go
 * to stderr. Port 0 never accepts a connection, so nothing could reach a stranger's server through it.
 */
export const ENGINE_ADDRESS = "127.0.0.1:0";

/** The engine's receive limit for plugin replies (400 MiB), the same as the pack's own server. */
const MAX_MESSAGE_BYTES = 400 * 1024 * 1024;

export interface StartOptions {
  /** Added to this process's environment, as the CLI adds PULUMI_CONFIG and friends to its own. */
  env?: NodeJS.ProcessEnv;
  /** How long the pack may take to print its port and answer; 30 s by default. */
  startTimeoutMs?: number;
  /** How long one call may go unanswered before it fails with DEADLINE_EXCEEDED; 5 minutes by default. */
  requestTimeoutMs?: number;
}

/** A bound on one call: it fails with DEADLINE_EXCEEDED if unanswered by then (epoch milliseconds). */
export interface CallOptions {
  deadline?: number;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 5 * 60 * 1000;

export interface PolicyPackClient {
  readonly pid: number;
  readonly port: number;
  /** Everything the pack wrote to stderr so far. */
  stderr(): string;
  /** Everything the pack wrote to stdout after its port. */
  stdout(): string;
  getAnalyzerInfo(): Promise<AnalyzerInfo>;
  /** Sends the config the CLI would: this config over the pack's defaults (see reconcileConfig). */
  configure(config: Record<string, PolicyConfig>): Promise<void>;
  configureStack(ctx: StackContext): Promise<void>;
  analyze(resource: ResourceToAnalyze, options?: CallOptions): Promise<AnalyzeResult>;
  analyzeStack(resources: ResourceToAnalyze[], options?: CallOptions): Promise<AnalyzeResult>;
  remediate(resource: ResourceToAnalyze, options?: CallOptions): Promise<Remediation[]>;
  /** Remediate's whole answer, with the policies that said they do not apply. */
  remediateResult(resource: ResourceToAnalyze, options?: CallOptions): Promise<RemediateResult>;
  /** Closes the channel, stops the pack and waits for it to exit. Safe to call twice. */
  close(): Promise<void>;
}

/** A failed Analyzer call, with the gRPC status code and the pack's message. */
export class AnalyzerCallError extends Error {
  constructor(
    readonly method: string,
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
    this.name = "AnalyzerCallError";
  }
}

type PackProcess = ChildProcessByStdio<null, Readable, Readable>;

/** Collects a pack's output: the first stdout line is its port, the rest is the pack's own printing. */
class PackOutput {
  stdout = "";
  stderr = "";
  portLine?: string;
  onPortLine?: (line: string) => void;

  constructor(child: PackProcess) {
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      this.stdout += chunk;
      const end = this.stdout.indexOf("\n");
      if (this.portLine === undefined && end >= 0) {
        this.portLine = this.stdout.slice(0, end).trim();
        this.stdout = this.stdout.slice(end + 1);
        this.onPortLine?.(this.portLine);
      }
    });
  }
}

function hasExited(child: PackProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function withStderr(message: string, output: PackOutput): string {
  const stderr = output.stderr.trim();
  return stderr ? `${message}; its stderr:\n${stderr}` : `${message}; it wrote nothing to stderr`;
}

/** Stops the pack's whole process group: SIGTERM, then SIGKILL after 5 s. */
function stopProcess(child: PackProcess): Promise<void> {
  const pid = child.pid as number;
  if (hasExited(child)) {
    // The pack is gone; anything it started may not be.
    signalGroup(pid, "SIGKILL");
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const force = setTimeout(() => signalGroup(pid, "SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(force);
      signalGroup(pid, "SIGKILL");
      resolve();
    });
    signalGroup(pid, "SIGTERM");
  });
}

function waitForPort(child: PackProcess, output: PackOutput, packDir: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | undefined, port?: number) => {
      clearTimeout(timer);
      child.off("close", onClose);
      child.off("error", onError);
      output.onPortLine = undefined;
      return err ? reject(err) : resolve(port as number);
    };
    const fail = (why: string) => done(new Error(withStderr(`policy pack ${packDir} ${why}`, output)));
    // "close" rather than "exit": by then stderr has been read to the end.
    const onClose = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`exited (${signal ?? `code ${code}`}) before printing its port`);
    const onError = (err: Error) => fail(`could not be started: ${err.message}`);
    const onPortLine = (line: string) =>
      /^[1-9]\d*$/.test(line) ? done(undefined, Number(line)) : fail(`printed "${line}" where its port belongs`);
    const timer = setTimeout(() => fail(`printed no port within ${timeoutMs} ms`), timeoutMs);
    child.on("close", onClose);
    child.on("error", onError);
    output.onPortLine = onPortLine;
  });
}

function waitForReady(client: grpc.Client, deadline: number): Promise<void> {
  return new Promise((resolve, reject) => client.waitForReady(deadline, (err) => (err ? reject(err) : resolve())));
}

class Client implements PolicyPackClient {
  readonly pid: number;
  private info?: Promise<analyzerPb.AnalyzerInfo>;
  private closed = false;

  constructor(
    private readonly child: PackProcess,
    private readonly output: PackOutput,
    private readonly client: AnalyzerClient,
    readonly port: number,
    private readonly requestTimeoutMs: number,
  ) {
    this.pid = child.pid as number;
  }

  stderr(): string {
    return this.output.stderr;
  }

  stdout(): string {
    return this.output.stdout;
  }

  private call<T>(
    method: string,
    invoke: (metadata: grpc.Metadata, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: T) => void) => void,
    options: CallOptions = {},
  ): Promise<T> {
    if (this.closed) {
      return Promise.reject(new AnalyzerCallError(method, grpc.status.UNAVAILABLE, `${method} failed: the client is closed`));
    }
    const sent = Date.now();
    const deadline = options.deadline ?? sent + this.requestTimeoutMs;
    return new Promise((resolve, reject) =>
      invoke(new grpc.Metadata(), { deadline }, (err, res) => {
        if (!err) {
          return resolve(res);
        }
        const message =
          err.code === grpc.status.DEADLINE_EXCEEDED
            ? `${method} failed: the pack did not answer within ${Math.max(0, Math.round((deadline - sent) / 1000))}s`
            : `${method} failed: ${err.details || err.message}`;
        reject(new AnalyzerCallError(method, err.code, hasExited(this.child) ? withStderr(`${message}; the pack has exited`, this.output) : message));
      }),
    );
  }

  /** The engine asks before any other call and carries on when a pack, like @pulumi/policy, lacks Handshake. */
  async handshake(packDir: string): Promise<void> {
    const req = new analyzerPb.AnalyzerHandshakeRequest()
      .setEngineAddress(ENGINE_ADDRESS)
      .setRootDirectory(packDir)
      .setProgramDirectory(packDir);
    try {
      await this.call("Handshake", (md, o, cb) => this.client.handshake(req, md, o, cb));
    } catch (err) {
      if (!(err instanceof AnalyzerCallError && err.code === grpc.status.UNIMPLEMENTED)) {
        throw err;
      }
    }
  }

  async getAnalyzerInfo(): Promise<AnalyzerInfo> {
    // The answer never changes during a pack's life; the engine caches it too.
    if (!this.info) {
      this.info = this.call("GetAnalyzerInfo", (md, o, cb) => this.client.getAnalyzerInfo(new Empty(), md, o, cb));
      this.info.catch(() => {
        this.info = undefined;
      });
    }
    return analyzerInfo(await this.info);
  }

  async configure(config: Record<string, PolicyConfig>): Promise<void> {
    const req = configureRequest(reconcileConfig(await this.getAnalyzerInfo(), config));
    await this.call("Configure", (md, o, cb) => this.client.configure(req, md, o, cb));
  }

  async configureStack(ctx: StackContext): Promise<void> {
    const req = stackConfigureRequest(ctx);
    await this.call("ConfigureStack", (md, o, cb) => this.client.configureStack(req, md, o, cb));
  }

  async analyze(resource: ResourceToAnalyze, options?: CallOptions): Promise<AnalyzeResult> {
    const req = analyzeRequest(resource, true);
    return analyzeResult(await this.call("Analyze", (md, o, cb) => this.client.analyze(req, md, o, cb), options));
  }

  async analyzeStack(resources: ResourceToAnalyze[], options?: CallOptions): Promise<AnalyzeResult> {
    const req = analyzeStackRequest(resources);
    return analyzeResult(await this.call("AnalyzeStack", (md, o, cb) => this.client.analyzeStack(req, md, o, cb), options));
  }

  async remediate(resource: ResourceToAnalyze, options?: CallOptions): Promise<Remediation[]> {
    return (await this.remediateResult(resource, options)).remediations;
  }

  async remediateResult(resource: ResourceToAnalyze, options?: CallOptions): Promise<RemediateResult> {
    const req = analyzeRequest(resource, false);
    return remediateResult(await this.call("Remediate", (md, o, cb) => this.client.remediate(req, md, o, cb), options));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.client.close();
    await stopProcess(this.child);
  }
}

/**
 * Starts the pack in packDir as the CLI's pulumi-analyzer-policy shim does: run-policy-pack resolved
 * from the pack directory (so a pack without node_modules of its own uses the nearest ancestor's),
 * run with cwd = packDir and arguments <engine-address> "." like the engine passes them.
 */
export async function startPolicyPack(packDir: string, options: StartOptions = {}): Promise<PolicyPackClient> {
  const dir = path.resolve(packDir);
  const timeoutMs = options.startTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;

  let runPolicyPack: string;
  try {
    runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir] });
  } catch {
    throw new Error(`cannot find @pulumi/pulumi/cmd/run-policy-pack from ${dir}: are the pack's dependencies installed?`);
  }

  // The preloaded guard only ends the pack when this process dies unannounced; the pack is otherwise
  // started exactly as the CLI starts it. Its own process group: stopping it stops all it started.
  const child = spawn(process.execPath, ["--require", parentGuardPath(), runPolicyPack, ENGINE_ADDRESS, "."], {
    cwd: dir,
    env: guardedEnv({ ...process.env, ...options.env }),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  trackGroup(child);
  const output = new PackOutput(child);
  // Errors after start (a failed kill, say) surface as failed calls instead of crashing the caller.
  child.on("error", () => undefined);

  let port: number;
  try {
    port = await waitForPort(child, output, dir, timeoutMs);
  } catch (err) {
    await stopProcess(child);
    throw err;
  }

  const grpcClient = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
  });
  const client = new Client(child, output, grpcClient, port, options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS);
  try {
    await waitForReady(grpcClient, deadline);
    await client.handshake(dir);
  } catch (err) {
    await client.close();
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(withStderr(`policy pack ${dir} printed port ${port} but did not answer: ${why}`, output));
  }
  return client;
}
