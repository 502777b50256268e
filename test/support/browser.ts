// A minimal browser for tests over real HTTP: keeps cookies, follows nothing on its own, submits forms.
export class Browser {
  readonly cookies = new Map<string, string>();

  async get(url: string | URL): Promise<Response> {
    return this.send(url, { method: 'GET' });
  }

  /** Posts a page's form (its action and hidden fields) with `fields` added. */
  async submit(page: { url: string; html: string }, fields: Record<string, string>): Promise<Response> {
    const action = /<form[^>]*action="([^"]*)"/.exec(page.html)?.[1]?.replaceAll('&amp;', '&');
    if (action === undefined) throw new Error('no form on the page');
    const form = new URLSearchParams();
    for (const [, name, value] of page.html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)"/g))
      form.append(name!, value!);
    for (const [name, value] of Object.entries(fields)) form.append(name, value);
    return this.send(new URL(action, page.url), { method: 'POST', body: form });
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
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const eq = pair.indexOf('=');
      if (/max-age=0/i.test(cookie)) this.cookies.delete(pair.slice(0, eq));
      else this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  }
}
