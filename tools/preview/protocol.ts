// What the CLI process and the program-running child process say to each other.

/** How to run one program, passed to the child as its single argument (JSON). */
export interface WorkerJob {
  /** The project directory (the one holding Pulumi.yaml). */
  projectDir: string;
  /** The program's working directory: main's directory, else the project directory. */
  cwd: string;
  /** The file or directory to load: Pulumi.yaml `main`, package.json's entry point, or the project directory. */
  entry: string;
  /** Load the entry with import() (an ES module package) rather than require(). */
  esm: boolean;
  /** Compile .ts files on load. */
  typescript: boolean;
  project: string;
  stack: string;
  organization: string;
  /** Stack configuration as the SDK reads it from PULUMI_CONFIG: "namespace:key" to string. */
  config: Record<string, string>;
  secretKeys: string[];
}

/** One resource registration (or read) as the program sent it to the resource monitor, in wire form. */
export interface Registration {
  kind: "register" | "read";
  type: string;
  name: string;
  urn: string;
  custom: boolean;
  parent?: string;
  /** Provider reference "urn::id", empty when the resource uses its package's default provider. */
  providerRef?: string;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /** Inputs in wire form: unknowns as the unknown sentinel, secrets as signature objects. */
  inputs: Record<string, unknown>;
  /** State the monitor answered with; for components and the stack, the outputs they registered. */
  outputs: Record<string, unknown>;
  /** The id asked for by a read or an import. */
  id?: string;
  importId?: string;
  /** Version of the provider package the resource's SDK asked for. */
  version?: string;
  remote?: boolean;
  protect?: boolean;
  /** Where the program's own files declare the resource, when that is known. */
  declaredAt?: SourceLocation;
}

/** A place in a program's source; file is relative to the project directory. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** What the program's SDK classes say about a resource type's properties. */
export interface TypeProperties {
  /** Every property the resource class declares. */
  all: string[];
  /** Properties the provider computes: outputs that are not inputs. */
  computed: string[];
}

export type WorkerMessage =
  | {
      kind: "progress";
      registered: number;
      /** The first few registrations started and not finished, as `"name" [type]`. */
      pending: string[];
    }
  | {
      kind: "done";
      registrations: Registration[];
      types: Record<string, TypeProperties>;
      sdkVersion: string;
    }
  | { kind: "error"; message: string };
