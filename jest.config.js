// Two projects: fast unit specs beside the code, and end-to-end specs in test/
// that talk to a real RabbitMQ (scripts/with-broker.sh provides AMQP_URL).
// ts-jest transpiles each file alone (tsconfig.jest.json); `npm run lint` type-checks.
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/../tsconfig.jest.json', diagnostics: false }] };
module.exports = {
  testTimeout: 60000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: 'src',
      testRegex: '.*\\.spec\\.ts$',
      transform,
      moduleFileExtensions: ['js', 'json', 'ts'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: 'test',
      testRegex: '.*\\.e2e-spec\\.ts$',
      transform,
      moduleFileExtensions: ['js', 'json', 'ts'],
    },
  ],
};
