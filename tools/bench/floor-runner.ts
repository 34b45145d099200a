// The floor of the preview-scale bench: a program run under plain `pulumi.runtime.setMocks`, in
// preview mode, with mocks that echo inputs, and nothing else: no recording, no analysis. Started
// with the program directory as its only argument; ends when the program's event loop empties.
import * as path from "path";
import { createRequire } from "module";

const dir = path.resolve(process.argv[2] ?? ".");
const load = createRequire(path.join(dir, "noop.js"));
const pulumi = load("@pulumi/pulumi") as {
  runtime: {
    setMocks(mocks: unknown, project: string, stack: string, preview: boolean): Promise<void> | void;
    runInPulumiStack(init: () => Promise<unknown>): Promise<unknown>;
  };
};

async function run(): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource: (args: { inputs: Record<string, unknown>; id?: string }) => ({ id: args.id || undefined, state: args.inputs }),
      call: (args: { inputs: Record<string, unknown> }) => args.inputs,
    },
    "scale",
    "bench",
    true,
  );
  await pulumi.runtime.runInPulumiStack(async () => load(dir));
}

run().catch((err) => {
  process.stderr.write(`floor: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
