// Four projects: unit, component and fuzz run anywhere with only Node (`npm test`); integration needs the real
// PostgreSQL and RabbitMQ named by DATABASE_URL / AMQP_URL (`npm run test:integration`).
const transform = {
  '^.+\\.ts$': ['@swc/jest', {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'es6' },
  }],
};
const common = {
  transform,
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  testEnvironment: 'node',
};
export default {
  // Component and integration tests run whole pipelines and races; per-project values are ignored by jest.
  testTimeout: 60_000,
  // The fuzz project's files leave tallies; the teardown prints one FUZZ line for the run.
  globalSetup: '<rootDir>/test/fuzz/global-setup.mjs',
  globalTeardown: '<rootDir>/test/fuzz/global-teardown.mjs',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'component', testMatch: ['<rootDir>/test/component/**/*.test.ts'] },
    { ...common, displayName: 'fuzz', testMatch: ['<rootDir>/test/fuzz/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
  ],
};
