// Reading OAuth parameters strictly: no duplicates, no oversized values, empty means absent.
import { invalidRequest, type OAuthError } from './errors.js';
import { isFormBody, parseForm, type CoreRequest } from './http.js';

export type Params = Readonly<Record<string, readonly string[]>>;

/** Longest value accepted for any parameter; real ones (state, nonce, URIs) stay far below. */
export const MAX_PARAM_LENGTH = 4096;

/** The non-empty values of `name`, read as an own property only: no parameter is named after Object.prototype. */
const valuesOf = (params: Params, name: string): string[] =>
  Object.hasOwn(params, name) ? (params[name] ?? []).filter((v) => v !== '') : [];

type ErrorFactory = (description: string, detail?: string) => OAuthError;

/**
 * The single value of `name`, or undefined when absent or empty (RFC 6749 §3.1: parameters
 * sent without a value are treated as omitted; none may be included more than once).
 */
export function optional(params: Params, name: string, fail: ErrorFactory = invalidRequest): string | undefined {
  const values = valuesOf(params, name);
  if (values.length > 1) throw fail(`The ${name} parameter is included more than once.`, `${name} repeated`);
  const value = values[0];
  if (value !== undefined && value.length > MAX_PARAM_LENGTH)
    throw fail(`The ${name} parameter is too long.`, `${name} too long`);
  return value;
}

export function required(params: Params, name: string, fail: ErrorFactory = invalidRequest): string {
  const value = optional(params, name, fail);
  if (value === undefined) throw fail(`The ${name} parameter is required.`, `${name} missing`);
  return value;
}

/** The parameters of a client's POST to a JSON endpoint (token, revocation, introspection): a form body, or `invalid_request`. */
export function formParams(req: CoreRequest, what: string): Params {
  if (!isFormBody(req)) {
    throw invalidRequest(`The ${what} request must be application/x-www-form-urlencoded.`, 'body not form-urlencoded');
  }
  return parseForm(req.body);
}

/** Every value of a parameter that may repeat (RFC 8707 `resource`). */
export function repeated(params: Params, name: string): string[] {
  const values = valuesOf(params, name);
  if (values.some((v) => v.length > MAX_PARAM_LENGTH))
    throw invalidRequest(`The ${name} parameter is too long.`, `${name} too long`);
  return values;
}

/** A space-delimited list of values (scope, prompt): empty items dropped, de-duplicated, order kept. */
export function splitSpaceDelimited(value: string | undefined): string[] {
  return [...new Set((value ?? '').split(' ').filter(Boolean))];
}

/** RFC 6749 §3.3: space-delimited, case-sensitive, de-duplicated, order kept. */
export function parseScope(scope: string | undefined): string[] {
  return splitSpaceDelimited(scope);
}
