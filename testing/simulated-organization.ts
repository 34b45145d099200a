// A simulated AWS Organization of any size for the command-line tests, its accounts built on demand
// from their number with a mix of verdicts, and the environment of an SDK user pointed at it.
import * as os from "os";
import * as path from "path";

import { SimAccount, SimWorld, accessKeyFor, simTrail } from "./simulated-aws";

export const MANAGEMENT = "500000000000";
export const ORGANIZATION_ID = "o-testorg0001";

export type Verdict = "complies" | "fails" | "not judged" | "unreadable";

const READ_ONLY = { EventSelectors: [{ ReadWriteType: "ReadOnly", IncludeManagementEvents: true, DataResources: [], ExcludeManagementEventSources: [] }] };

/** Account n's ID: the management account is number 0. */
export const accountId = (n: number): string => String(Number(MANAGEMENT) + n);

/** What account n turns out to be: by turns compliant, read-only, locked and half-readable; the management account complies. */
export function verdictOf(n: number): Verdict {
  return (["complies", "fails", "unreadable", "not judged"] as const)[n % 4];
}

function account(n: number): SimAccount {
  const id = accountId(n);
  const trail = (settings: Parameters<typeof simTrail>[3] = {}) => [simTrail(id, "main", "us-east-1", { IsMultiRegionTrail: true, ...settings })];
  const name = `team-${n}`;
  switch (verdictOf(n)) {
    case "complies":
      return { id, name, trails: trail() };
    case "fails":
      return { id, name, trails: trail({ selectors: READ_ONLY }) };
    case "unreadable":
      return { id, name, trails: trail(), deny: ["AssumeRole"] };
    default:
      return { id, name, trails: trail(), deny: ["GetEventSelectors"] };
  }
}

/** An organization of `size` accounts in two regions, listed 20 to a page as AWS does. */
export function organization(size: number): SimWorld {
  const ids = Array.from({ length: size }, (_, n) => accountId(n));
  return {
    regions: [{ name: "us-east-1", optIn: "opt-in-not-required" }, { name: "eu-west-1", optIn: "opt-in-not-required" }],
    account: (id) => {
      const n = Number(id) - Number(MANAGEMENT);
      return Number.isInteger(n) && n >= 0 && n < size ? account(n) : undefined;
    },
    organization: { id: ORGANIZATION_ID, managementAccount: MANAGEMENT, accountIds: ids, pageSize: 20 },
  };
}

/** The environment of an SDK user signed in as `account`, every endpoint at `url`, nothing read from this machine. */
export function awsEnv(url: string, account = MANAGEMENT): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) env[k] = v;
  return {
    ...env,
    AWS_ENDPOINT_URL: url,
    AWS_ACCESS_KEY_ID: accessKeyFor(account),
    AWS_SECRET_ACCESS_KEY: "test-secret",
    AWS_REGION: "us-east-1",
    AWS_CONFIG_FILE: path.join(os.tmpdir(), "no-such-aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(os.tmpdir(), "no-such-aws-credentials"),
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}
