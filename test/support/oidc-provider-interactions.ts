// The login and consent interaction of a node-oidc-provider peer, as a deployment of it writes one: plain HTML forms on
// `/interaction/:uid`, everything else handed to the provider. Used by the side-by-side benchmark's peer and by the
// federation test that signs in at it.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';

/** How the peer signs a user in: the login form's fields, and the account a submitted form names. */
export interface PeerLogin {
  /** The `<input>`s of the login form. */
  readonly fields: string;
  /** The account id the submitted form signs in, or the message shown instead. */
  check(form: URLSearchParams): Promise<{ readonly accountId: string } | { readonly refused: string }>;
}

const page = (res: ServerResponse, html: string): void => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
};

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString());
}

/**
 * The HTTP handler of a peer: its interaction routes with `login`, and the provider `current()` returns for the rest
 * (503 until there is one, as the provider may be created after its port is known).
 */
export function interactionHandler(
  current: () => InstanceType<typeof Provider> | undefined,
  login: PeerLogin,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const p = current();
    if (!p) return void res.writeHead(503).end();
    const m = /^\/interaction\/([^/]+)(\/login|\/confirm)?$/.exec(req.url ?? '');
    if (!m) return p.callback()(req, res);
    try {
      const details = await p.interactionDetails(req, res);
      if (req.method === 'GET') {
        const action = details.prompt.name === 'login' ? 'login' : 'confirm';
        const fields = action === 'login' ? login.fields : '<input type="hidden" name="decision" value="allow">';
        return page(res, `<form method="post" action="/interaction/${details.uid}/${action}">${fields}</form>`);
      }
      const form = await readForm(req);
      if (m[2] === '/login') {
        const checked = await login.check(form);
        if ('refused' in checked) return page(res, `<p>${checked.refused}</p>`);
        return await p.interactionFinished(
          req,
          res,
          { login: { accountId: checked.accountId } },
          { mergeWithLastSubmission: false },
        );
      }
      const grant = details.grantId
        ? (await p.Grant.find(details.grantId))!
        : new p.Grant({ accountId: details.session!.accountId, clientId: details.params.client_id as string });
      const missing = details.prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
        grant.addResourceScope(resource, scopes.join(' '));
      const grantId = await grant.save();
      return await p.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    } catch (err) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end(`interaction failed: ${(err as Error).message}`);
    }
  };
}
