// The public surface compiles with jsii (`npm run jsii:check`): bindings for Python, Java, .NET and Go are then a
// release configuration, not an API change.
import { describe, expect, it } from 'vitest';
import { jsiiCheck } from '../../scripts/jsii-check.js';

describe('jsii', () => {
  it(
    'compiles lib/index.ts and every type it exports, with no error and no warning',
    { timeout: 180_000 },
    async () => {
      const result = await jsiiCheck();
      expect(result.output).not.toMatch(/\b(error|warning) (JSII|TS)\d+/);
      expect(result.ok).toBe(true);
      expect(result.types).toBeGreaterThan(10);
    },
  );
});
