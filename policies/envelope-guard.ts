// The pack's edge: @pulumi/policy deserializes a request's properties before any policy runs, and
// throws on an envelope the engine never sends (a secret without its value, a signature it does not
// know, an asset with nothing in it). Analyze and AnalyzeStack then answer with an RPC error, and
// Remediate, whose deserialization sits outside its own error handling, never answers at all.
//
// The SDK's server calls its deserializer through the module's exports, so wrapping that export here
// reaches every request. When the SDK's own reading fails, each envelope it cannot read is replaced
// by an empty object, which no policy accepts where a trail property belongs: the trail is reported
// as malformed (fail closed) and the request is answered with diagnostics like any other.

import { ARCHIVE_SIG, ASSET_SIG, SECRET_SIG, SIG_KEY } from "../lib/values";

type Deserialize = (struct: { toJavaScript(): unknown }, proxySecrets: boolean) => Record<string, unknown>;

/** The signatures the SDK's deserializer reads; a secret must also carry its value. */
const READABLE_SIGS = new Set([SECRET_SIG, ASSET_SIG, ARCHIVE_SIG]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The envelope's replacement when the SDK cannot read it: an empty object, no policy's shape. */
function readable(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(readable);
  }
  if (!isPlainObject(value)) {
    return value;
  }
  const sig = value[SIG_KEY];
  if (sig !== undefined) {
    if (!READABLE_SIGS.has(sig as string) || (sig === SECRET_SIG && value.value === undefined)) {
      return {};
    }
    if (sig === SECRET_SIG) {
      return { [SIG_KEY]: SECRET_SIG, value: readable(value.value) };
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = readable(v);
  }
  return out;
}

/** The module that exports the SDK's deserializer. */
export interface Deserializer {
  deserializeProperties?: Deserialize;
  __guarded?: boolean;
}

/** Wraps the SDK's deserializer once; a second call changes nothing. */
export function guardDeserializer(module: Deserializer): void {
  const original = module.deserializeProperties;
  if (typeof original !== "function" || module.__guarded) {
    return;
  }
  module.__guarded = true;
  module.deserializeProperties = (struct, proxySecrets) => {
    try {
      return original(struct, proxySecrets);
    } catch {
      // An asset or archive with nothing to read stays unreadable: then there are no properties.
      const props = readable(struct.toJavaScript());
      try {
        return original({ toJavaScript: () => props }, proxySecrets);
      } catch {
        return original({ toJavaScript: () => ({}) }, proxySecrets);
      }
    }
  };
}
