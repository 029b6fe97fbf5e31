import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InvalidAddressError, TopicTrie, assertPattern, assertTopic, topicMatches } from '../../../../actors/runtime/index.js';

describe('runtime/topics', () => {
  it('* matches one token, > one or more trailing tokens', () => {
    assert.ok(topicMatches('md.ticker.*.BTC/USDT', 'md.ticker.binance.BTC/USDT'));
    assert.ok(!topicMatches('md.ticker.*.BTC/USDT', 'md.ticker.binance.ETH/USDT'));
    assert.ok(!topicMatches('md.ticker.*', 'md.ticker.binance.BTC/USDT'));
    assert.ok(topicMatches('md.>', 'md.ticker.binance.BTC/USDT'));
    assert.ok(!topicMatches('md.>', 'md'));
    assert.ok(topicMatches('md.ticker', 'md.ticker'));
    assert.ok(!topicMatches('md.ticker', 'md.ticker.x'));
  });

  it('rejects malformed topics and patterns with InvalidAddressError', () => {
    for (const bad of ['', 'a..b', 'a.*', 'a b', 'a.>']) assert.throws(() => assertTopic(bad), InvalidAddressError, bad);
    for (const bad of ['', 'a.>.b', 'a..b', 'a.b c']) assert.throws(() => assertPattern(bad), InvalidAddressError, bad);
    assert.throws(() => new TopicTrie().match('a..b'), InvalidAddressError);
  });

  it('the trie agrees with the reference matcher (property)', () => {
    const token = fc.constantFrom('a', 'b', 'c');
    const ptoken = fc.constantFrom('a', 'b', '*');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(ptoken, { minLength: 1, maxLength: 3 }), fc.boolean()), { maxLength: 6 }),
        fc.array(token, { minLength: 1, maxLength: 4 }),
        (pats, topicTokens) => {
          const trie = new TopicTrie<string>();
          const patterns = pats.map(([t, rest]) => (rest ? [...t, '>'] : t).join('.'));
          patterns.forEach((p, i) => trie.add(p, `s${i}`));
          const topic = topicTokens.join('.');
          const expected = patterns.flatMap((p, i) => (topicMatches(p, topic) ? [`s${i}`] : [])).sort();
          assert.deepEqual([...trie.match(topic)].sort(), expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('dedupes a value matched by several patterns, and forgets removed ones (cache invalidated)', () => {
    const t = new TopicTrie<string>();
    t.add('md.>', 'gw');
    t.add('md.ticker.*.BTC/USDT', 'gw');
    t.add('md.ticker.*.BTC/USDT', 'mm');
    assert.deepEqual([...t.match('md.ticker.binance.BTC/USDT')].sort(), ['gw', 'mm']);
    assert.equal(t.remove('md.ticker.*.BTC/USDT', 'mm'), true);
    assert.deepEqual(t.match('md.ticker.binance.BTC/USDT'), ['gw']);
    assert.equal(t.removeValue('gw'), 2);
    assert.deepEqual(t.match('md.ticker.binance.BTC/USDT'), []);
    assert.equal(t.size, 0);
  });
});
