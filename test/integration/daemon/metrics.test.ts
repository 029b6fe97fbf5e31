import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { TOKENS, TestClient } from '../../fixtures/gateway/ws-client.js';
import { parsePrometheus, type ParsedExposition } from '../../fixtures/gateway/prometheus-parser.js';
import { QUIET_YAML, ROOT, startDaemon, stopDaemon, until, type DaemonChild } from './harness.js';

const auth = (token: string): { headers: Record<string, string> } => ({ headers: { authorization: `Bearer ${token}` } });
const PROMTOOL = spawnSync('promtool', ['--version']).status === 0;
const OM_ACCEPT = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** The histogram families the issue asks for, with the label each one is split by ('' for none). */
const HISTOGRAMS: readonly [string, string][] = [
  ['bot4_actor_mailbox_wait_seconds', 'actor'],
  ['bot4_actor_handle_seconds', 'actor'],
  ['bot4_order_round_trip_seconds', 'venue'],
  ['bot4_risk_check_seconds', ''],
  ['bot4_journal_append_seconds', ''],
  ['bot4_gateway_feed_ingest_lag_seconds', 'venue'],
];

function promtool(args: string[], input?: string): { status: number | null; out: string } {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** `_count` of a histogram series (0 when absent). */
function count(p: ParsedExposition, family: string, labels: Record<string, string> = {}): number {
  const s = p.samples.find((x) => x.name === `${family}_count` && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value ?? 0;
}

describe('daemon /metrics: Prometheus histograms checked by promtool (child process, real gateway)', function () {
  this.timeout(180_000);
  let d: DaemonChild | undefined;
  const clients: TestClient[] = [];

  before(function () {
    // .ci/run installs the Debian package `prometheus` (promtool) before `npm test`
    if (!PROMTOOL) throw new Error('promtool not found: apt-get install -y prometheus (see .ci/run)');
  });
  after(async () => {
    for (const c of clients) c.close();
    if (d !== undefined) {
      await stopDaemon(d);
      rmSync(d.dir, { recursive: true, force: true });
    }
  });

  it('docs/examples/prometheus.yml passes promtool check config', () => {
    const r = promtool(['check', 'config', path.join(ROOT, 'docs/examples/prometheus.yml')]);
    assert.equal(r.status, 0, r.out);
  });

  it('after an API order fills: histogram families pass promtool check metrics, the round trip counted it, OpenMetrics on request', async () => {
    d = await startDaemon(QUIET_YAML);
    const admin = await TestClient.connect(d.urls.api!, auth(TOKENS.admin));
    clients.push(admin);
    assert.equal((await admin.request('subscribe', { topics: ['orders', 'md.ticker.sim-a.BTC/USDT'] })).ok, true);
    const t = (await admin.waitFor((m) => m.topic === 'md.ticker.sim-a.BTC/USDT', 'a sim-a BTC ticker', 30_000)).data as { bidTicks: number; askTicks: number };

    const before = parsePrometheus(await (await fetch(d.urls.metrics!)).text());
    const rt0 = count(before, 'bot4_order_round_trip_seconds', { venue: 'sim-a' });

    // one /feed record with an exchange timestamp: the ingest lag histogram observes it
    const feed = await TestClient.connect(d.urls.feed!, auth(TOKENS.feed));
    clients.push(feed);
    feed.sendRaw(JSON.stringify([{ v: 1, type: 'ticker', venue: 'sim-a', symbol: 'BTC/USDT', seq: 1, tsUs: Date.now() * 1000, bidPx: t.bidTicks, bidQty: 3, askPx: t.askTicks, askQty: 2 }]));

    const take = await admin.request('order.submit', { clientOrderId: 'prom-1', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'IOC', priceTicks: t.askTicks + 2000, qtyLots: 20 });
    const ack = take.result as { accepted: boolean; orderId: string };
    assert.equal(ack.accepted, true, JSON.stringify(take));
    await admin.waitFor((m) => m.topic === 'orders' && (m.data as { orderId: string; status: string }).orderId === ack.orderId && (m.data as { status: string }).status === 'filled', 'filled', 15_000);

    let text = '';
    await until(async () => {
      text = await (await fetch(d!.urls.metrics!)).text();
      const p = parsePrometheus(text);
      return count(p, 'bot4_order_round_trip_seconds', { venue: 'sim-a' }) > rt0 && count(p, 'bot4_gateway_feed_ingest_lag_seconds', { venue: 'sim-a' }) >= 1;
    }, 15_000, 'the filled order in the round-trip histogram and the feed record in the lag histogram');

    // promtool parses the live exposition (text format 0.0.4) and lints it
    const r = promtool(['check', 'metrics'], text);
    assert.equal(r.status, 0, `promtool check metrics:\n${r.out}`);

    const p = parsePrometheus(text);
    assert.equal(p.type.get('bot4_actor_wait_seconds_max'), 'gauge');
    for (const [family, label] of HISTOGRAMS) {
      assert.equal(p.type.get(family), 'histogram', `${family} is a histogram`);
      const own = p.samples.filter((s) => s.name.startsWith(`${family}_`));
      const idx = p.samples.map((s, i) => (own.includes(s) ? i : -1)).filter((i) => i >= 0);
      assert.ok(idx.length > 0, `${family} has samples`);
      assert.equal(idx[idx.length - 1]! - idx[0]! + 1, idx.length, `${family}'s samples are together`);
      assert.deepEqual([...new Set(own.map((s) => s.name.slice(family.length)))].sort(), ['_bucket', '_count', '_sum']);
      assert.ok(own.filter((s) => s.name.endsWith('_bucket')).every((s) => s.labels.le !== undefined));
      if (label !== '') assert.ok(own.every((s) => s.labels[label] !== undefined && s.labels[label] !== ''), `${family} samples carry ${label}`);
      assert.ok(own.some((s) => s.name === `${family}_count` && s.value > 0), `${family} counted something`);
    }
    assert.ok(count(p, 'bot4_actor_mailbox_wait_seconds', { actor: 'risk' }) >= 1);
    assert.ok(count(p, 'bot4_actor_handle_seconds', { actor: 'exchange.sim-a' }) >= 1);
    assert.ok(count(p, 'bot4_risk_check_seconds') >= 1);
    assert.ok(count(p, 'bot4_journal_append_seconds') >= 1);
    // `+Inf` bucket equals the count
    const inf = p.samples.find((s) => s.name === 'bot4_order_round_trip_seconds_bucket' && s.labels.venue === 'sim-a' && s.labels.le === '+Inf')!;
    assert.equal(inf.value, count(p, 'bot4_order_round_trip_seconds', { venue: 'sim-a' }));

    // OpenMetrics when the scraper asks for it (Prometheus' own Accept header)
    const om = await fetch(d.urls.metrics!, { headers: { accept: OM_ACCEPT } });
    assert.match(om.headers.get('content-type') ?? '', /^application\/openmetrics-text; version=1\.0\.0/);
    const omText = await om.text();
    assert.ok(omText.endsWith('# EOF\n'));
    assert.match(omText, /^# TYPE bot4_order_round_trip_seconds histogram$/m);
    assert.match(omText, /^# TYPE bot4_engine_orders_checked counter\nbot4_engine_orders_checked_total \d+$/m);
    const plain = await fetch(d.urls.metrics!);
    assert.match(plain.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);

    // every family served is documented (a table row in docs/ws-api.md, section Metrics)
    const docs = readFileSync(path.join(ROOT, 'docs/ws-api.md'), 'utf8');
    const undocumented = [...p.type.keys()].filter((f) => !docs.includes(`| \`${f}\` |`));
    assert.deepEqual(undocumented, [], 'families missing from docs/ws-api.md');
  });
});
