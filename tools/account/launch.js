// `npm run check-account`: builds when a source is newer than the last build, as `npm run preview`
// does, then runs bin/tools/account/main.js, whose own entry point handles interrupts.
const { launch } = require("../preview/launch");

launch("account").runCli(process.argv.slice(2));
