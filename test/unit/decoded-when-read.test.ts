// The envelope guard decodes a resource's props as they are read (policies/envelope-guard.ts):
// with the real SDK deserializer and a real protobuf Struct, what a policy sees is what the SDK's
// eager decoding gives, and reading one property leaves the others undecoded.
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { Deserializer, guardDeserializer } from "../../policies/envelope-guard";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const sdk = require("@pulumi/policy/deserialize") as { deserializeProperties: (s: unknown, p: boolean) => Record<string, unknown> };
const eager = sdk.deserializeProperties;

function guarded(): Deserializer {
  const module: Deserializer = { deserializeProperties: eager as Deserializer["deserializeProperties"] };
  guardDeserializer(module);
  return module;
}

const BUCKET = {
  bucket: "logs",
  tags: { team: "platform" },
  lifecycleRules: [{ enabled: true, expiration: { days: 30 } }],
  policy: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "{}" },
};

/** A Struct that counts how often its fields are decoded whole and one by one. */
function counted(props: Record<string, unknown>): { struct: Struct; whole: () => number; fields: string[] } {
  const struct = Struct.fromJavaScript(props as never);
  let whole = 0;
  const fields: string[] = [];
  const toJavaScript = struct.toJavaScript.bind(struct);
  struct.toJavaScript = () => {
    whole++;
    return toJavaScript();
  };
  const map = struct.getFieldsMap();
  const get = map.get.bind(map);
  map.get = (key: string) => {
    fields.push(key);
    return get(key);
  };
  struct.getFieldsMap = () => map;
  return { struct, whole: () => whole, fields };
}

describe("props decoded when read", () => {
  test("the whole object equals the SDK's eager decoding, secrets unwrapped", () => {
    const { struct } = counted(BUCKET);
    const lazy = guarded().deserializeProperties!(struct, false);
    expect(JSON.parse(JSON.stringify(lazy))).toEqual(eager(Struct.fromJavaScript(BUCKET as never), false));
    expect(Object.keys(lazy)).toEqual(Object.keys(eager(Struct.fromJavaScript(BUCKET as never), false)));
    expect(lazy.policy).toBe("{}");
    expect(Object.getPrototypeOf(lazy)).toBe(Object.prototype);
  });

  test("reading one property decodes that field alone; a field the request lacks decodes nothing", () => {
    const { struct, whole, fields } = counted(BUCKET);
    const lazy = guarded().deserializeProperties!(struct, false);
    expect(lazy.bucket).toBe("logs");
    expect(Object.getOwnPropertyDescriptor(lazy, "bucket")?.value).toBe("logs");
    expect(lazy.bucketPrefix).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(lazy, "bucketPrefix")).toBeUndefined();
    expect(whole()).toBe(0);
    expect(fields.every((f) => f === "bucket")).toBe(true);
    // Looking at the object as a whole decodes it once; later reads come from that.
    expect("tags" in lazy).toBe(true);
    expect((lazy.tags as Record<string, string>).team).toBe("platform");
    expect(whole()).toBe(1);
    expect(typeof lazy.toString).toBe("function");
  });

  test("the decoding is shared between the policies of one request, each with its own top level", () => {
    const { struct, whole } = counted(BUCKET);
    const module = guarded();
    const first = module.deserializeProperties!(struct, false);
    const second = module.deserializeProperties!(struct, false);
    first.bucket = "changed";
    expect(Object.keys(second)).toHaveLength(4);
    expect(second.bucket).toBe("logs");
    expect(whole()).toBe(1);
  });

  test("a field the policies of one request read is decoded once for all of them, and not again once the whole is", () => {
    const { struct, whole, fields } = counted(BUCKET);
    const module = guarded();
    const views = [1, 2, 3].map(() => module.deserializeProperties!(struct, false));
    expect(views.map((v) => v.bucket)).toEqual(["logs", "logs", "logs"]);
    expect(views.map((v) => Object.getOwnPropertyDescriptor(v, "bucket")?.value)).toEqual(["logs", "logs", "logs"]);
    expect(fields.filter((f) => f === "bucket")).toHaveLength(1);
    expect(Object.keys(views[0])).toHaveLength(4);
    expect((views[1].tags as Record<string, string>).team).toBe("platform");
    expect(Object.getOwnPropertyDescriptor(views[2], "lifecycleRules")?.value).toEqual(BUCKET.lifecycleRules);
    expect(views[2].bucketPrefix).toBeUndefined();
    expect(whole()).toBe(1);
    expect(fields.filter((f) => f !== "bucket")).toEqual([]);
    // What the views keep while they wait is never seen: their keys are the props' alone.
    const keys = Object.keys(eager(Struct.fromJavaScript(BUCKET as never), false));
    expect(views.map((v) => Reflect.ownKeys(v))).toEqual([keys, keys, keys]);
  });

  test("a Struct that cannot carry the shared props is still read, each view on its own", () => {
    const { struct, whole } = counted(BUCKET);
    Object.freeze(struct);
    const module = guarded();
    const [first, second] = [1, 2].map(() => module.deserializeProperties!(struct, false));
    expect(first.bucket).toBe("logs");
    expect({ ...second }).toEqual({ ...first });
    expect(whole()).toBe(2);
  });

  test("an envelope the SDK cannot read still becomes an empty object, read one field or whole", () => {
    const props = { name: "t", s3BucketName: { "4dabf18193072939515e22adb298388d": "not-a-signature" } };
    const lazy = guarded().deserializeProperties!(Struct.fromJavaScript(props as never), false);
    expect(lazy.s3BucketName).toEqual({});
    expect(lazy.name).toBe("t");
    const whole = guarded().deserializeProperties!(Struct.fromJavaScript(props as never), false);
    expect({ ...whole }).toEqual({ name: "t", s3BucketName: {} });
    expect(() => eager(Struct.fromJavaScript(props as never), false)).toThrow();
  });
});
