// Resource transforms, run on a registration's inputs before the mocks record them.

import { RegisterRequest, SdkLike, StructLike } from "./sdk";

export type Transform = (args: {
  type: string;
  name: string;
  custom: boolean;
  props: Record<string, unknown>;
  opts: Record<string, unknown>;
}) => unknown;

/**
 * Runs resource transforms on a registration's inputs, as the engine does before anything else sees
 * them: the resource's own, then its ancestors', then the stack's. Changes to options are not applied.
 */
export async function applyTransforms(sdk: SdkLike, req: RegisterRequest, transforms: Transform[]): Promise<void> {
  const object = req.getObject();
  if (transforms.length === 0 || !object) {
    return;
  }
  let props = sdk.runtime.deserializeProperties(object) as Record<string, unknown>;
  let opts: Record<string, unknown> = {};
  for (const t of transforms) {
    const result = (await t({ type: req.getType(), name: req.getName(), custom: req.getCustom(), props, opts })) as
      | { props?: Record<string, unknown>; opts?: Record<string, unknown> }
      | undefined;
    if (result) {
      props = result.props ?? props;
      opts = result.opts ?? opts;
    }
  }
  const serialized = await sdk.runtime.serializeProperties(`transform of ${req.getName()}`, props);
  const Struct = (object as unknown as { constructor: { fromJavaScript(v: unknown): StructLike } }).constructor;
  req.setObject(Struct.fromJavaScript(serialized));
}
