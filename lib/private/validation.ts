// Synth-time checks of the construct's props; every error names the prop, unresolved tokens are skipped.
import { Duration, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { ClientRegistration } from '../../lambdas/core/model.js';
import {
  clientRegistrationProblems,
  idProblem,
  isRegistrationField,
} from '../../lambdas/core/registration/registration.js';
import { brandingProblems, scopeDescriptionsProblems } from '../../lambdas/core/pages/branding.js';

/** Thrown by the checks for a prop that can never deploy or run correctly; `withConstructPath` adds where. */
export class PropError extends Error {
  constructor(
    readonly prop: string,
    readonly problem: string,
  ) {
    super(`Invalid AuthorizationServer prop \`${prop}\`: ${problem}`);
    this.name = 'ValidationError';
  }
}

/**
 * What the construct throws: a `ValidationError` (the name aws-cdk-lib's own prop errors carry) whose message
 * names the construct path, so with several workspaces the failing one is obvious. Not exported: jsii forbids
 * public classes extending Error; callers match on `name` and the message.
 */
export class ValidationError extends Error {
  constructor(
    message: string,
    readonly constructPath: string,
  ) {
    super(`${message} (at ${constructPath})`);
    this.name = 'ValidationError';
  }
}

/** Runs checks for `scope`, turning a PropError into a ValidationError naming the scope's path. */
export function withConstructPath<T>(scope: IConstruct, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof PropError) throw new ValidationError(error.message, scope.node.path);
    throw error;
  }
}

const known = (value: unknown): boolean => !Token.isUnresolved(value);

export function checkId(prop: string, value: unknown): asserts value is string {
  if (typeof value !== 'string') throw new PropError(prop, 'must be a string.');
  if (!known(value)) throw new PropError(prop, 'must be known at synth time: it names API resources.');
  const problem = idProblem(value);
  if (problem !== undefined) throw new PropError(prop, `"${value}" ${problem}.`);
}

export function checkDuration(prop: string, value: Duration | undefined, min: Duration, max: Duration): void {
  if (value === undefined || value.isUnresolved()) return;
  const seconds = value.toSeconds({ integral: false });
  if (!Number.isInteger(seconds)) throw new PropError(prop, 'must be a whole number of seconds.');
  if (seconds < min.toSeconds() || seconds > max.toSeconds()) {
    throw new PropError(
      prop,
      `must be between ${min.toHumanString()} and ${max.toHumanString()}, got ${value.toHumanString()}.`,
    );
  }
}

export function checkInteger(prop: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || !known(value)) return;
  if (!Number.isInteger(value) || value < min || value > max)
    throw new PropError(prop, `must be an integer from ${min} to ${max}, got ${value}.`);
}

export function checkBoolean(prop: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') throw new PropError(prop, 'must be true or false.');
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
  if (url.search || url.hash || value.includes('?') || value.includes('#'))
    throw new PropError(prop, 'must not carry a query or fragment.');
  return value.replace(/\/+$/, '');
}

/** Fields whose name says they hold a secret, which a template must never carry. */
const SECRET_FIELD = /secret|password/i;

/**
 * Checks one registration by the rules every client follows (`clientRegistrationProblems`), and two of the
 * construct's own: its id names resources so it must be known at synth time, and a secret field (say a
 * `clientSecret` copied from a local config file) would end up in the template. Messages never repeat a secret.
 */
export function checkClient(prop: string, client: ClientRegistration): void {
  if (typeof client === 'object' && client !== null) {
    const secret = Object.keys(client).find((key) => !isRegistrationField(key) && SECRET_FIELD.test(key));
    if (secret !== undefined) {
      throw new PropError(
        `${prop}.${secret}`,
        'secrets never go into a template: confidential clients get one generated at deploy time.',
      );
    }
    if (!known(client.clientId))
      throw new PropError(`${prop}.clientId`, "must be known at synth time: it names the client's resources.");
  }
  const [first] = clientRegistrationProblems(client, { path: prop, pending: Token.isUnresolved });
  if (first) throw new PropError(first.field, `${first.problem}.`);
}

/**
 * The branding and scope descriptions, by the rules the deployed handlers check again: https URLs, a `#rgb` or
 * `#rrggbb` button colour whose black or white text reaches WCAG AA, descriptions in languages the pages have.
 */
export function checkPageOptions(branding: unknown, scopeDescriptions: unknown): void {
  const [first] = [
    ...brandingProblems(branding, 'branding', { pending: Token.isUnresolved }),
    ...scopeDescriptionsProblems(scopeDescriptions, 'scopeDescriptions', { pending: Token.isUnresolved }),
  ];
  if (first) throw new PropError(first.field, `${first.problem}.`);
}
