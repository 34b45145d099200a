// A command's options as one table: --help lists them from it and the strict parser accepts exactly
// them, so the two cannot drift apart. Shared by `npm run preview` and `npm run check-account`.

import { ParseArgsConfig, parseArgs as nodeParseArgs } from "util";

import { errorMessage, firstLine, PreviewError } from "./errors";

/** An option: its value's name (none for a flag), whether it repeats, a one-letter alias, its help. */
export interface CliOption {
  value?: string;
  multiple?: boolean;
  short?: string;
  help: string;
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line];
}

/** The options as --help lists them: names in a column, help wrapped to 100 characters beside them. */
export function optionsHelp(options: Record<string, CliOption>): string {
  const rows = Object.entries(options).map(([name, o]) => {
    const short = o.short ? `-${o.short}, ` : "";
    return { left: `  ${short}--${name}${o.value ? ` ${o.value}` : ""}`, help: o.help };
  });
  const width = Math.max(...rows.map((r) => r.left.length)) + 2;
  return rows.map((r) => wrap(r.help, 100 - width).map((line, i) => (i === 0 ? r.left.padEnd(width) : " ".repeat(width)) + line).join("\n")).join("\n");
}

/** node:util's parseArgs over the table, strict: an unknown option or a missing value is one clear error. */
export function parseStrict<K extends string>(
  options: Record<K, CliOption>,
  argv: string[],
  allowPositionals: boolean,
): { values: Partial<Record<K, string | string[] | boolean>>; positionals: string[] } {
  const config = Object.fromEntries(
    Object.entries<CliOption>(options).map(([name, o]) => [
      name,
      { type: o.value ? "string" : "boolean", ...(o.multiple ? { multiple: true } : {}), ...(o.short ? { short: o.short } : {}) },
    ]),
  ) as ParseArgsConfig["options"];
  try {
    const { values, positionals } = nodeParseArgs({ args: argv, options: config, strict: true, allowPositionals });
    return { values: values as Partial<Record<K, string | string[] | boolean>>, positionals };
  } catch (err) {
    const code = (err as { code?: string }).code;
    const option = /'(-[^' ]+)/.exec(errorMessage(err))?.[1];
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) {
      throw new PreviewError(`unknown option ${option} (see --help)`);
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option && /argument (missing|is ambiguous)/.test(errorMessage(err))) {
      throw new PreviewError(`${option} needs a value (see --help)`);
    }
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option && /does not take an argument/.test(errorMessage(err))) {
      throw new PreviewError(`${option} takes no value (see --help)`);
    }
    const positional = /Unexpected argument '([^']*)'/.exec(errorMessage(err))?.[1];
    if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL" && positional !== undefined) {
      throw new PreviewError(`unexpected argument ${positional} (see --help)`);
    }
    throw new PreviewError(`${firstLine(errorMessage(err))} (see --help)`);
  }
}

/**
 * Whether the command line asks for JSON, read from the raw arguments: the report format of an
 * error must not depend on the arguments being valid.
 */
export function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === "--json" || a.startsWith("--json="));
}
