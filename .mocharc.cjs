// Tests run TypeScript through tsx, against real MySQL/MariaDB and Redis (see test/support/hooks.ts).
// Every run (npm test, or mocha on one file) is in a non-UTC zone, so date bugs show here first.
process.env.TZ = process.env.TZ || 'Asia/Kolkata';
// The in-process app's pool waits up to 60 s for a connection (production: 5 s, then 503): suites
// race 200 requests on one account on a shared, busy machine and assert correctness, not latency.
// The outage bounds are tested with pools and API processes of their own (test/platform/database-*).
process.env.DB_POOL_ACQUIRE_MS = process.env.DB_POOL_ACQUIRE_MS || '60000';

module.exports = {
  'node-option': ['import=tsx'],
  // Mocha adds files named on the command line to `spec` instead of replacing it, so one file
  // (or a comma-separated few) is run with TEST_SPEC=test/x/y.test.ts npm test.
  spec: process.env.TEST_SPEC ? process.env.TEST_SPEC.split(',') : ['test/**/*.test.ts'],
  require: ['test/support/hooks.ts'],
  timeout: 30000,
  exit: true,
  reporter: 'spec',
};
