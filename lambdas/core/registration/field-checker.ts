// Checks a parsed value field by field, collecting every problem with the path of the field it is about.

/** One problem, e.g. `{ field: 'clients[0].redirectUris[1]', problem: 'must not contain a fragment (#)' }`; never carries a secret. */
export interface FieldProblem {
  readonly field: string;
  readonly problem: string;
}

/** The problem with a string value, or undefined when it is fine. */
export type StringRule = (value: string) => string | undefined;

export type Fields = Record<string, unknown>;

export const isFields = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The JSON object `text` holds, or undefined when it is not JSON or not an object. */
export function parseFields(text: string | undefined): Fields | undefined {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return isFields(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export const describeProblem = ({ field, problem }: FieldProblem): string => `${field}: ${problem}`;

/** Collects problems rather than stopping at the first, so one run reports every mistake. */
export class FieldChecker {
  readonly problems: FieldProblem[] = [];

  /**
   * @param pending values only known later (CDK tokens): their type is checked, their content is not,
   *   and they never count as duplicates. @default none
   */
  constructor(readonly pending: (value: unknown) => boolean = () => false) {}

  report(field: string, problem: string): void {
    this.problems.push({ field, problem });
  }

  /** An object with only the known fields; a misspelt field is reported rather than silently ignored. */
  object(
    value: unknown,
    path: string,
    required: readonly string[],
    optional: readonly string[] = [],
  ): Fields | undefined {
    if (!isFields(value)) {
      this.report(path, 'must be an object');
      return undefined;
    }
    for (const name of required) if (value[name] === undefined) this.report(`${path}.${name}`, 'is required');
    for (const name of Object.keys(value)) {
      if (!required.includes(name) && !optional.includes(name)) this.report(`${path}.${name}`, 'is not a known field');
    }
    return value;
  }

  /** `undefined` (already reported as missing, or optional) is passed over; anything else must be a non-empty string. */
  string(value: unknown, path: string, rule?: StringRule): value is string {
    if (value === undefined) return false;
    if (typeof value !== 'string' || value === '') {
      this.report(path, 'must be a non-empty string');
      return false;
    }
    const problem = rule && !this.pending(value) ? rule(value) : undefined;
    if (problem !== undefined) {
      this.report(path, problem);
      return false;
    }
    return true;
  }

  oneOf<T extends string>(value: unknown, path: string, allowed: readonly T[]): value is T {
    if (value === undefined || this.pending(value)) return false;
    if (!allowed.includes(value as T)) {
      this.report(path, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
      return false;
    }
    return true;
  }

  /** A list; a value listed twice is a mistake worth reporting. */
  array(value: unknown, path: string): readonly unknown[] {
    if (value === undefined) return [];
    if (!Array.isArray(value)) {
      this.report(path, 'must be an array');
      return [];
    }
    const twice = value.find((v, i) => typeof v === 'string' && !this.pending(v) && value.indexOf(v) !== i);
    if (twice !== undefined) this.report(path, `lists "${twice}" twice`);
    return value;
  }

  boolean(value: unknown, path: string): void {
    if (value !== undefined && typeof value !== 'boolean') this.report(path, 'must be true or false');
  }

  /** Reports every value seen before under the same key. */
  unique<T>(
    items: readonly T[],
    key: (item: T) => string | undefined,
    path: (index: number) => string,
    what: string,
  ): void {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const k = key(item);
      if (k === undefined) return;
      const first = seen.get(k);
      if (first === undefined) seen.set(k, i);
      else this.report(path(i), `duplicates the ${what} of ${path(first)}`);
    });
  }
}
