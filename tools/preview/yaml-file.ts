// Reads a YAML file of the project, with an error that names the file and what is wrong.

import * as fs from "fs";
import { parse as parseYaml } from "yaml";

import { PreviewError, errorMessage, firstLine } from "./errors";

export function readYaml(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new PreviewError(`cannot read ${file}: ${firstLine(errorMessage(err))}`);
  }
  try {
    return parseYaml(text);
  } catch (err) {
    throw new PreviewError(`${file} is not valid YAML: ${firstLine(errorMessage(err)).replace(/:$/, "")}`);
  }
}
