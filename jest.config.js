/** Tests run the TypeScript sources directly; type checking is `npm run lint`'s job. */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  transform: { "^.+\\.ts$": ["ts-jest", { isolatedModules: true, tsconfig: "test/tsconfig.json" }] },
  testTimeout: 60000,
  maxWorkers: 2,
};
