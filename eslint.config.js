// ESLint flat config: typescript-eslint's recommended rules over the pack, its tools and tests.
const tseslint = require("typescript-eslint");

module.exports = tseslint.config(
  { ignores: ["bin/**", "node_modules/**", "examples/*/node_modules/**", "coverage/**", ".pack-test/**"] },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.js"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
