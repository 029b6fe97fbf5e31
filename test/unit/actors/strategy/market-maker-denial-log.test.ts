import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createMarketMaker } from '../../../../actors/strategy/index.js';
import { BTC, Harness } from './helpers.js';

/*
 * The demo's market maker quoting into a spent venue budget: denied VENUE_RATE_LIMITED over and
 * over. Its log has one `quote denied` line per code per 10 s with a count, not one per denial.
 */
describe('strategy/market-maker: repeated denials are one log line per code per interval', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('120 denials over 60 s (two codes) make a handful of counted lines that add up', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    });
    const logger = pino({ level: 'info' }, sink);
    h = new Harness({ id: 'mm-1', kind: 'market-maker', instruments: ['sim-a:BTC/USDT'] }, createMarketMaker({ halfSpreadTicks: 5, requoteMs: 1000, denyBackoffMs: 0 }), { logger });
    h.ticker(BTC, 1000, 1010);
    let denials = 0;
    for (let i = 0; i < 120; i++) {
      // Deny whatever quote is pending (the venue actor would: its budget is spent).
      const pending = h.submits.slice(-2);
      for (const s of pending) {
        h.sys.publish('orders.mm-1', { type: 'order.denied', payload: { source: 'venue', intent: s.intent, code: i % 4 === 0 ? 'RISK_RATE_LIMIT' : 'VENUE_RATE_LIMITED', detail: 'budget spent', tNs: h.clock.nowNs() } });
        h.clock.advance(0);
      }
      denials += pending.length;
      h.clock.advance(500);
      h.ticker(BTC, 1000, 1010);
    }
    const quoteDenied = lines.filter((l) => l.msg === 'quote denied');
    const counted = quoteDenied.reduce((n, l) => n + (l.count as number), 0);
    assert.ok(quoteDenied.length <= 2 * (60 / 10 + 1) + 2, `${quoteDenied.length} lines for ${denials} denials`);
    assert.ok(quoteDenied.length >= 4, `${quoteDenied.length} lines`);
    assert.deepEqual([...new Set(quoteDenied.map((l) => l.code))].sort(), ['RISK_RATE_LIMIT', 'VENUE_RATE_LIMITED']);
    // Every denial is in a line (those of the last, unfinished interval come on stop).
    h.handle.stop();
    h.clock.advance(0);
    const all = lines.filter((l) => l.msg === 'quote denied').reduce((n, l) => n + (l.count as number), 0);
    assert.ok(all > counted, 'the unfinished interval is reported on stop');
    assert.equal(all, denials, 'every denial is counted exactly once');
  });
});
