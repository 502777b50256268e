// The text a user sees or hears on a page: text nodes outside <style>, the title, and accessible-name attributes.

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#96': '`' };
const decode = (s: string) => s.replace(/&(amp|lt|gt|quot|#39|#96);/g, (_, e: string) => ENTITIES[e]!);
export const normalize = (s: string) => s.replace(/\s+/g, ' ').trim();

const VOID = new Set(['meta', 'input', 'img', 'br', 'link', 'hr']);
const NAMED_BY = ['aria-label', 'alt', 'placeholder', 'title'];

/**
 * Every visible or announced text of a page the project renders (well-formed markup), whitespace collapsed.
 * Text inside an element marked `translate="no"` (names, protocol detail) is left out.
 */
export function visibleTexts(body: string): string[] {
  const out: string[] = [];
  const stack: { tag: string; keep: boolean }[] = [];
  const source = body.replace(/<style>[\s\S]*?<\/style>/g, '');
  for (const m of source.matchAll(
    /<!.*?>|<\/([a-zA-Z0-9]+)\s*>|<([a-zA-Z0-9]+)((?:[^>"']|"[^"]*"|'[^']*')*)>|([^<]+)/gs,
  )) {
    const [, closing, opening, attributes = '', text] = m;
    const translated = stack.every((e) => e.keep);
    if (closing) {
      while (stack.length && stack.pop()!.tag !== closing.toLowerCase());
    } else if (opening) {
      const keep = !/\stranslate="no"/.test(attributes);
      if (translated && keep) {
        for (const a of attributes.matchAll(/([a-z-]+)="([^"]*)"/g))
          if (NAMED_BY.includes(a[1]!) && normalize(decode(a[2]!))) out.push(normalize(decode(a[2]!)));
      }
      if (!VOID.has(opening.toLowerCase()) && !attributes.trimEnd().endsWith('/'))
        stack.push({ tag: opening.toLowerCase(), keep });
    } else if (text && translated && normalize(text)) {
      out.push(normalize(decode(text)));
    }
  }
  return out;
}
