import { InvalidAddressError } from './errors.js';

/**
 * Topic names and subscription patterns, with the same rules as NATS subjects so a future NATS
 * transport can carry them unchanged:
 *
 * - a topic is dot-separated tokens read from general to specific: `md.ticker.binance.BTC/USDT`;
 *   a token is any non-empty run of characters other than `.`, whitespace, `*` and `>`;
 * - in a pattern, `*` matches exactly one token (`md.ticker.*.BTC/USDT`);
 * - `>` matches one or more trailing tokens and may only be the last token (`md.>` matches
 *   `md.ticker.binance.BTC/USDT` but not `md`).
 *
 * The {@link TopicTrie} resolves a topic to its subscribers by walking the pattern trie, and
 * caches the answer per topic until the subscriptions change, so a hot publish is one Map lookup.
 */

const TOKEN_RE = /^[^\s.*>]+$/;

/** Throws {@link InvalidAddressError} unless `topic` is a valid concrete topic (no wildcards). */
export function assertTopic(topic: unknown, kind: 'topic' | 'address' = 'topic'): asserts topic is string {
  if (typeof topic !== 'string' || topic.length === 0) throw new InvalidAddressError(kind, topic, 'a non-empty dot-separated string');
  for (const t of topic.split('.')) {
    if (!TOKEN_RE.test(t)) throw new InvalidAddressError(kind, topic, 'non-empty tokens without whitespace, "*" or ">"');
  }
}

/** Throws {@link InvalidAddressError} unless `pattern` is a valid subscription pattern. */
export function assertPattern(pattern: unknown): asserts pattern is string {
  if (typeof pattern !== 'string' || pattern.length === 0) throw new InvalidAddressError('pattern', pattern, 'a non-empty dot-separated string');
  const tokens = pattern.split('.');
  tokens.forEach((t, i) => {
    if (t === '*') return;
    if (t === '>') {
      if (i !== tokens.length - 1) throw new InvalidAddressError('pattern', pattern, '">" only as the last token');
      return;
    }
    if (!TOKEN_RE.test(t)) throw new InvalidAddressError('pattern', pattern, 'tokens that are "*", ">" or non-empty without whitespace');
  });
}

/** True when `topic` matches `pattern` under the rules above (reference implementation, no cache). */
export function topicMatches(pattern: string, topic: string): boolean {
  const p = pattern.split('.');
  const t = topic.split('.');
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]!;
    if (pi === '>') return t.length > i;
    if (i >= t.length) return false;
    if (pi !== '*' && pi !== t[i]) return false;
  }
  return p.length === t.length;
}

interface Node<T> {
  children: Map<string, Node<T>>;
  /** Values subscribed with a pattern that ends at this node. */
  here: Set<T>;
  /** Values subscribed with a pattern whose next (last) token is `>`. */
  rest: Set<T>;
}

function node<T>(): Node<T> {
  return { children: new Map(), here: new Set(), rest: new Set() };
}

/** Subscription trie mapping patterns to values (actor addresses), with a per-topic result cache. */
export class TopicTrie<T> {
  private readonly root: Node<T> = node();
  private readonly cache = new Map<string, readonly T[]>();
  private readonly maxCache: number;
  private count = 0;

  /** @param maxCache cached topics kept before the cache is cleared (bounds memory for unbounded topic sets) */
  constructor(maxCache = 65_536) {
    this.maxCache = maxCache;
  }

  /** Number of (pattern, value) subscriptions. */
  get size(): number {
    return this.count;
  }

  /** Adds `value` under `pattern`; returns false if it was already there. */
  add(pattern: string, value: T): boolean {
    assertPattern(pattern);
    let n = this.root;
    const tokens = pattern.split('.');
    for (let i = 0; i < tokens.length; i++) {
      const tok = tokens[i]!;
      if (tok === '>') {
        if (n.rest.has(value)) return false;
        n.rest.add(value);
        this.changed(1);
        return true;
      }
      let c = n.children.get(tok);
      if (c === undefined) {
        c = node();
        n.children.set(tok, c);
      }
      n = c;
    }
    if (n.here.has(value)) return false;
    n.here.add(value);
    this.changed(1);
    return true;
  }

  /** Removes `value` from `pattern`; returns false if it was not there. */
  remove(pattern: string, value: T): boolean {
    assertPattern(pattern);
    let n: Node<T> | undefined = this.root;
    const tokens = pattern.split('.');
    for (let i = 0; i < tokens.length && n !== undefined; i++) {
      const tok = tokens[i]!;
      if (tok === '>') {
        const ok = n.rest.delete(value);
        if (ok) this.changed(-1);
        return ok;
      }
      n = n.children.get(tok);
    }
    if (n === undefined || !n.here.delete(value)) return false;
    this.changed(-1);
    return true;
  }

  /** Removes `value` from every pattern (an actor that stops). Returns how many were removed. */
  removeValue(value: T): number {
    let removed = 0;
    const walk = (n: Node<T>): void => {
      if (n.here.delete(value)) removed++;
      if (n.rest.delete(value)) removed++;
      for (const c of n.children.values()) walk(c);
    };
    walk(this.root);
    if (removed > 0) this.changed(-removed);
    return removed;
  }

  /**
   * Values subscribed to a pattern matching `topic`, each once, in a stable order (trie walk:
   * literal tokens before `*`, then `>`; insertion order within a node). The returned array is
   * shared and must not be modified. Throws {@link InvalidAddressError} for a malformed topic.
   */
  match(topic: string): readonly T[] {
    const hit = this.cache.get(topic);
    if (hit !== undefined) return hit;
    // Validated on a cache miss only: a hot publish on a known topic pays one Map lookup.
    assertTopic(topic);
    const out = new Set<T>();
    this.collect(this.root, topic.split('.'), 0, out);
    const arr = Object.freeze([...out]);
    if (this.cache.size >= this.maxCache) this.cache.clear();
    this.cache.set(topic, arr);
    return arr;
  }

  private collect(n: Node<T>, tokens: string[], i: number, out: Set<T>): void {
    if (i === tokens.length) {
      for (const v of n.here) out.add(v);
      return;
    }
    const lit = n.children.get(tokens[i]!);
    if (lit !== undefined) this.collect(lit, tokens, i + 1, out);
    const star = n.children.get('*');
    if (star !== undefined) this.collect(star, tokens, i + 1, out);
    for (const v of n.rest) out.add(v);
  }

  private changed(delta: number): void {
    this.count += delta;
    this.cache.clear();
  }
}
