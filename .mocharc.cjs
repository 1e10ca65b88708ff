// Tests run TypeScript through tsx, against real MySQL/MariaDB and Redis (see test/support/hooks.ts).
module.exports = {
  'node-option': ['import=tsx'],
  spec: ['test/**/*.test.ts'],
  require: ['test/support/hooks.ts'],
  timeout: 30000,
  exit: true,
  reporter: 'spec',
};
