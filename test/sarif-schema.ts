// The OASIS SARIF 2.1.0 JSON schema, vendored under test/fixtures/sarif, as a validator for the
// logs the commands write.
import * as fs from "fs";
import * as path from "path";
import Ajv04 from "ajv-draft-04";
import addFormats from "ajv-formats";

const SCHEMA = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "sarif", "sarif-2.1.0-rtm.5.json"), "utf8"));

// The schema's language pattern has a stray "]", valid only as a non-Unicode regular expression.
const ajv = new Ajv04({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validateSarif = ajv.compile(SCHEMA);

/** Where the log breaks the schema, one line per error; none for a valid log. */
export function schemaErrors(log: unknown): string[] {
  return validateSarif(log) ? [] : (validateSarif.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
