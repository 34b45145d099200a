// Calls a running pack with requests serialised ahead of time, so a timing holds only what the
// pack does (decode, policies, encode) and the loopback gRPC trip, not this process's marshalling.
import * as grpc from "@grpc/grpc-js";
import * as analyzerPb from "@pulumi/pulumi/proto/analyzer_pb";
import { analyzeRequest, analyzeResult, analyzeStackRequest } from "../analyzer/marshal";
import { AnalyzeResult, ResourceToAnalyze } from "../analyzer/types";

const MAX_MESSAGE_BYTES = 400 * 1024 * 1024;
const identity = (b: Buffer) => b;

export type Method = "Analyze" | "AnalyzeStack";

export function encodeAnalyze(resource: ResourceToAnalyze): Buffer {
  return Buffer.from(analyzeRequest(resource, true).serializeBinary());
}

export function encodeAnalyzeStack(resources: ResourceToAnalyze[]): Buffer {
  return Buffer.from(analyzeStackRequest(resources).serializeBinary());
}

/**
 * An AnalyzeStack request from resources encoded one by one: a repeated field's entries simply
 * follow each other on the wire, so the request is the concatenation of one-resource requests,
 * and a resource shared by several stacks is encoded once.
 */
export class StackEncoder {
  private readonly cache = new Map<string, Buffer>();

  encode(entries: { key: string; make: () => ResourceToAnalyze }[]): Buffer {
    return Buffer.concat(entries.map((e) => {
      let bytes = this.cache.get(e.key);
      if (!bytes) {
        bytes = encodeAnalyzeStack([e.make()]);
        this.cache.set(e.key, bytes);
      }
      return bytes;
    }));
  }
}

export function decodeResult(bytes: Buffer): AnalyzeResult {
  return analyzeResult(analyzerPb.AnalyzeResponse.deserializeBinary(new Uint8Array(bytes)));
}

export class WireClient {
  private readonly client: grpc.Client;

  constructor(port: number) {
    this.client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
      "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
    });
  }

  ready(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (err) => (err ? reject(err) : resolve())));
  }

  /** Sends pre-encoded bytes; resolves with the encoded reply and the round trip in milliseconds. */
  call(method: Method, request: Buffer): Promise<{ reply: Buffer; ms: number }> {
    return new Promise((resolve, reject) => {
      const start = process.hrtime.bigint();
      this.client.makeUnaryRequest(`/pulumirpc.Analyzer/${method}`, identity, identity, request, (err, reply) => {
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        if (err || !reply) return reject(err ?? new Error(`${method} returned nothing`));
        resolve({ reply, ms });
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
