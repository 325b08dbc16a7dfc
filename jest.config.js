// ESM-only dependencies (bpmn-moddle, feelin, …) are transformed to CommonJS for jest.
const esmPackages = [
  'bpmn-moddle', 'moddle', 'moddle-xml', 'min-dash', 'saxen', 'feelin', 'lezer-feel',
  '@lezer', 'temporal-polyfill', 'temporal-spec', 'temporal-utils', 'zeebe-bpmn-moddle', '@camunda8',
];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj|cj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
