// Progress on stderr for long work: one line that rewrites itself on a terminal (at most every
// 100 ms), and elsewhere (a CI log) a line of its own only at each new step.

export interface StatusLine {
  /**
   * Shows `text`. Off a terminal it is printed only when `step` is past the last printed step;
   * `force` prints it whatever the step or the time since the last write.
   */
  update(text: string, step: number, force?: boolean): void;
  /** Clears the terminal line, if anything was shown there. */
  done(): void;
}

export function statusLine(stream: NodeJS.WriteStream): StatusLine {
  const tty = Boolean(stream.isTTY);
  let shown = false;
  let lastWrite = 0;
  let lastStep = 0;
  return {
    update(text, step, force = false) {
      if (tty) {
        const now = Date.now();
        if (force || now - lastWrite >= 100) {
          lastWrite = now;
          shown = true;
          stream.write(`\r${text}`);
        }
      } else if (force || step > lastStep) {
        lastStep = step;
        stream.write(`${text}\n`);
      }
    },
    done() {
      if (tty && shown) {
        stream.write("\r\x1b[K");
      }
    },
  };
}

/** Analyses shorter than this say nothing: they end before anyone would wonder. */
const QUIET_BELOW = 1000;

/** "Analyzing... 1,000 of 20,000 resources", off a terminal at each tenth of the way. */
export function analysisProgress(stream: NodeJS.WriteStream): { update(analyzed: number, total: number): void; done(): void } {
  const status = statusLine(stream);
  return {
    update(analyzed, total) {
      if (total < QUIET_BELOW) {
        return;
      }
      const text = `Analyzing... ${analyzed.toLocaleString("en")} of ${total.toLocaleString("en")} resources`;
      status.update(text, Math.floor((analyzed * 10) / total), stream.isTTY === true && analyzed === total);
    },
    done: () => status.done(),
  };
}
