// Reading props through @pulumi/policy's real unknown-checking proxy, both ways the pack can.
import { unknownCheckingProxy } from "@pulumi/policy";
import { plainProps, readProps } from "../../policies/common";
import { UNKNOWN } from "./fixtures";

const raw = {
  isMultiRegionTrail: UNKNOWN,
  eventSelectors: [{ readWriteType: "All", excludeManagementEventSources: [UNKNOWN] }],
  tags: { team: "security" },
};

describe("reading props through the SDK's proxy", () => {
  test("the proxy throws on an unknown, which is why the pack does not read it naively", () => {
    expect(() => unknownCheckingProxy(raw).isMultiRegionTrail).toThrow("can't be known during preview");
  });

  test("readProps returns the values with unknowns as the engine's sentinel", () => {
    expect(readProps(unknownCheckingProxy(raw))).toEqual(raw);
  });

  test("plainProps, the fallback, copies the same values out one property at a time", () => {
    expect(plainProps(unknownCheckingProxy(raw))).toEqual(raw);
  });

  test("plain objects (exports, tests) are read as they are", () => {
    expect(readProps(raw)).toEqual(raw);
  });

  test("a getter that throws gives an unreadable value, not an exception", () => {
    const hostile = Object.defineProperty({}, "isMultiRegionTrail", { enumerable: true, get: () => { throw new Error("boom"); } });
    expect(typeof (plainProps(hostile) as Record<string, unknown>).isMultiRegionTrail).toBe("symbol");
  });
});
