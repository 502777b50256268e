// The branding and scope description props: checked at synth, the button colour for WCAG AA contrast; passed to every
// handler as JSON, which the handlers read back into the workspace.
import { Fn, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { workspaceFromEnvironment } from '../../lambdas/handlers/environment.js';
import { AuthorizationServer, type AuthorizationServerProps, type Branding } from '../../lib/index.js';
import { baseProps, unbundledApp, workspaceStack } from './support.js';

let built = 0;
const build = (props: Partial<AuthorizationServerProps>) =>
  new AuthorizationServer(new Stack(unbundledApp(), 'Test'), `Workspace${++built}`, { ...baseProps, ...props });

const BRANDING: Branding = {
  displayName: 'Acme Identity',
  logoUrl: 'https://cdn.acme.example/logo.svg',
  primaryColor: '#8a1538',
  supportUrl: 'https://help.acme.example/',
};

describe('branding props', () => {
  it.each<[string, string, Partial<AuthorizationServerProps>]>([
    ['branding.primaryColor', '#rgb or #rrggbb', { branding: { primaryColor: 'red' } }],
    ['branding.primaryColor', '#rgb or #rrggbb', { branding: { primaryColor: '#12345' } }],
    ['branding.primaryColor', '#rgb or #rrggbb', { branding: { primaryColor: 'rgb(0,0,0)' } }],
    ['branding.logoUrl', 'https', { branding: { logoUrl: 'http://cdn.acme.example/logo.svg' } }],
    ['branding.logoUrl', 'https', { branding: { logoUrl: 'http://localhost:8080/logo.svg' } }],
    ['branding.supportUrl', 'absolute URL', { branding: { supportUrl: '/help' } }],
    ['branding.displayName', 'characters', { branding: { displayName: ' ' } }],
    ['branding.colour', 'not a branding field', { branding: { colour: '#fff' } as Branding }],
    ['scopeDescriptions.orders:read.it', 'one of en, de, fr', { scopeDescriptions: { 'orders:read': { it: 'x' } } }],
    ['scopeDescriptions.orders:read.de', 'text', { scopeDescriptions: { 'orders:read': { de: '' } } }],
  ])('refuses `%s` (%s) at synth', (prop, problem, props) => {
    expect(() => build(props)).toThrow(`\`${prop}\``);
    expect(() => build(props)).toThrow(problem);
  });

  it('accepts every colour: black or white text always reaches 4.5:1, so only the syntax can be wrong', () => {
    for (const primaryColor of ['#000', '#fff', '#777', '#767676', '#2f5bea', '#ffcc00', '#00A36C'])
      expect(() => build({ branding: { primaryColor } })).not.toThrow();
  });

  it('accepts tokens, known only at deploy time', () => {
    expect(() => build({ branding: { logoUrl: Fn.importValue('LogoUrl') } })).not.toThrow();
  });

  it('hands the branding and descriptions to every handler, which reads them back', () => {
    const scopeDescriptions = { 'orders:read': { en: 'Read your orders', de: 'Ihre Bestellungen lesen' } };
    const { template } = workspaceStack({ branding: BRANDING, scopeDescriptions });
    const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.Environment?.Variables?.TENANT_ID,
    );
    expect(functions.length).toBeGreaterThan(0);
    for (const fn of functions) {
      const variables = fn.Properties.Environment.Variables;
      expect(JSON.parse(variables.BRANDING)).toEqual(BRANDING);
      expect(JSON.parse(variables.SCOPE_DESCRIPTIONS)).toEqual(scopeDescriptions);
      const ws = workspaceFromEnvironment(
        {
          ...Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : 'x'])),
          SIGNING_KEY_IDS: 'k',
          ACTIVE_SIGNING_KEY_ID: 'k',
          ISSUER: 'https://id.example.com/acme/main',
          TABLE_NAME: 'table',
        },
        {},
      );
      expect(ws.branding).toEqual(BRANDING);
      expect(ws.scopeDescriptions).toEqual(scopeDescriptions);
    }
  });

  it('sets no variable without branding', () => {
    const { template } = workspaceStack();
    for (const fn of Object.values(template.findResources('AWS::Lambda::Function'))) {
      expect(fn.Properties.Environment?.Variables?.BRANDING).toBeUndefined();
      expect(fn.Properties.Environment?.Variables?.SCOPE_DESCRIPTIONS).toBeUndefined();
    }
  });
});
