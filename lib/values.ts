// How property values look when they reach a rule, and the markers the rules use for values
// they cannot read: unknown until deploy, or not of the shape AWS accepts.

/** What the engine sends for a value unknown during preview. */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The sentinels @pulumi/policy knows, one per kind of value. */
const UNKNOWN_SENTINELS = new Set([
  UNKNOWN_VALUE, // string
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
]);

/** The engine's signature key and the signatures of its special values. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
export const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
export const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
export const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";

export function isUnknownSentinel(value: unknown): boolean {
  return typeof value === "string" && UNKNOWN_SENTINELS.has(value);
}

/** A value that will only be known at deploy time; `path` names the property. */
export class Unknown {
  constructor(readonly path: string) {}
}

/** A value AWS would reject or that has the wrong type; the parse step reports why. */
export class Malformed {
  constructor(readonly path: string) {}
}

export type Uncertain = Unknown | Malformed;
export type Value<T> = T | Uncertain;

/**
 * Unwraps the wire forms a raw value can take (a `pulumi stack export` file, a hand-written test
 * input): a secret becomes its plain value, or unknown when only ciphertext is there, and an output
 * value becomes its value, or unknown. Values from @pulumi/policy arrive already unwrapped.
 */
export function unwrap(value: unknown): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  const sig = record[SIG_KEY];
  if (sig === SECRET_SIG) {
    if ("value" in record) return unwrap(record.value);
    if (typeof record.plaintext === "string") return decodePlaintext(record.plaintext);
    return UNKNOWN_VALUE;
  }
  if (sig === OUTPUT_SIG) return "value" in record ? unwrap(record.value) : UNKNOWN_VALUE;
  return value;
}

/** A secret's "plaintext" as a stack export stores it: JSON-encoded, or else the text itself. */
export function decodePlaintext(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The stack tag through which a caller that read the stack from AWS (`npm run check-account`) names
 * the values it could not read, and why: JSON {"<urn>": {"<property>": "<the AWS error>"}}. Such a
 * value reaches the pack as unknown, but it is not a preview's: no deploy will make it known.
 */
export const UNREADABLE_TAG = "cis-cloudtrail:unreadable";

let parsedTag: { text: string; reasons: Record<string, Record<string, string>> } | undefined;

/** The tag's reasons for one resource, by top-level property; undefined without the tag or a valid entry. */
export function unreadableProperties(tag: string | undefined, urn: string): Record<string, string> | undefined {
  if (tag === undefined) return undefined;
  if (parsedTag?.text !== tag) {
    let reasons: unknown;
    try {
      reasons = JSON.parse(tag);
    } catch {
      reasons = undefined;
    }
    parsedTag = { text: tag, reasons: reasons !== null && typeof reasons === "object" ? reasons as Record<string, Record<string, string>> : {} };
  }
  const entry = Object.prototype.hasOwnProperty.call(parsedTag.reasons, urn) ? parsedTag.reasons[urn] : undefined;
  return entry !== null && typeof entry === "object" && !Array.isArray(entry) ? entry : undefined;
}
