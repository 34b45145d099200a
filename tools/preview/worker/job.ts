// The job this worker runs, passed by program.ts as the process's only argument, and which files
// are the program's own.

import * as path from "path";

import { WorkerJob } from "../protocol";

export const job: WorkerJob = JSON.parse(process.argv[2] ?? "{}");

/** A file of the program's own: under the project directory, outside node_modules. */
export function isProgramFile(file: string): boolean {
  return path.isAbsolute(file) && !file.includes(`${path.sep}node_modules${path.sep}`) &&
    !path.relative(job.projectDir, file).startsWith("..");
}
