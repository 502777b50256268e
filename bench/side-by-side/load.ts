// The load generator's browser: one cookie jar per simulated user agent, redirects followed by hand, every request
// timed under the name of the step it is, and the flows (code, SSO, client_credentials, refresh) written once for
// both servers: what differs (endpoint paths, form fields) is read from discovery and from the pages themselves.
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { BACKEND, FLOW_SCOPE, PASSWORD, SPA, username } from './setup.js';

export interface Response {
  readonly status: number;
  readonly body: string;
  readonly location?: URL;
}

/** Latencies in ms by step name. */
export type Timings = Map<string, number[]>;

/** Cookies by name, as a browser keeps them for one host; path scoping is not needed by either server's flow. */
export type Jar = Map<string, string>;

function storeCookies(jar: Jar, setCookie: readonly string[] | undefined): void {
  for (const line of setCookie ?? []) {
    const [pair = '', ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attrs.some((a) => {
      const [k = '', v = ''] = a.split('=').map((s) => s.trim());
      return (
        (k.toLowerCase() === 'max-age' && Number(v) <= 0) ||
        (k.toLowerCase() === 'expires' && Date.parse(v) < Date.now())
      );
    });
    if (expired || value === '') jar.delete(name);
    else jar.set(name, value);
  }
}

export interface TokenResponse {
  readonly access_token: string;
  readonly id_token?: string;
  readonly refresh_token?: string;
}

export interface Endpoints {
  readonly issuer: string;
  readonly authorize: URL;
  readonly token: URL;
}

export class Client {
  private readonly agent: Agent;

  constructor(
    readonly endpoints: Endpoints,
    concurrency: number,
    readonly timings: Timings = new Map(),
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  }

  static async discover(issuer: string, concurrency: number): Promise<Client> {
    const res = await fetch(`${issuer}/.well-known/openid-configuration`);
    const meta = (await res.json()) as { authorization_endpoint: string; token_endpoint: string };
    return new Client(
      { issuer, authorize: new URL(meta.authorization_endpoint), token: new URL(meta.token_endpoint) },
      concurrency,
    );
  }

  close(): void {
    this.agent.destroy();
  }

  private record(step: string, ms: number): void {
    const list = this.timings.get(step) ?? [];
    list.push(ms);
    this.timings.set(step, list);
  }

  /** One request; `step` names it in the timings, or is computed from the response. */
  send(
    method: 'GET' | 'POST',
    url: URL,
    step: string | ((res: Response) => string),
    opts: { jar?: Jar; form?: URLSearchParams; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const body = opts.form?.toString();
    const headers: Record<string, string> = { ...opts.headers };
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (opts.jar?.size) headers.cookie = [...opts.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          if (opts.jar) storeCookies(opts.jar, res.headers['set-cookie']);
          const location = res.headers.location;
          const out: Response = {
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            ...(location !== undefined && { location: new URL(location, url) }),
          };
          this.record(typeof step === 'string' ? step : step(out), performance.now() - started);
          resolve(out);
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Starts a code flow with PKCE; returns the verifier for the token request. */
  private authorizeUrl(scope: string, prompt?: string): { url: URL; verifier: string } {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(this.endpoints.authorize);
    url.search = new URLSearchParams({
      client_id: SPA.clientId,
      redirect_uri: SPA.redirectUri,
      response_type: 'code',
      scope,
      state: randomBytes(8).toString('base64url'),
      nonce: randomBytes(8).toString('base64url'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...(prompt && { prompt }),
    }).toString();
    return { url, verifier };
  }

  /**
   * authorize, then whatever pages the server shows (a login form is filled in as `user`, a consent form allowed),
   * following redirects on the server, until the redirect back to the client; returns the code. A full flow must
   * have shown both a login and a consent form, an SSO flow neither, so that both servers do the same work.
   */
  private async toCode(jar: Jar, url: URL, user: number, full: boolean): Promise<string> {
    const resumes = this.endpoints.authorize.pathname;
    const forms: string[] = [];
    let res = await this.send('GET', url, 'authorize', { jar });
    for (let hops = 0; hops < 12; hops++) {
      if (res.location?.href.startsWith(SPA.redirectUri)) {
        const code = res.location.searchParams.get('code');
        if (!code) throw new Error(`redirected back without a code: ${res.location.search}`);
        const shown = forms.join(',');
        if (shown !== (full ? 'login,consent' : '')) throw new Error(`${full ? 'full' : 'SSO'} flow showed: ${shown}`);
        return code;
      }
      if (res.location) {
        const next = res.location;
        res = await this.send(
          'GET',
          next,
          (r) =>
            next.pathname.startsWith(resumes)
              ? 'authorize (resume)'
              : r.body.includes('name="password"')
                ? 'login page'
                : 'consent page',
          { jar },
        );
        continue;
      }
      if (res.status !== 200) throw new Error(`unexpected ${res.status}: ${res.body.slice(0, 200)}`);
      const action = /<form[^>]*action="([^"]*)"/.exec(res.body)?.[1]?.replaceAll('&amp;', '&');
      if (action === undefined) throw new Error(`no form in page: ${res.body.slice(0, 200)}`);
      const form = new URLSearchParams();
      for (const [, name, value] of res.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
        form.set(name!, value!.replaceAll('&amp;', '&'));
      const login = res.body.includes('name="password"');
      forms.push(login ? 'login' : 'consent');
      if (login) {
        form.set('username', username(user));
        form.set('password', PASSWORD);
      } else form.set('decision', 'allow');
      res = await this.send('POST', new URL(action, url), login ? 'login POST' : 'consent POST', { jar, form });
    }
    throw new Error('too many redirects');
  }

  private async token(step: string, form: Record<string, string>, headers?: Record<string, string>) {
    const res = await this.send('POST', this.endpoints.token, step, {
      form: new URLSearchParams(form),
      ...(headers && { headers }),
    });
    if (res.status !== 200) throw new Error(`${step}: ${res.status} ${res.body.slice(0, 200)}`);
    return JSON.parse(res.body) as TokenResponse;
  }

  private async codeFlow(jar: Jar, user: number, scope: string, prompt: string | undefined, full: boolean) {
    const { url, verifier } = this.authorizeUrl(scope, prompt);
    const code = await this.toCode(jar, url, user, full);
    const tokens = await this.token('token (code)', {
      grant_type: 'authorization_code',
      code,
      code_verifier: verifier,
      redirect_uri: SPA.redirectUri,
      client_id: SPA.clientId,
    });
    if (!tokens.id_token) throw new Error('no ID token');
    return tokens;
  }

  /**
   * A new browser: authorize, login, consent, code, token. Returns the jar, now holding a session. `prompt=consent`
   * because our server remembers a user's consent across browsers while the peer keeps it in the session, and a
   * full flow is to show the consent form on both.
   */
  async fullFlow(user: number): Promise<{ jar: Jar; tokens: TokenResponse }> {
    const jar: Jar = new Map();
    const tokens = await this.codeFlow(jar, user, FLOW_SCOPE, 'consent', true);
    return { jar, tokens };
  }

  /** A browser with a session and a remembered consent: authorize → code → token, no page. */
  async ssoFlow(jar: Jar, user: number): Promise<TokenResponse> {
    return this.codeFlow(jar, user, FLOW_SCOPE, undefined, false);
  }

  /** A full flow asking for `offline_access` (with `prompt=consent`, which OIDC Core asks for it); returns the refresh token. */
  async offlineGrant(user: number): Promise<string> {
    const tokens = await this.codeFlow(new Map(), user, `${FLOW_SCOPE} offline_access`, 'consent', true);
    if (!tokens.refresh_token) throw new Error('no refresh token');
    return tokens.refresh_token;
  }

  /** Redeems a refresh token; returns its successor (both servers rotate a public client's refresh tokens). */
  async refresh(refreshToken: string): Promise<string> {
    const tokens = await this.token('token (refresh)', {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: SPA.clientId,
    });
    return tokens.refresh_token ?? refreshToken;
  }

  async clientCredentials(): Promise<string> {
    const basic = Buffer.from(`${BACKEND.clientId}:${BACKEND.secret}`).toString('base64');
    const tokens = await this.token(
      'token (client_credentials)',
      { grant_type: 'client_credentials', scope: BACKEND.scope },
      { authorization: `Basic ${basic}` },
    );
    return tokens.access_token;
  }
}
