// The side-by-side benchmark harness, run very briefly: both servers start in their own processes and complete every
// kind of flow without an error, issuing the same kinds of tokens. Rates and CPU are not asserted (they are measured
// by `npm run bench`), only that the harness produces them.
import { describe, expect, inject, it } from 'vitest';
import { PHASES, runSideBySide } from '../../bench/side-by-side/run.js';

describe('side-by-side benchmark harness', () => {
  it(
    'drives our server and node-oidc-provider through every phase with zero errors',
    { timeout: 120_000 },
    async () => {
      const report = await runSideBySide({
        dynamoEndpoint: inject('dynamoDbEndpoint'),
        concurrency: 2,
        phaseSeconds: 1,
        warmupSeconds: 0.2,
      });
      expect(Object.keys(report.phases)).toEqual(PHASES);
      for (const phase of PHASES) {
        for (const side of ['ours', 'peer'] as const) {
          const r = report.phases[phase]![side];
          expect(r.errors, `${phase} ${side}: ${r.firstError}`).toBe(0);
          expect(r.flows, `${phase} ${side}`).toBeGreaterThan(0);
          expect(Object.keys(r.steps).length, `${phase} ${side}`).toBeGreaterThan(0);
        }
      }
      // Like for like: both sign JWT access tokens and ID tokens with RS256.
      expect(report.tokens.ours).toEqual(report.tokens.peer);
      expect(report.tokens.ours.codeFlow).toEqual({ accessToken: 'jwt RS256', idToken: 'jwt RS256' });
      expect(report.passwordHashCpuMs).toBeGreaterThan(0);
    },
  );
});
