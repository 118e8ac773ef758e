// Two projects: fast unit specs beside the code, and end-to-end specs in test/
// that talk to a real RabbitMQ (scripts/with-broker.sh provides AMQP_URL).
const tsJest = ['ts-jest', { isolatedModules: true, diagnostics: false }];
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      rootDir: 'src',
      testRegex: '.*\\.spec\\.ts$',
      transform: { '^.+\\.ts$': tsJest },
      moduleFileExtensions: ['js', 'json', 'ts'],
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      rootDir: 'test',
      testRegex: '.*\\.e2e-spec\\.ts$',
      transform: { '^.+\\.ts$': tsJest },
      moduleFileExtensions: ['js', 'json', 'ts'],
      testTimeout: 60000,
    },
  ],
};
