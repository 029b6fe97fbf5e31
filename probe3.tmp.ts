import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine } from './actors/engine/engine.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from './simulators/index.js';
const sim = await Simulator.start({ venues: 1, seed: 3, port: 0, participants: false, rateLimits: 'high' } as never);
const v = sim.venues[0]!;
const dir = mkdtempSync(path.join(tmpdir(), 'probe-'));
const engine = await Engine.start({ journal: { dir, fsync: 'never' }, venues: [{ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, timeoutMs: 5000, orderEntry: 'ws', actor: { reconcileEveryMs: 0, balanceSync: false, streams: false } }], symbols: ['BTC/USDT'], correlation: { enabled: false }, risk: { strategies: { bench: {} }, checks: { staleData: false, priceBand: false, correlation: false, rate: false, position: false, exposure: false, balance: false }, defaults: { instrument: { maxOpenOrders: 1_000_000 }, venue: { maxOpenOrders: 1_000_000 } }, portfolio: { maxOpenOrders: 1_000_000 } } } as never);
while (!engine.venuesSynced) await new Promise((r) => setTimeout(r, 5));
const ra = [...Object.values(engine as any)].find((x: any) => x && x.pending !== undefined && x.pendingHead !== undefined) as any;
let maxLive = 0;
const iv = setInterval(() => { maxLive = Math.max(maxLive, ra.pending.length - ra.pendingHead); }, 5);
const t0 = performance.now();
for (let round = 0; round < 10; round++) {
  const acks = [];
  for (let i = 0; i < 3000; i++) acks.push(engine.submit({ strategy: 'bench', venue: v.name, symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'IOC', priceTicks: 1000000 + round * 3000 + i, qtyLots: 1000 } as never).catch((e) => ({ accepted: false, reason: String(e) })));
  await Promise.all(acks);
}
console.log('ms', performance.now() - t0, 'maxLive', maxLive, 'pending', ra.pending.length, 'head', ra.pendingHead, 'open', ra.open.size);
clearInterval(iv);
await new Promise((r) => setTimeout(r, 1000));
console.log('after 1s pending', ra.pending.length, 'head', ra.pendingHead, 'open', ra.open.size);
await engine.stop(); await sim.stop();
