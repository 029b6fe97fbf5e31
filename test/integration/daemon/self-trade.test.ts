import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { TestClient, TOKENS } from '../../fixtures/gateway/ws-client.js';
import { startDaemon, stopDaemon, until, type DaemonChild } from './harness.js';

interface FillEvent {
  orderId: string;
  strategy: string;
  venue: string;
  symbol: string;
  side: 'buy' | 'sell';
  tradeId?: string;
}

describe('daemon: the demo strategies no longer trade with each other (RISK_SELF_TRADE)', function () {
  this.timeout(180_000);
  let d: DaemonChild | undefined;
  let watcher: TestClient | undefined;

  after(async () => {
    watcher?.close();
    if (d !== undefined) {
      await stopDaemon(d);
      rmSync(d.dir, { recursive: true, force: true });
    }
  });

  it('the default config runs: our own crossing orders are denied and no trade id shows up on both sides of our fills', async () => {
    d = await startDaemon('{}\n');
    watcher = await TestClient.connect(d.urls.api!, { headers: { authorization: `Bearer ${TOKENS.read}` } });
    assert.equal((await watcher.request('subscribe', { topics: ['fills', 'risk.denials'] })).ok, true);
    const fills = (): FillEvent[] => watcher!.messages.filter((m) => m.topic === 'fills').map((m) => m.data as FillEvent);
    const selfTradeDenials = (): number => watcher!.messages.filter((m) => m.topic === 'risk.denials' && (m.data as { code: string; source: string }).code === 'RISK_SELF_TRADE' && (m.data as { source: string }).source === 'risk').length;
    // long enough that the pairs strategy has taken liquidity on sim-a while the market maker quotes there
    await until(() => selfTradeDenials() > 0 && fills().length >= 20, 150_000, 'fills and at least one RISK_SELF_TRADE denial');
    const sides = new Map<string, Set<string>>();
    for (const f of fills()) {
      if (f.tradeId === undefined) continue;
      const k = `${f.venue}:${f.symbol}:${f.tradeId}`;
      let s = sides.get(k);
      if (s === undefined) sides.set(k, (s = new Set()));
      s.add(f.side);
    }
    const wash = [...sides].filter(([, s]) => s.size > 1).map(([k]) => k);
    assert.deepEqual(wash, [], 'trades where we were buyer and seller');
  });
});
