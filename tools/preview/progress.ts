// Progress of the policy pack's analysis on stderr, for runs long enough to need it: a counter that
// rewrites itself on a terminal, else a line at each tenth of the way.

/** Analyses shorter than this say nothing: they end before anyone would wonder. */
const QUIET_BELOW = 1000;

export function analysisProgress(stream: NodeJS.WriteStream): { update(analyzed: number, total: number): void; done(): void } {
  const tty = Boolean(stream.isTTY);
  let shown = false;
  let lastWrite = 0;
  let lastTenth = 0;
  const line = (analyzed: number, total: number) =>
    `Analyzing... ${analyzed.toLocaleString("en")} of ${total.toLocaleString("en")} resources`;
  return {
    update(analyzed: number, total: number) {
      if (total < QUIET_BELOW) {
        return;
      }
      if (tty) {
        const now = Date.now();
        if (now - lastWrite >= 100 || analyzed === total) {
          lastWrite = now;
          shown = true;
          stream.write(`\r${line(analyzed, total)}`);
        }
        return;
      }
      const tenth = Math.floor((analyzed * 10) / total);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        stream.write(`${line(analyzed, total)}\n`);
      }
    },
    done() {
      if (tty && shown) {
        stream.write("\r\x1b[K");
      }
    },
  };
}
