// Synth-time checks of the construct's props; every error names the prop, unresolved tokens are skipped.
import { Duration, Token } from 'aws-cdk-lib';
import type { ClientAuthMethod, ClientRegistration, GrantType } from '../lambdas/core/model.js';

/** Thrown for a prop that can never deploy or run correctly. */
export class PropError extends Error {
  constructor(prop: string, problem: string) {
    super(`Invalid AuthorizationServer prop \`${prop}\`: ${problem}`);
    this.name = 'PropError';
  }
}

const known = (value: unknown): boolean => !Token.isUnresolved(value);

/** A path segment of the issuer: lower-case letters, digits and inner hyphens, as in a DNS label. */
const ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export function checkId(prop: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new PropError(prop, 'must be a string.');
  if (!known(value)) throw new PropError(prop, 'must be known at synth time: it names API resources.');
  if (!ID_PATTERN.test(value)) {
    throw new PropError(prop, `"${value}" must be 1-63 lower-case letters, digits or inner hyphens (it is a path segment of the issuer).`);
  }
}

export function checkDuration(prop: string, value: Duration | undefined, min: Duration, max: Duration): void {
  if (value === undefined || value.isUnresolved()) return;
  const seconds = value.toSeconds({ integral: false });
  if (!Number.isInteger(seconds)) throw new PropError(prop, 'must be a whole number of seconds.');
  if (seconds < min.toSeconds() || seconds > max.toSeconds()) {
    throw new PropError(prop, `must be between ${min.toHumanString()} and ${max.toHumanString()}, got ${value.toHumanString()}.`);
  }
}

export function checkInteger(prop: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || !known(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) throw new PropError(prop, `must be an integer from ${min} to ${max}, got ${value}.`);
}

export function checkOneOf<T extends string>(prop: string, value: T | undefined, allowed: readonly T[]): void {
  if (value === undefined || !known(value)) return;
  if (!allowed.includes(value)) throw new PropError(prop, `must be one of ${allowed.join(', ')}, got "${value}".`);
}

/** An absolute https URL without query or fragment; returns it without a trailing slash. */
export function checkBaseUrl(prop: string, value: string): string {
  if (!known(value)) return value;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PropError(prop, `"${value}" is not an absolute URL.`);
  }
  if (url.protocol !== 'https:') throw new PropError(prop, 'must be an https URL: OAuth 2.1 requires TLS.');
  if (url.search || url.hash || value.includes('?') || value.includes('#')) throw new PropError(prop, 'must not carry a query or fragment.');
  return value.replace(/\/+$/, '');
}

const AUTH_METHODS: readonly ClientAuthMethod[] = ['none', 'client_secret_basic', 'client_secret_post'];
const GRANT_TYPES: readonly GrantType[] = ['authorization_code', 'refresh_token', 'client_credentials'];
/** RFC 6749 §2.2 and appendix A: unreserved characters keep ids safe in URLs and Basic credentials. */
const CLIENT_ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;
/** RFC 6749 §3.3 scope-token. */
const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
const LOOPBACK_HOSTS = ['127.0.0.1', '[::1]', 'localhost'];

function checkStrings(prop: string, value: unknown): readonly string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new PropError(prop, 'must be an array of strings.');
  const resolved = value.filter(known);
  const duplicate = resolved.find((v, i) => resolved.indexOf(v) !== i);
  if (duplicate !== undefined) throw new PropError(prop, `lists "${duplicate}" twice.`);
  return value;
}

/** OAuth 2.1 §2.3.1 / RFC 8252: https, loopback http, or a private-use scheme for native apps; never a fragment. */
function checkRedirectUri(prop: string, value: string, native: boolean): void {
  if (!known(value)) return;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PropError(prop, `"${value}" is not an absolute URI.`);
  }
  if (url.hash || value.includes('#')) throw new PropError(prop, `"${value}" must not contain a fragment.`);
  const loopback = url.protocol === 'http:' && LOOPBACK_HOSTS.includes(url.hostname);
  const privateScheme = native && !['http:', 'https:'].includes(url.protocol);
  if (url.protocol !== 'https:' && !loopback && !privateScheme) {
    throw new PropError(prop, `"${value}" must be https (http only for loopback; private-use schemes only for native clients).`);
  }
}

/** Every field of a ClientRegistration; typed so a new field must be added here to reach the workspace. */
const REGISTRATION_FIELDS = {
  clientId: true,
  clientName: true,
  tokenEndpointAuthMethod: true,
  redirectUris: true,
  grantTypes: true,
  scopes: true,
  audience: true,
  firstParty: true,
  applicationType: true,
} as const satisfies Record<keyof ClientRegistration, true>;

/**
 * Refuses fields a ClientRegistration does not have: a typo (`redirectUri`) would otherwise be dropped
 * silently, and a `clientSecret` copied from a local config file would end up in the template. The
 * message never repeats the value.
 */
function checkFields(prop: string, client: object): void {
  for (const key of Object.keys(client)) {
    if (key in REGISTRATION_FIELDS) continue;
    if (/secret|password/i.test(key)) {
      throw new PropError(`${prop}.${key}`, 'secrets never go into a template: confidential clients get one generated at deploy time.');
    }
    throw new PropError(`${prop}.${key}`, 'is not a field of ClientRegistration.');
  }
}

/** A copy holding only the registration's own fields, for the template. */
export function registrationOf(client: ClientRegistration): ClientRegistration {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(REGISTRATION_FIELDS) as (keyof ClientRegistration)[]) {
    if (client[key] !== undefined) copy[key] = client[key];
  }
  return copy as unknown as ClientRegistration;
}

/** Checks one registration as a client of the workspace would be refused or misbehave at runtime. */
export function checkClient(prop: string, client: ClientRegistration): void {
  if (typeof client !== 'object' || client === null) throw new PropError(prop, 'must be a ClientRegistration object.');
  checkFields(prop, client);
  const { clientId } = client;
  if (typeof clientId !== 'string' || !known(clientId) || !CLIENT_ID_PATTERN.test(clientId)) {
    throw new PropError(`${prop}.clientId`, 'must be 1-128 letters, digits or . _ ~ - and known at synth time.');
  }
  checkOneOf(`${prop}.tokenEndpointAuthMethod`, client.tokenEndpointAuthMethod, AUTH_METHODS);
  if (client.tokenEndpointAuthMethod === undefined) throw new PropError(`${prop}.tokenEndpointAuthMethod`, 'is required.');
  checkOneOf(`${prop}.applicationType`, client.applicationType, ['web', 'native']);
  if (client.clientName !== undefined && (typeof client.clientName !== 'string' || client.clientName.length > 200)) {
    throw new PropError(`${prop}.clientName`, 'must be a string of at most 200 characters.');
  }
  const grants = checkStrings(`${prop}.grantTypes`, client.grantTypes) as readonly GrantType[];
  if (grants.length === 0) throw new PropError(`${prop}.grantTypes`, 'must name at least one grant type.');
  grants.forEach((g, i) => checkOneOf(`${prop}.grantTypes[${i}]`, g, GRANT_TYPES));
  const isPublic = client.tokenEndpointAuthMethod === 'none';
  if (isPublic && grants.includes('client_credentials')) {
    throw new PropError(`${prop}.grantTypes`, 'client_credentials needs a confidential client (tokenEndpointAuthMethod other than none).');
  }
  if (grants.includes('refresh_token') && !grants.includes('authorization_code')) {
    throw new PropError(`${prop}.grantTypes`, 'refresh_token is only issued through authorization_code.');
  }
  const redirectUris = checkStrings(`${prop}.redirectUris`, client.redirectUris);
  if (grants.includes('authorization_code') && redirectUris.length === 0) {
    throw new PropError(`${prop}.redirectUris`, 'must list at least one URI for the authorization_code grant.');
  }
  redirectUris.forEach((uri, i) => checkRedirectUri(`${prop}.redirectUris[${i}]`, uri, client.applicationType === 'native'));
  checkStrings(`${prop}.scopes`, client.scopes).forEach((scope, i) => {
    if (known(scope) && !SCOPE_PATTERN.test(scope)) throw new PropError(`${prop}.scopes[${i}]`, `"${scope}" is not a valid scope token.`);
  });
  if (client.audience !== undefined) {
    checkStrings(`${prop}.audience`, client.audience).forEach((aud, i) => {
      if (known(aud) && aud.length === 0) throw new PropError(`${prop}.audience[${i}]`, 'must not be empty.');
    });
  }
  if (client.firstParty !== undefined && typeof client.firstParty !== 'boolean') {
    throw new PropError(`${prop}.firstParty`, 'must be a boolean.');
  }
}

/** Client authentication methods that need a secret generated at deploy time. */
export const isConfidential = (client: ClientRegistration): boolean => client.tokenEndpointAuthMethod !== 'none';
