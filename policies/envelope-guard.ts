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

/** What a Struct offers for reading one field without decoding the others. */
interface Fields {
  getFieldsMap?(): { has(key: string): boolean; get(key: string): { toJavaScript(): unknown } | undefined };
}

/** One field's reading: its value, "absent" when the request does not hold it, undefined when unsure. */
export type FieldReading = { value: unknown } | "absent" | undefined;

/**
 * A resource's props, decoded as they are read. The SDK decodes every resource of a stack once per
 * stack policy, yet the pack's policies read only trails whole, and one or two properties of buckets
 * and providers: reading one property decodes that field alone (`decodeField`), and anything that
 * looks at the object as a whole decodes all of it (`decode`) first. The prototype is a plain
 * object's either way. (Every read through the SDK's proxy also asks for the property's descriptor:
 * V8 checks the proxy's answer against it, so the descriptor is answered per field too.)
 */
export function decodedWhenRead(
  decode: () => Record<string, unknown>,
  decodeField: (key: string) => FieldReading = () => undefined,
): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  let decoded = false;
  const ready = (): Record<string, unknown> => {
    if (!decoded) {
      decoded = true;
      Object.assign(target, decode());
    }
    return target;
  };
  // A read through the SDK's proxy asks for the value and then the descriptor: one decoding serves both.
  const readings = new Map<string, FieldReading>();
  const field = (key: string | symbol): FieldReading => {
    if (decoded || typeof key !== "string") return undefined;
    if (!readings.has(key)) readings.set(key, decodeField(key));
    return readings.get(key);
  };
  return new Proxy(target, {
    get: (t, key) => {
      const one = field(key);
      if (one === "absent") return Reflect.get(t, key);
      return one ? one.value : Reflect.get(ready(), key);
    },
    getOwnPropertyDescriptor: (t, key) => {
      const one = field(key);
      if (one === "absent") return Reflect.getOwnPropertyDescriptor(t, key);
      return one
        ? { value: one.value, writable: true, enumerable: true, configurable: true }
        : Reflect.getOwnPropertyDescriptor(ready(), key);
    },
    has: (_t, key) => Reflect.has(ready(), key),
    ownKeys: () => Reflect.ownKeys(ready()),
    defineProperty: (_t, key, descriptor) => Reflect.defineProperty(ready(), key, descriptor),
    set: (_t, key, value) => Reflect.set(ready(), key, value),
    deleteProperty: (_t, key) => Reflect.deleteProperty(ready(), key),
    preventExtensions: () => Reflect.preventExtensions(ready()),
  });
}

/** Wraps the SDK's deserializer once; a second call changes nothing. */
export function guardDeserializer(module: Deserializer): void {
  const original = module.deserializeProperties;
  if (typeof original !== "function" || module.__guarded) {
    return;
  }
  module.__guarded = true;
  const guarded: Deserialize = (struct, proxySecrets) => {
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
  // AnalyzeStack hands each stack policy the same request, so a resource read by several policies
  // is decoded once; each policy still gets its own top-level object, as Analyze's policies share
  // one decoding of their request.
  const decodedOnce = new WeakMap<object, Record<string, unknown>>();
  const decodeShared = (struct: Parameters<Deserialize>[0]): Record<string, unknown> => {
    if (typeof struct !== "object" || struct === null) return guarded(struct, false);
    let decoded = decodedOnce.get(struct);
    if (!decoded) {
      decoded = guarded(struct, false);
      decodedOnce.set(struct, decoded);
    }
    return decoded;
  };
  // One field through the SDK's own reading; a field it cannot read leaves the decision to the
  // whole object's guarded decoding. A field the request does not hold is the prototype's.
  const decodeField = (struct: Parameters<Deserialize>[0], key: string): FieldReading => {
    const fields = (struct as Fields).getFieldsMap?.();
    if (!fields || key === "__proto__") return undefined;
    if (!fields.has(key)) return "absent";
    try {
      const value = fields.get(key)?.toJavaScript();
      return { value: original({ toJavaScript: () => ({ [key]: value }) }, false)[key] };
    } catch {
      return undefined;
    }
  };
  // Remediate's secret-preserving props are decoded at once: its proxies stay as the SDK makes them.
  module.deserializeProperties = (struct, proxySecrets) =>
    proxySecrets
      ? guarded(struct, proxySecrets)
      : decodedWhenRead(() => decodeShared(struct), (key) => decodeField(struct, key));
}
