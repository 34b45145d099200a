// check-account run in this process against a pack already started, as a user's run would be,
// with the SDK's environment pointed at a local endpoint: what the account tests share.
import { PassThrough } from "stream";
import { StartedPack, main } from "../tools/account/main";
import { awsEnv } from "../testing/simulated-organization";

export interface AccountRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of an SDK user pointed at the local endpoint, as account `account`: no other AWS_ setting. */
export function useAccount(endpoint: string, account: string): void {
  for (const k of Object.keys(process.env)) {
    if (k.startsWith("AWS_")) delete process.env[k];
  }
  Object.assign(process.env, awsEnv(endpoint, account));
}

/** Runs the command with argv through `pack`, collecting what it printed and its exit status. */
export async function runAccountCheck(argv: string[], pack: StartedPack): Promise<AccountRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => (out += c.toString()));
  stderr.on("data", (c: Buffer) => (err += c.toString()));
  const code = await main(argv, { stdout, stderr: stderr as unknown as NodeJS.WriteStream }, pack);
  return { code, stdout: out, stderr: err };
}
