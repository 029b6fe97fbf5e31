import assert from 'node:assert/strict';
import type { MarketDataMessage } from '../../../gateway/engine-port.js';
import { FEED_LAG_MAX_VENUES, GatewayMetrics } from '../../../gateway/metrics.js';
import { formatPrometheus } from '../../../gateway/prometheus.js';
import { parsePrometheus } from '../../fixtures/gateway/prometheus-parser.js';

function record(venue: string, exchTsUs: number, recvNs: number): MarketDataMessage {
  return { kind: 'ticker', topic: `md.ticker.${venue}.BTC/USDT`, venue, symbol: 'BTC/USDT', seq: 1, exchTsUs, recvNs, bidPx: 1, bidQty: 1, askPx: 2, askQty: 1, px: 0, qty: 0, side: '', level: 0 };
}

describe('gateway/metrics GatewayMetrics feed ingest lag', () => {
  it('observes receive time (placed on the epoch) minus the exchange timestamp, per venue; skips records without one', async () => {
    const m = new GatewayMetrics();
    m.epochOffsetNs = 1_700_000_000_000 * 1e6; // wall ns at monotonic 0
    m.observeFeedLag(record('sim-a', 1_700_000_000_000_000, 3_000_000)); // 3 ms late
    m.observeFeedLag(record('sim-a', 1_700_000_000_000_000 + 10_000, 3_000_000)); // producer 7 ms ahead: counts as 0
    m.observeFeedLag(record('sim-b', 0, 3_000_000)); // no exchange timestamp
    const p = parsePrometheus(await formatPrometheus([], { metrics: m.promMetrics() }));
    const v = (name: string, labels: Record<string, string>): number | undefined => p.samples.find((s) => s.name === name && Object.entries(labels).every(([k, x]) => s.labels[k] === x))?.value;
    assert.equal(v('bot4_gateway_feed_ingest_lag_seconds_count', { venue: 'sim-a' }), 2);
    assert.equal(v('bot4_gateway_feed_ingest_lag_seconds_bucket', { venue: 'sim-a', le: '0.0001' }), 1);
    assert.equal(v('bot4_gateway_feed_ingest_lag_seconds_bucket', { venue: 'sim-a', le: '0.0025' }), 1);
    assert.equal(v('bot4_gateway_feed_ingest_lag_seconds_bucket', { venue: 'sim-a', le: '0.005' }), 2);
    assert.equal(v('bot4_gateway_feed_ingest_lag_seconds_count', { venue: 'sim-b' }), undefined);
  });

  it(`keeps at most ${FEED_LAG_MAX_VENUES} venue label values; further producer-named venues share venue="other"`, async () => {
    const m = new GatewayMetrics();
    for (let i = 0; i < FEED_LAG_MAX_VENUES + 10; i++) m.observeFeedLag(record(`v${i}`, 1, 1));
    m.observeFeedLag(record('v0', 1, 1)); // a known venue keeps its own series
    const p = parsePrometheus(await formatPrometheus([], { metrics: m.promMetrics() }));
    const counts = p.samples.filter((s) => s.name === 'bot4_gateway_feed_ingest_lag_seconds_count');
    assert.equal(counts.length, FEED_LAG_MAX_VENUES + 1);
    assert.equal(counts.find((s) => s.labels.venue === 'other')!.value, 10);
    assert.equal(counts.find((s) => s.labels.venue === 'v0')!.value, 2);
  });
});
