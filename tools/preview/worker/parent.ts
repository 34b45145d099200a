// Messages to the parent process (program.ts), and this process's end once the last one is sent.

import { WorkerMessage } from "../protocol";

let finished = false;

export function send(message: WorkerMessage, then?: () => void): void {
  if (!process.send) {
    process.stderr.write(JSON.stringify(message) + "\n");
    then?.();
    return;
  }
  process.send(message, undefined, {}, () => then?.());
}

/** Whether the run's outcome (done or an error) has been sent: there is only one. */
export function isFinished(): boolean {
  return finished;
}

/** Sends the run's outcome and then ends this process; later outcomes are dropped. */
export function finish(outcome: () => WorkerMessage): void {
  if (finished) {
    return;
  }
  finished = true;
  send(outcome(), exit);
}

/**
 * Ends this process without the SDK's exit hooks (their report of pending work is about our stopping
 * early), once what the program wrote to stdout and stderr has been handed to the pipes.
 */
function exit(): void {
  process.removeAllListeners("exit");
  process.stdout.write("", () => process.stderr.write("", () => process.exit(0)));
}
