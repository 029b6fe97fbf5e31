import { z } from 'zod';
import { describeValue } from './describe.js';
import { ConfigError } from './errors.js';

/**
 * Validates `input` against a zod schema once, at the edge, and returns the parsed value frozen.
 * On failure it throws a {@link ConfigError} whose message names the field, what was expected and
 * what arrived, e.g. `breaker.windowSize: expected an integer >= 1, got 0`.
 *
 * @param schema zod schema (defaults applied by the schema itself)
 * @param input raw options from a caller, a config file or the environment
 * @param where prefix for field names (`breaker`, `risk.limits`)
 */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown, where: string): Readonly<z.output<S>> {
  const r = schema.safeParse(input ?? {}, { reportInput: true });
  if (r.success) return deepFreeze(r.data) as Readonly<z.output<S>>;
  const issue = r.error.issues[0]!;
  const field = [where, ...issue.path.map(String)].filter((p) => p !== '').join('.');
  const value = 'input' in issue ? issue.input : getPath(input, issue.path);
  // the field's own name decides (`tokens.0.token` is secret, `tokens.0.roles.0` is not); an
  // object or list echoed whole has its secret-named fields replaced at any depth
  const name = [...where.split('.'), ...issue.path].filter((p): p is string => typeof p === 'string' && p !== '').pop() ?? '';
  const got = isSecretKey(name) ? redacted(value) : describeValue(redactDeep(value));
  const message = `${field}: ${expectation(issue)}, got ${got}`;
  throw new ConfigError(field, message, { issues: r.error.issues.length });
}

/**
 * Field names whose values are secrets (`token`, `tokens`, `controlToken`, `secret`, `apiSecret`,
 * `apiKey`, `--api-secret`, `password`, ...): a validation message never echoes them.
 */
export function isSecretKey(name: string): boolean {
  return /(secret|password|passphrase|api[-_]?key|private[-_]?key|token)s?$/i.test(name);
}

/** What a message shows instead of a secret: its type and size, never its content. */
export function redacted(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `<redacted string of ${v.length} chars>`;
  if (Array.isArray(v)) return `<redacted array of length ${v.length}>`;
  return `<redacted ${v === null ? 'null' : typeof v}>`;
}

/** A copy of `v` with every secret-named field (at any depth) replaced by {@link redacted}. */
function redactDeep(v: unknown, depth = 0): unknown {
  if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v) || depth > 8) return v;
  if (Array.isArray(v)) return v.map((x) => redactDeep(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) out[k] = isSecretKey(k) ? redacted(x) : redactDeep(x, depth + 1);
  return out;
}

function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${article(issue.expected)}`;
    case 'too_small':
      return `expected ${issue.origin === 'string' ? 'a string of length' : 'a value'} ${issue.inclusive === false ? '>' : '>='} ${String(issue.minimum)}`;
    case 'too_big':
      return `expected ${issue.origin === 'string' ? 'a string of length' : 'a value'} ${issue.inclusive === false ? '<' : '<='} ${String(issue.maximum)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `expected no unknown keys (${issue.keys.join(', ')})`;
    case 'invalid_format':
      return `expected a ${issue.format} string`;
    case 'not_multiple_of':
      return `expected a multiple of ${String(issue.divisor)}`;
    default:
      return `expected ${issue.message.replace(/^Invalid input:?\s*/i, '') || 'a valid value'}`;
  }
}

function article(t: string): string {
  if (t === 'int') return 'an integer';
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

function getPath(v: unknown, path: PropertyKey[]): unknown {
  let cur: unknown = v;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[p];
  }
  return cur;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v) && !ArrayBuffer.isView(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

export { z };
