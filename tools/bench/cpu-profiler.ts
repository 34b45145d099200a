// Loaded into a pack process with `node --require` when the benchmark profiles it. It samples the
// CPU from the start; each SIGUSR2 writes the samples so far as <dir>/<n>.cpuprofile and starts
// afresh, so every phase of a run (start, Analyze, AnalyzeStack) gets a profile of its own.
import * as fs from "fs";
import { Session } from "inspector";
import * as path from "path";

const dir = process.env.CIS_BENCH_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  session.post("Profiler.setSamplingInterval", { interval: 100 });
  session.post("Profiler.start");
  let next = 0;
  process.on("SIGUSR2", () => {
    session.post("Profiler.stop", (err, result) => {
      const file = path.join(dir, `${next++}.cpuprofile`);
      fs.writeFileSync(`${file}.part`, err ? "{}" : JSON.stringify(result.profile));
      fs.renameSync(`${file}.part`, file);
      session.post("Profiler.start");
    });
  });
}
