// RFC 8707 resource indicators: which resources a client may name, and the audience its access tokens get.
import { invalidTarget } from './errors.js';
import type { ClientRecord } from './model.js';
import { repeated, type Params } from './params.js';
import type { Workspace } from './workspace.js';

/** The `resource` parameters, de-duplicated: absolute URIs without fragment, each an audience the client is registered for. */
export function requestedResources(params: Params, client: ClientRecord): string[] {
  const resources = repeated(params, 'resource');
  for (const r of resources) {
    let url: URL;
    try {
      url = new URL(r);
    } catch {
      throw invalidTarget('resource must be an absolute URI.', 'resource not absolute');
    }
    if (url.hash || r.includes('#'))
      throw invalidTarget('resource must not contain a fragment.', 'resource has a fragment');
    if (!(client.audience ?? []).includes(r)) {
      throw invalidTarget(
        'The client may not request this resource.',
        `resource not an audience of client ${client.clientId}`,
      );
    }
  }
  return [...new Set(resources)];
}

/** An access token's `aud`: the resources requested, else the client's registered audience, else the issuer. */
export function tokenAudience(
  resources: readonly string[],
  client: ClientRecord,
  ws: Pick<Workspace, 'issuer'>,
): readonly string[] {
  if (resources.length) return resources;
  return client.audience?.length ? client.audience : [ws.issuer];
}
