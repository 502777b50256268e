// The context a hosted page is rendered in: the language the request asks for and the workspace's branding.
import type { CoreRequest } from '../http.js';
import type { Workspace } from '../workspace.js';
import type { ClientRecord } from '../model.js';
import type { PageContext, WayBack } from './html.js';
import { negotiateLanguage } from './languages.js';
import { translator } from './messages.js';
import { MAX_PARAM_LENGTH, type Params } from '../params.js';

/** `uiLocales`: the request's `ui_locales`, kept with the transaction so every page of a sign-in follows it. */
export function pageContext(
  ws: Pick<Workspace, 'branding' | 'scopeDescriptions'>,
  req: Pick<CoreRequest, 'headers'>,
  uiLocales?: string,
): PageContext {
  return {
    t: translator(negotiateLanguage(uiLocales, req.headers['accept-language'])),
    ...(ws.branding && { branding: ws.branding }),
    ...(ws.scopeDescriptions && { scopeDescriptions: ws.scopeDescriptions }),
  };
}

/** `ui_locales` of parameters not yet checked, for a page about them: a usable single value or nothing, never an error. */
export function uiLocalesOf(params: Params | undefined): string | undefined {
  const values = params && Object.hasOwn(params, 'ui_locales') ? params['ui_locales'] : undefined;
  return values?.length === 1 && values[0]!.length <= MAX_PARAM_LENGTH ? values[0] : undefined;
}

/** The way back from an error page: the client's registered home page, when it has one. */
export function wayBack(
  client: Pick<ClientRecord, 'clientId' | 'clientName' | 'clientUri'> | undefined,
): WayBack | undefined {
  return client?.clientUri ? { clientName: client.clientName ?? client.clientId, url: client.clientUri } : undefined;
}
