// The public types are the core's in jsii's vocabulary: the same fields, and enums whose members are the strings
// the core accepts, so a registration means the same in the construct, the config file and the admin tooling.
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as api from '../../lib/index.js';
import type { IdentitySourceProps } from '../../lib/index.js';
import type { ClientRegistration as CoreClientRegistration } from '../../lambdas/core/model.js';
import type { IdentitySourceRegistration } from '../../lambdas/core/federation/identity-sources.js';
import { UPSTREAM_AUTH_METHODS } from '../../lambdas/core/federation/identity-sources.js';
import { SIGNING_ALGS } from '../../lambdas/core/ports/signing.js';
import { AUTH_METHODS, GRANT_TYPES } from '../../lambdas/core/registration/registration.js';
import { backend, spa, workspaceStack } from './support.js';

describe('public API', () => {
  it.each([
    ['SigningAlgorithm', api.SigningAlgorithm, SIGNING_ALGS],
    ['ClientAuthMethod', api.ClientAuthMethod, AUTH_METHODS],
    ['GrantType', api.GrantType, GRANT_TYPES],
    ['ApplicationType', api.ApplicationType, ['web', 'native']],
    ['UpstreamAuthMethod', api.UpstreamAuthMethod, UPSTREAM_AUTH_METHODS],
  ])('enum %s has exactly the values the core accepts', (_name, values, accepted) => {
    expect(Object.values(values).sort()).toEqual([...accepted].sort());
  });

  it('offers every field of the core registrations, and no other', () => {
    expectTypeOf<keyof api.ClientRegistration>().toEqualTypeOf<keyof CoreClientRegistration>();
    expectTypeOf<Exclude<keyof IdentitySourceProps, 'clientSecret'>>().toEqualTypeOf<
      keyof IdentitySourceRegistration
    >();
  });

  it('exports classes and enums only as values: no constants, no functions', () => {
    const kinds = Object.entries(api).map(([name, value]) => [name, typeof value === 'function' ? 'class' : 'enum']);
    expect(Object.fromEntries(kinds)).toEqual({
      ApiGatewayCloudWatchRole: 'class',
      ApplicationType: 'enum',
      AuthorizationServer: 'class',
      ClientAuthMethod: 'enum',
      GrantType: 'enum',
      SigningAlgorithm: 'enum',
      UpstreamAuthMethod: 'enum',
    });
    for (const [name, value] of Object.entries(api)) {
      if (typeof value !== 'function')
        expect(
          Object.values(value).every((v) => typeof v === 'string'),
          name,
        ).toBe(true);
    }
  });

  it('synthesizes the same clients from enum members as from their strings', () => {
    const fromEnums = workspaceStack({ clients: [spa, backend] }).template.toJSON();
    const fromStrings = workspaceStack({
      clients: JSON.parse(JSON.stringify([spa, backend])) as api.ClientRegistration[],
    }).template.toJSON();
    expect(fromStrings).toEqual(fromEnums);
  });
});
