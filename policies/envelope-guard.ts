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
 * One resource's props in one request, decoded as they are read and shared by every policy that
 * reads them: the whole object (`decode`) at most once, and each field (`decodeField`) at most
 * once until then.
 */
export class LazyProps {
  private whole: Record<string, unknown> | undefined;
  private readings: Map<string, FieldReading> | undefined;

  constructor(
    private readonly decode: () => Record<string, unknown>,
    private readonly decodeField: (key: string) => FieldReading = () => undefined,
  ) {}

  all(): Record<string, unknown> {
    if (this.whole === undefined) this.whole = this.decode();
    return this.whole;
  }

  field(key: string | symbol): FieldReading {
    if (typeof key !== "string") return undefined;
    if (this.whole !== undefined) return Object.prototype.hasOwnProperty.call(this.whole, key) ? { value: this.whole[key] } : "absent";
    this.readings ??= new Map();
    if (!this.readings.has(key)) this.readings.set(key, this.decodeField(key));
    return this.readings.get(key);
  }
}

/** Where a view keeps its props until it holds them all: then the view is a plain object behind the proxy. */
const PENDING = Symbol("pending props");
type View = Record<string | symbol, unknown>;

/** A view's own copy of the whole object, made once, before anything looks at it as a whole or changes it. */
function ready(view: View): View {
  const props = view[PENDING] as LazyProps | undefined;
  if (props) {
    delete view[PENDING];
    Object.assign(view, props.all());
  }
  return view;
}

const fieldOf = (view: View, key: string | symbol): FieldReading => (view[PENDING] as LazyProps | undefined)?.field(key);

// One handler for every view: a resource costs the SDK's loop an empty object and a proxy per policy.
// (Every read through the SDK's proxy also asks for the property's descriptor: V8 checks the
// proxy's answer against it, so the descriptor is answered per field too.)
const VIEW: ProxyHandler<View> = {
  get: (view, key) => {
    const one = fieldOf(view, key);
    if (one === "absent") return Reflect.get(view, key);
    return one ? one.value : Reflect.get(ready(view), key);
  },
  getOwnPropertyDescriptor: (view, key) => {
    const one = fieldOf(view, key);
    if (one === "absent") return Reflect.getOwnPropertyDescriptor(view, key);
    return one
      ? { value: one.value, writable: true, enumerable: true, configurable: true }
      : Reflect.getOwnPropertyDescriptor(ready(view), key);
  },
  has: (view, key) => Reflect.has(ready(view), key),
  ownKeys: (view) => Reflect.ownKeys(ready(view)),
  defineProperty: (view, key, descriptor) => Reflect.defineProperty(ready(view), key, descriptor),
  set: (view, key, value) => Reflect.set(ready(view), key, value),
  deleteProperty: (view, key) => Reflect.deleteProperty(ready(view), key),
  preventExtensions: (view) => Reflect.preventExtensions(ready(view)),
};

/**
 * A policy's view of a resource's props. The SDK decodes every resource of a stack once per stack
 * policy, yet the pack's policies read only trails whole, and one or two properties of buckets and
 * providers: reading one property decodes that field alone, and anything that looks at the object
 * as a whole, or changes it, gives the view its own top level first. The prototype is a plain
 * object's either way.
 */
export function decodedWhenRead(props: LazyProps): Record<string, unknown> {
  return new Proxy({ [PENDING]: props }, VIEW);
}

const SHARED_PROPS = Symbol("props shared by a request's policies");

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
  // AnalyzeStack hands each stack policy the same request, so a resource read by several policies
  // is decoded once; each policy still gets its own top-level object, as Analyze's policies share
  // one decoding of their request.
  // The props ride on the request's own Struct (a symbol protobuf never reads), so they live
  // exactly as long as the request, with no weak table for the collector to sweep.
  const propsOf = (struct: Parameters<Deserialize>[0]): LazyProps => {
    if (typeof struct !== "object" || struct === null || !Object.isExtensible(struct)) return new LazyProps(() => guarded(struct, false));
    const holder = struct as { [SHARED_PROPS]?: LazyProps };
    return (holder[SHARED_PROPS] ??= new LazyProps(() => guarded(struct, false), (key) => decodeField(struct, key)));
  };
  // Remediate's secret-preserving props are decoded at once: its proxies stay as the SDK makes them.
  module.deserializeProperties = (struct, proxySecrets) =>
    proxySecrets
      ? guarded(struct, proxySecrets)
      : decodedWhenRead(propsOf(struct));
}
