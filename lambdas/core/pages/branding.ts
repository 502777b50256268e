// A workspace's branding and custom scope descriptions: their types, their rules, and the button colours they give.
import type { FieldProblem } from '../registration/field-checker.js';
import { isLanguage, LANGUAGES, type Language } from './languages.js';

/** How a workspace's hosted pages present it (SPEC §3 "Branding and language"); every field optional. */
export interface Branding {
  /** Shown at the top of every page and named on the sign-out pages. @default - `{tenantId}/{workspaceId}` */
  readonly displayName?: string;
  /** The logo at the top of every page: https (http only on localhost in local mode). Its origin joins the CSP's img-src. */
  readonly logoUrl?: string;
  /** Background of the buttons, `#rgb` or `#rrggbb`; the button text is black or white, whichever contrasts more. */
  readonly primaryColor?: string;
  /** Where users get help: linked from every page, and the way back from error pages. */
  readonly supportUrl?: string;
}

/** Descriptions of custom scopes per language, e.g. `{ "orders:read": { "en": "Read your orders", "de": "…" } }`. */
export type ScopeDescriptions = Readonly<Record<string, Readonly<Partial<Record<Language, string>>>>>;

/** WCAG 2.x AA for normal text. */
export const MIN_CONTRAST = 4.5;

const HEX_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

/** `#rgb` or `#rrggbb` as 0-255 channels, or undefined for anything else. */
export function parseColor(value: string): [number, number, number] | undefined {
  if (!HEX_COLOR.test(value)) return undefined;
  const hex = value.length === 4 ? [...value.slice(1)].map((c) => c + c).join('') : value.slice(1);
  return [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [number, number, number];
}

/** WCAG 2.x relative luminance of an sRGB colour. */
export function relativeLuminance([r, g, b]: readonly [number, number, number]): number {
  const linear = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

/** WCAG 2.x contrast ratio of two colours, from 1 to 21. */
export function contrastRatio(a: readonly [number, number, number], b: readonly [number, number, number]): number {
  const [light, dark] = [relativeLuminance(a), relativeLuminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

const WHITE = [255, 255, 255] as const;
const BLACK = [0, 0, 0] as const;

/**
 * The button text for a background: white or black, whichever contrasts more, with its ratio. One of them always
 * reaches 4.58:1 (the two ratios are equal at luminance ≈ 0.179, where both are ≈ 4.58), so every valid colour
 * gets AA text; `primaryColorProblem` still refuses one below 4.5, so the rule holds whatever the text colours.
 */
export function buttonText(background: string): { color: '#ffffff' | '#000000'; ratio: number } | undefined {
  const rgb = parseColor(background);
  if (!rgb) return undefined;
  const white = contrastRatio(rgb, WHITE);
  const black = contrastRatio(rgb, BLACK);
  return white >= black ? { color: '#ffffff', ratio: white } : { color: '#000000', ratio: black };
}

export function primaryColorProblem(value: string): string | undefined {
  const text = buttonText(value);
  if (!text) return `must be a colour in #rgb or #rrggbb notation, got "${value}"`;
  if (text.ratio < MIN_CONTRAST)
    return `gives button text a contrast of ${text.ratio.toFixed(2)}:1, below the ${MIN_CONTRAST}:1 of WCAG AA`;
  return undefined;
}

/** Where URLs in the branding may point: https, or in local mode also http on localhost. */
export interface UrlRules {
  readonly allowLocalHttp?: boolean;
}

function urlProblem(value: string, rules: UrlRules): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  const local = url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(rules.allowLocalHttp && local))
    return rules.allowLocalHttp ? 'must be an https URL (or http on localhost)' : 'must be an https URL';
  if (url.username || url.password) return 'must not carry credentials';
  return undefined;
}

const MAX_TEXT = 200;
const MAX_URL = 2048;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Every problem with a branding, each naming its field under `path`. `pending` values (CDK tokens) are skipped:
 * they are known only at deploy time.
 */
export function brandingProblems(
  value: unknown,
  path: string,
  rules: UrlRules & { pending?: (value: unknown) => boolean } = {},
): FieldProblem[] {
  if (value === undefined) return [];
  if (!isRecord(value)) return [{ field: path, problem: 'must be an object' }];
  const problems: FieldProblem[] = [];
  const fields: Record<keyof Branding, (v: string) => string | undefined> = {
    displayName: (v) => (v.trim() === '' || v.length > MAX_TEXT ? `must be 1 to ${MAX_TEXT} characters` : undefined),
    logoUrl: (v) => (v.length > MAX_URL ? `must be at most ${MAX_URL} characters` : urlProblem(v, rules)),
    primaryColor: primaryColorProblem,
    supportUrl: (v) => (v.length > MAX_URL ? `must be at most ${MAX_URL} characters` : urlProblem(v, rules)),
  };
  for (const [name, v] of Object.entries(value)) {
    const rule = fields[name as keyof Branding];
    const field = `${path}.${name}`;
    if (!rule) problems.push({ field, problem: `is not a branding field (${Object.keys(fields).join(', ')})` });
    else if (v === undefined || rules.pending?.(v)) continue;
    else if (typeof v !== 'string') problems.push({ field, problem: 'must be a string' });
    else {
      const problem = rule(v);
      if (problem !== undefined) problems.push({ field, problem });
    }
  }
  return problems;
}

/** Every problem with custom scope descriptions: scope → language → text, languages among those with a catalogue. */
export function scopeDescriptionsProblems(
  value: unknown,
  path: string,
  rules: { pending?: (value: unknown) => boolean } = {},
): FieldProblem[] {
  if (value === undefined) return [];
  if (!isRecord(value)) return [{ field: path, problem: 'must be an object of scope → language → text' }];
  const problems: FieldProblem[] = [];
  for (const [scope, texts] of Object.entries(value)) {
    const field = `${path}.${scope}`;
    if (!/^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/.test(scope)) problems.push({ field, problem: 'is not a scope token' });
    if (!isRecord(texts)) {
      problems.push({ field, problem: 'must be an object of language → text' });
      continue;
    }
    for (const [language, text] of Object.entries(texts)) {
      if (!isLanguage(language))
        problems.push({ field: `${field}.${language}`, problem: `must be one of ${LANGUAGES.join(', ')}` });
      else if (rules.pending?.(text)) continue;
      else if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_TEXT)
        problems.push({ field: `${field}.${language}`, problem: `must be a text of 1 to ${MAX_TEXT} characters` });
    }
  }
  return problems;
}

/** The logo's origin, for the CSP; undefined without a logo. */
export function logoOrigin(branding: Branding | undefined): string | undefined {
  return branding?.logoUrl === undefined ? undefined : new URL(branding.logoUrl).origin;
}
