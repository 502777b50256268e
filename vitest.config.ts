// Test runner configuration: every suite runs in Node against one DynamoDB Local started for the whole run,
// with the Lambda and CLI bundles the package ships built once before any test (test/setup/bundles.ts).
import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/**/*.test.ts'],
    // The packaging test installs from the npm registry: `npm run test:package` (vitest.package.config.ts).
    exclude: [...configDefaults.exclude, 'test/package/**'],
    globalSetup: ['test/setup/bundles.ts', 'test/setup/dynamodb-local.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: {
      // The handlers' request and audit lines would fill the run's output (thousands of lines); the tests about
      // logs switch them on for themselves (test/support/log-capture.ts).
      AUTHZ_LOG: 'off',
      // The AWS SDK runs only in tests (as an oracle and raw reader) and the admin CLI; its notice that future
      // versions need Node 22 would otherwise print once per test file.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
