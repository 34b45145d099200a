/**
 * Tests run the TypeScript sources directly. test/tsconfig.json sets isolatedModules, so ts-jest
 * transpiles each file without type checking; that is `npm run lint`'s job.
 */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "test/tsconfig.json" }] },
  testTimeout: 60000,
  maxWorkers: 2,
  reporters: ["default", "<rootDir>/test/summary-reporter.js"],
};
