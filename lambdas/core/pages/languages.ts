// The languages of the hosted pages and how one is chosen for a request: `ui_locales` first, then Accept-Language.

/** Every language with a complete message catalogue; the first is the fallback. */
export const LANGUAGES = ['en', 'de', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'en';

export const isLanguage = (value: unknown): value is Language =>
  typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);

/** The catalogue for a BCP 47 tag: matched on its primary subtag, so `de-CH` reads German. */
function languageOf(tag: string): Language | undefined {
  const primary = tag.trim().toLowerCase().split('-')[0];
  return isLanguage(primary) ? primary : undefined;
}

/** Bounds the work a header sent by anyone can cause. */
const MAX_TAGS = 32;

/** Accept-Language (RFC 9110 §12.5.4): tags by descending q, equal q in the order sent; q=0 means "not this". */
function acceptLanguageTags(header: string): string[] {
  return header
    .split(',')
    .slice(0, MAX_TAGS)
    .map((part, index) => {
      const [tag = '', ...params] = part.split(';');
      const q = params.map((p) => /^\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter(({ tag, q }) => tag !== '' && tag !== '*' && q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index)
    .map(({ tag }) => tag);
}

/**
 * The page language: the first of `uiLocales` (OIDC Core §3.1.2.1, space-separated, by preference) we have, else
 * the best of Accept-Language we have, else English. An unsupported `ui_locales` is no error (OIDC Core).
 */
export function negotiateLanguage(uiLocales?: string, acceptLanguage?: string): Language {
  const preferred = [...(uiLocales ?? '').split(' ').slice(0, MAX_TAGS), ...acceptLanguageTags(acceptLanguage ?? '')];
  for (const tag of preferred) {
    const found = languageOf(tag);
    if (found) return found;
  }
  return DEFAULT_LANGUAGE;
}
