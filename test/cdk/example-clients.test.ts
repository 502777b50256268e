// The example app's clients: what operators copy must keep development redirect URIs off production clients (I-1).
import { describe, expect, it } from 'vitest';
import { clientsOf, tenants } from '../../bin/app.js';
import { clientRegistrationProblems } from '../../lambdas/core/registration/registration.js';

describe("the example app's clients", () => {
  const clients = tenants.flatMap(clientsOf);

  it('are valid registrations', () => {
    for (const c of clients) expect(clientRegistrationProblems(c), c.clientId).toEqual([]);
  });

  it('give no first-party client a redirect URI other than https', () => {
    const firstParty = clients.filter((c) => c.firstParty === true);
    expect(firstParty.map((c) => c.clientId)).toEqual(['acme-spa', 'globex-spa']);
    for (const c of firstParty)
      expect(
        c.redirectUris.filter((u) => !u.startsWith('https://')),
        c.clientId,
      ).toEqual([]);
  });

  it('keep the loopback URI of local development on a client of its own, which asks for consent', () => {
    for (const t of tenants) {
      const withLoopback = clientsOf(t).filter((c) => c.redirectUris.some((u) => u.startsWith('http://127.0.0.1')));
      expect(withLoopback).toEqual([
        expect.objectContaining({
          clientId: `${t.tenantId}-spa-dev`,
          redirectUris: ['http://127.0.0.1:5173/callback'],
        }),
      ]);
      expect(withLoopback[0]!.firstParty).toBeUndefined();
    }
  });
});
