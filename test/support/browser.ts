// A minimal browser for tests over real HTTP: keeps cookies by path, follows nothing on its own, submits forms.
export class Browser {
  /** By path, then name: workspaces on one host set cookies of the same names on their own paths. */
  readonly jar = new Map<string, Map<string, string>>();

  /** Every cookie held, whatever its path. */
  get cookies(): Map<string, string> {
    return new Map([...this.jar.values()].flatMap((jar) => [...jar]));
  }

  /** The cookies a request to `path` carries, the longest path first as browsers send them. */
  cookiesFor(path: string): Map<string, string> {
    const out = new Map<string, string>();
    const paths = [...this.jar.keys()].filter((p) => path.startsWith(p)).sort((a, b) => b.length - a.length);
    for (const p of paths) for (const [name, value] of this.jar.get(p)!) if (!out.has(name)) out.set(name, value);
    return out;
  }

  async get(url: string | URL): Promise<Response> {
    return this.send(url, { method: 'GET' });
  }

  /**
   * Posts a form of the page: the first whose fields include one of `fields` (a page may hold several forms, e.g.
   * the identity source buttons beside the password form), with its action and hidden fields.
   */
  async submit(page: { url: string; html: string }, fields: Record<string, string>): Promise<Response> {
    const forms = [...page.html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)];
    const form = forms.find(([, , body]) => Object.keys(fields).some((f) => body!.includes(`name="${f}"`))) ?? forms[0];
    if (form === undefined) throw new Error('no form on the page');
    const action = form[1]!.replaceAll('&amp;', '&');
    const body = new URLSearchParams();
    for (const [, name, value] of form[2]!.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"/g))
      body.append(name!, value!);
    for (const [name, value] of Object.entries(fields)) body.append(name, value);
    return this.send(new URL(action, page.url), { method: 'POST', body });
  }

  /** Follows redirects like a browser until a page is reached; returns it with its URL. */
  async follow(res: Response, from: string | URL): Promise<{ res: Response; url: string; html: string }> {
    let url = new URL(from);
    while (res.status >= 300 && res.status < 400) {
      url = new URL(res.headers.get('location')!, url);
      res = await this.get(url);
    }
    return { res, url: url.href, html: await res.text() };
  }

  private async send(url: string | URL, init: RequestInit): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookies = this.cookiesFor(target.pathname);
    if (cookies.size) headers.set('cookie', [...cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = '', ...attributes] = cookie.split(';');
      const eq = pair.indexOf('=');
      const path =
        attributes
          .map((a) => a.trim())
          .find((a) => /^path=/i.test(a))
          ?.slice(5) ?? '/';
      const jar = this.jar.get(path) ?? new Map<string, string>();
      this.jar.set(path, jar);
      if (/max-age=0/i.test(cookie)) jar.delete(pair.slice(0, eq));
      else jar.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  }
}
