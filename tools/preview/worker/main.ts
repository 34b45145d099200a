// Runs one Pulumi program under the SDK's mocks, in preview mode, and reports every resource it
// registers to the parent process. Started by program.ts with the job as its only argument.
//
// The parts, in the order main uses them: the job (job.ts), the program's own @pulumi/pulumi
// (sdk.ts), the SDK's promise debugging left out (promise-debugging.ts), pending registrations
// (pending.ts) and stall detection (settle.ts), .ts files compiled on load (compile-typescript.ts),
// the mocks (../mocks.ts) behind an instrumented monitor that records registrations (monitor.ts,
// transforms.ts, recorded.ts, progress.ts, declarations.ts), the program itself (run-program.ts),
// and the messages to the parent (parent.ts, failure.ts).

import { Registration } from "../protocol";
import { createMocks, MockContext } from "../mocks";
import { registerTypeScript } from "./compile-typescript";
import { fail } from "./failure";
import { job } from "./job";
import { instrument } from "./monitor";
import { finish, isFinished } from "./parent";
import { watchPendingRegistrations } from "./pending";
import { skipPromiseDebugging } from "./promise-debugging";
import { recorded } from "./recorded";
import { runProgram } from "./run-program";
import { MonitorLike, loadProgramSdk } from "./sdk";
import { failWhenStalled, settled } from "./settle";

async function main(): Promise<void> {
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);
  process.chdir(job.cwd);

  const { sdk, dir: sdkDir, version: sdkVersion } = loadProgramSdk(job.projectDir);
  skipPromiseDebugging(sdkDir);
  watchPendingRegistrations(sdkDir);
  const stopWatchingForStall = failWhenStalled();
  if (job.typescript) {
    registerTypeScript(job.projectDir, sdkDir);
  }

  const context: MockContext = { config: job.config, env: process.env, providers: { get: () => undefined }, stackTransforms: [] };
  await sdk.runtime.setMocks(createMocks(context), job.project, job.stack, true, job.organization);
  instrument(sdk, sdkVersion, sdk.runtime.getMonitor() as MonitorLike, context.stackTransforms);
  // Explicit providers, so invokes made through one answer for its region.
  context.providers = { get: (urn: string) => recorded.byUrn.get(urn)?.inputs };

  await runProgram(sdk);
  stopWatchingForStall();
  await settled(sdk);
  if (isFinished()) {
    return;
  }
  finish(() => ({
    kind: "done",
    registrations: recorded.registrations.filter((r): r is Registration => r !== undefined),
    types: recorded.types,
    sdkVersion,
  }));
}

main().catch(fail);
