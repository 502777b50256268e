// The message catalogues of the hosted pages, kept as data (messages/*.json, bundled), and their lookup.
import de from './messages/de.json' with { type: 'json' };
import en from './messages/en.json' with { type: 'json' };
import fr from './messages/fr.json' with { type: 'json' };
import { html, Html } from './html.js';
import type { Language } from './languages.js';

export type MessageKey = keyof typeof en;

/** Every language's catalogue has exactly the English keys: the compiler checks they are all there. */
export const CATALOGUES: Readonly<Record<Language, Readonly<Record<MessageKey, string>>>> = { en, de, fr };

/** Values put into a message's `{name}` placeholders: text is escaped, `Html` is kept as it is. */
export type MessageValues = Readonly<Record<string, string | Html>>;

/** The messages of one language, rendered as HTML. */
export interface Translator {
  readonly language: Language;
  /** The message as plain text, for a `<title>` or an attribute; `{name}` placeholders filled with text. */
  text(key: MessageKey, values?: Readonly<Record<string, string>>): string;
  /** The message as HTML, its placeholders filled with `values`. */
  html(key: MessageKey, values?: MessageValues): Html;
}

const PLACEHOLDER = /\{([a-z]+)\}/g;

export function translator(language: Language): Translator {
  const messages = CATALOGUES[language];
  return {
    language,
    text: (key, values = {}) => messages[key].replace(PLACEHOLDER, (whole, name: string) => values[name] ?? whole),
    html: (key, values = {}) => {
      const parts = messages[key].split(PLACEHOLDER);
      // split() with a capture group alternates literal text and placeholder names.
      return html`${parts.map((part, i) => (i % 2 === 0 ? part : (values[part] ?? `{${part}}`)))}`;
    },
  };
}
