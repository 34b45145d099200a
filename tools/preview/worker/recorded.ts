// What the worker has recorded of the program's run, sent to the parent when the program is done.

import { Registration, TypeProperties } from "../protocol";

export const recorded = {
  /** In the order the program started them; a slot stays empty until the monitor answers. */
  registrations: [] as (Registration | undefined)[],
  /** Each recorded registration by URN, for outputs registered later and provider look-ups. */
  byUrn: new Map<string, Registration>(),
  /** What the program's SDK classes say about each resource type's properties. */
  types: {} as Record<string, TypeProperties>,
  /** How many registrations the monitor has answered. */
  registered: 0,
};
