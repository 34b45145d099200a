// The instrumented resource monitor: each registration and read the program sends the SDK's mock
// monitor is recorded with its parent, provider, dependencies and declaration site, under the URN
// the engine would give it.

import { Registration } from "../protocol";
import { declarationOf } from "./declarations";
import { fail } from "./failure";
import { job } from "./job";
import { progress } from "./progress";
import { recorded } from "./recorded";
import { MonitorLike, SdkLike, StructLike } from "./sdk";
import { Transform, applyTransforms } from "./transforms";

/** Engine URN rule: the parent's qualified type prefixes the child's, except for the root stack. */
function engineUrn(parent: string | undefined, type: string, name: string): string {
  let qualified = type;
  if (parent) {
    const parentType = parent.split("::")[2];
    if (parentType && parentType !== "pulumi:pulumi:Stack") {
      qualified = `${parentType}$${type}`;
    }
  }
  return `urn:pulumi:${job.stack}::${job.project}::${qualified}::${name}`;
}


function structToJs(s: StructLike | undefined | null): Record<string, unknown> {
  return s ? s.toJavaScript() : {};
}

/** Wraps the mock monitor so each registration is recorded with its parent, provider and dependencies. */
export function instrument(sdk: SdkLike, sdkVersion: string, monitor: MonitorLike, stackTransforms: unknown[]): void {
  if (
    typeof monitor?.newUrn !== "function" ||
    typeof monitor.registerResource !== "function" ||
    typeof monitor.readResource !== "function"
  ) {
    throw new Error(`@pulumi/pulumi ${sdkVersion} has a resource monitor mock preview cannot use`);
  }
  monitor.newUrn = (parent, type, name) => engineUrn(parent, type, name);

  const ownTransforms = new Map<string, Transform[]>();
  const parentOf = new Map<string, string | undefined>();
  const inherited = (parent: string | undefined): Transform[] => {
    const found: Transform[] = [];
    for (let p = parent; p; p = parentOf.get(p)) {
      found.push(...(ownTransforms.get(p) ?? []));
    }
    return found;
  };

  const seen = new Set<string>();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const slot = recorded.registrations.length;
    recorded.registrations.push(undefined);
    const own = (req.getTransformsList?.() ?? [])
      .map((t) => monitor.transformCallbacks?.get(t.getToken()))
      .filter((t): t is Transform => typeof t === "function");
    const parent = req.getParent() || undefined;
    const chain = [...own, ...inherited(parent), ...(stackTransforms as Transform[])];
    applyTransforms(sdk, req, chain).then(
      () => {
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps, key) => {
          propertyDependencies[key] = deps.getUrnsList();
        });
        const base = {
          type: req.getType(),
          name: req.getName(),
          custom: req.getCustom(),
          parent,
          providerRef: req.getProvider() || undefined,
          dependencies: req.getDependenciesList(),
          propertyDependencies,
          inputs: structToJs(req.getObject()),
          importId: req.getImportid() || undefined,
          version: req.getVersion() || undefined,
          remote: req.getRemote() || undefined,
          protect: req.getProtect?.() || undefined,
          declaredAt: declarationOf(req.getType(), req.getName()),
        };
        return register(req, (err, response) => {
          if (!err && response) {
            const resp = response as { getUrn(): string; getObject(): StructLike | undefined };
            const urn = resp.getUrn();
            if (seen.has(urn)) {
              // The engine refuses a second registration of a URN, and so the preview fails.
              fail(new Error(`duplicate resource URN ${urn}; give the resource a unique name`));
              return;
            }
            seen.add(urn);
            ownTransforms.set(urn, own);
            parentOf.set(urn, parent);
            recorded.registrations[slot] = { kind: "register", ...base, urn, outputs: structToJs(resp.getObject()) };
            recorded.byUrn.set(urn, recorded.registrations[slot] as Registration);
            progress();
          }
          cb(err, response);
        });
      },
      (err) => cb(err, undefined),
    );
  };

  const read = monitor.readResource.bind(monitor);
  monitor.readResource = (req, cb) => {
    const slot = recorded.registrations.length;
    recorded.registrations.push(undefined);
    const base = {
      type: req.getType(),
      name: req.getName(),
      custom: true,
      parent: req.getParent() || undefined,
      providerRef: req.getProvider() || undefined,
      dependencies: req.getDependenciesList(),
      propertyDependencies: {},
      inputs: structToJs(req.getProperties()),
      id: req.getId(),
      version: req.getVersion() || undefined,
      declaredAt: declarationOf(req.getType(), req.getName()),
    };
    return read(req, (err, response) => {
      if (!err && response) {
        const resp = response as { getUrn(): string; getProperties(): StructLike | undefined };
        recorded.registrations[slot] = { kind: "read", ...base, urn: resp.getUrn(), outputs: structToJs(resp.getProperties()) };
        if (!recorded.byUrn.has(resp.getUrn())) {
          recorded.byUrn.set(resp.getUrn(), recorded.registrations[slot] as Registration);
        }
        progress();
      }
      cb(err, response);
    });
  };

  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, cb) => {
    const urn = req.getUrn();
    const registration = recorded.byUrn.get(urn);
    if (registration) {
      registration.outputs = structToJs(req.getOutputs());
    }
    return registerOutputs(req, cb);
  };
}
