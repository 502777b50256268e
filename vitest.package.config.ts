// The packaging test alone (`npm run test:package`): `npm pack`, then installs into the consumer apps of
// test/package/fixtures/ from the npm registry. Not part of `npm test`; .ci/run runs it after.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['test/package/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
