import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Ticker } from '../../../actors/messages.js';
import { TestClient, TOKENS } from '../../fixtures/gateway/ws-client.js';
import { startDaemon, stopDaemon, until, type DaemonChild } from './harness.js';

const auth = (token: string): { headers: Record<string, string> } => ({ headers: { authorization: `Bearer ${token}` } });

/** One sample of `/metrics` (0 when absent). */
async function metric(d: DaemonChild, name: string, labels: string): Promise<number> {
  const text = await (await fetch(d.urls.metrics!)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** `n` tickers of sim-a BTC/USDT around `mid` as a `/feed` frame. */
function frame(mid: number, n: number, seq0: number): string {
  const recs = [];
  for (let k = 0; k < n; k++) recs.push({ v: 1, type: 'ticker', venue: 'sim-a', symbol: 'BTC/USDT', seq: seq0 + k, tsUs: Date.now() * 1000, bidPx: mid - 10, bidQty: 3, askPx: mid + 10, askQty: 2 });
  return JSON.stringify(recs);
}

describe('daemon: a feed token cannot steer trading (real /feed socket)', function () {
  this.timeout(180_000);
  const started: DaemonChild[] = [];
  const clients: TestClient[] = [];
  after(async () => {
    for (const c of clients) c.close();
    for (const d of started) {
      await stopDaemon(d);
      rmSync(d.dir, { recursive: true, force: true });
    }
  });

  /** A daemon, a reader watching the venue's BTC ticker and mm-btc's orders, and a feed connection. */
  async function setupDaemon(yaml: string): Promise<{ d: DaemonChild; watcher: TestClient; feed: TestClient; mid: number }> {
    const d = await startDaemon(yaml);
    started.push(d);
    const watcher = await TestClient.connect(d.urls.api!, auth(TOKENS.read));
    clients.push(watcher);
    assert.equal((await watcher.request('subscribe', { topics: ['md.ticker.sim-a.BTC/USDT', 'orders'] })).ok, true);
    const t = (await watcher.waitFor((m) => m.topic === 'md.ticker.sim-a.BTC/USDT', 'a venue ticker', 30_000)).data as Ticker;
    const feed = await TestClient.connect(d.urls.feed!, auth(TOKENS.feed));
    clients.push(feed);
    return { d, watcher, feed, mid: Math.round((t.bidTicks + t.askTicks) / 2) };
  }

  it('default config: 90 tickers 20% below the venue are counted untrusted; no subscriber and no strategy order sees the price', async () => {
    const { d, watcher, feed, mid } = await setupDaemon('{}\n');
    const fake = Math.round(mid * 0.8);
    feed.sendRaw(frame(fake, 90, 1));
    await until(async () => (await metric(d, 'bot4_engine_md_total', 'outcome="untrusted"')) === 90, 30_000, '90 untrusted records counted');
    // the strategies keep quoting: wait for fresh mm-btc orders after the fake records
    const after0 = watcher.messages.length;
    await until(() => watcher.messages.slice(after0).filter((m) => m.topic === 'orders' && (m.data as { strategy: string }).strategy === 'mm-btc').length >= 5, 60_000, 'mm-btc quotes after the fake feed');
    const tickers = watcher.messages.filter((m) => m.topic === 'md.ticker.sim-a.BTC/USDT').map((m) => m.data as Ticker);
    assert.equal(tickers.filter((t) => t.bidTicks <= mid * 0.85).length, 0, 'a subscriber saw the fake price on the venue topic');
    const prices = watcher.messages.filter((m) => m.topic === 'orders').map((m) => (m.data as { priceTicks: number }).priceTicks);
    assert.equal(prices.filter((p) => p <= mid * 0.85).length, 0, `an order went out near the fake price ${fake}`);
    assert.equal(feed.messages.filter((m) => m.error !== undefined).length, 0, 'the records themselves were valid');
  });

  it('trusted producer: 20% off is rejected out of band (counter), 1% off is published to the venue topic', async () => {
    const yaml = "risk:\n  strategies: { mm-btc: {}, pairs-btc: {} }\n  feeds: { trusted: { 'sim-a:BTC/USDT': [feeder] }, bandBps: 500 }\n";
    const { d, watcher, feed, mid } = await setupDaemon(yaml);
    feed.sendRaw(frame(Math.round(mid * 0.8), 10, 1));
    await until(async () => (await metric(d, 'bot4_engine_md_total', 'outcome="out-of-band"')) === 10, 30_000, '10 out-of-band records counted');
    const near = Math.round(mid * 1.01);
    const published0 = await metric(d, 'bot4_engine_md_total', 'outcome="published"');
    feed.sendRaw(frame(near, 1, 11));
    await until(async () => (await metric(d, 'bot4_engine_md_total', 'outcome="published"')) === published0 + 1, 30_000, 'the in-band record published');
    await watcher.waitFor((m) => m.topic === 'md.ticker.sim-a.BTC/USDT' && (m.data as Ticker).source === 'feeder', 'the trusted ticker on the venue topic', 10_000);
  });
});
