import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OrderDenied, OrderFill, OrderSubmit, OrderUpdate, SubmitAck } from '../../../actors/messages.js';
import type { Instrument } from '../../../actors/orders/instrument.js';
import { ActorSystem } from '../../../actors/runtime/index.js';
import { spawnStrategy, type StrategyHandle } from '../../../actors/strategy/index.js';
import { NatsRemoteTransport } from '../../../cluster/index.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../simulators/index.js';
import { startNatsServer, type NatsServerHandle } from '../../fixtures/nats/nats-server.js';
import createPing from '../../fixtures/strategy/ping-strategy.js';

// A strategy on node A (this process) trades through the risk gate and the venue actor of node B
// (a child process running the engine pieces against the simulator): its order.submit crosses
// NATS to node-b/risk, which forwards to exchange.sim-a; the venue's order.update and order.fill
// (topics orders.ping, fills.ping) cross back to the strategy.
const ENGINE_NODE = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/cluster/engine-node.ts');

async function until(check: () => boolean, what: () => string, ms = 30_000): Promise<void> {
  for (let i = 0; i < ms / 50; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what()}`);
}

describe('cluster: a strategy on node A trading through the venue actor on node B (real NATS, simulator, ccxt)', function () {
  this.timeout(120_000);
  let server: NatsServerHandle;
  let sim: Simulator;
  let child: ChildProcess | undefined;
  let dir: string;
  let system: ActorSystem;
  let transport: NatsRemoteTransport;
  let strategy: StrategyHandle | undefined;
  let log = '';

  before(async () => {
    server = await startNatsServer();
    sim = await Simulator.start({ venues: 1, seed: 11, port: 0 });
    dir = mkdtempSync(path.join(tmpdir(), 'bot4-remote-engine-'));
    const venues = sim.venues.map((v) => ({ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET }));
    const c = spawn(process.execPath, ['--import', 'tsx', ENGINE_NODE, server.url, dir, JSON.stringify(venues)], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, BOT4_LOG_LEVEL: 'error' } });
    child = c;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`engine node not ready:\n${log}`)), 60_000);
      c.stdout!.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      c.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      c.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`engine node exited (${code}):\n${log}`));
      });
    });
    system = new ActorSystem({ name: 'node-a' });
    // routes: the strategy host cancels through `exchange.<venue>` (no node in it): node-b serves it
    transport = await NatsRemoteTransport.start(system, { node: 'node-a', servers: server.url, importTopics: ['orders.>', 'fills.>', 'md.ticker.>'], routes: { 'exchange.sim-a': 'node-b' } });
  });

  after(async () => {
    strategy?.stop();
    await transport?.close().catch(() => undefined);
    await system?.shutdown();
    if (child !== undefined && child.exitCode === null) {
      const c = child;
      await new Promise<void>((r) => {
        const hard = setTimeout(() => c.kill('SIGKILL'), 10_000);
        c.once('exit', () => { clearTimeout(hard); r(); });
        c.kill('SIGTERM');
      });
    }
    await sim?.stop();
    await server?.dispose();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('orders reach the venue remotely; acks and fills come back to the strategy', async () => {
    const instruments = await system.ask<Instrument[]>('node-b/cluster.instruments', { type: 'instruments.get' }, { timeoutMs: 10_000 });
    assert.ok(instruments.some((i) => i.venue === 'sim-a' && i.symbol === 'BTC/USDT'), JSON.stringify(instruments));
    const updates: OrderUpdate[] = [];
    const fills: OrderFill[] = [];
    const denied: OrderDenied[] = [];
    const ping = createPing({ qtyLots: 20, offsetTicks: 0 });
    const spy = {
      ...ping,
      onOrderUpdate: (u: OrderUpdate, ctx: Parameters<NonNullable<typeof ping.onOrderUpdate>>[1]) => {
        updates.push(u);
        ping.onOrderUpdate?.(u, ctx);
      },
      onFill: (f: OrderFill) => void fills.push(f),
      onDenied: (d: OrderDenied) => void denied.push(d),
    };
    strategy = spawnStrategy(system, { id: 'ping', kind: 'ping', instruments: ['sim-a:BTC/USDT'] }, spy, { clock: system.clock, instruments, riskAddress: 'node-b/risk' });
    const seen = async (): Promise<string> => JSON.stringify(await system.ask('node-b/cluster.seen', { type: 'seen.get' }).catch((e: Error) => e.message));
    try {
      await until(() => fills.length > 0 && updates.some((u) => u.state === 'filled' || u.state === 'partially-filled'), () => `a fill back on node A (updates: ${JSON.stringify(updates.map((u) => u.state))}, denied: ${JSON.stringify(denied.map((d) => d.code))}, transport: ${JSON.stringify(transport.stats())})`);
    } catch (e) {
      throw new Error(`${(e as Error).message}; node B saw: ${await seen()}`, { cause: e });
    }
    const f = fills[0]!;
    assert.equal(f.strategy, 'ping');
    assert.equal(f.venue, 'sim-a');
    // the order is in node B's journal and on the venue's ledger under the same client order id
    const state = await system.ask<string | null>('node-b/cluster.order-state', { type: 'get', payload: f.clientOrderId });
    assert.ok(state === 'filled' || state === 'partially-filled', `journal state on node B: ${state}`);
    assert.ok(sim.ledger('sim-a', `user:${DEMO_API_KEY}`).orders.some((o) => o.clientOrderId === f.clientOrderId), 'on the venue ledger');
    assert.equal(transport.stats().failed, 0);
  });

  it('ask order.submit to node-b/risk: the venue actor’s ack (forwarded on node B) or the risk denial comes back as the reply', async () => {
    const intent = { strategy: 'ping', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy' as const, type: 'limit' as const, tif: 'GTC' as const, priceTicks: 5_000_000, qtyLots: 20 };
    const ok = await system.ask<SubmitAck>('node-b/risk', { type: 'order.submit', payload: { intent } satisfies OrderSubmit }, { timeoutMs: 10_000 });
    assert.equal(ok.accepted, true, JSON.stringify(ok));
    await until(() => sim.ledger('sim-a', `user:${DEMO_API_KEY}`).orders.some((o) => o.clientOrderId === ok.clientOrderId), () => `${ok.clientOrderId} on the venue ledger`);
    // a cancel to the plain venue address (what a strategy's ctx.cancel sends) reaches node B by the route
    system.send('exchange.sim-a', { type: 'order.cancel', payload: { clientOrderId: ok.clientOrderId! }, lane: 'control' });
    await until(() => sim.ledger('sim-a', `user:${DEMO_API_KEY}`).orders.some((o) => o.clientOrderId === ok.clientOrderId && o.status === 'CANCELED'), () => `${ok.clientOrderId} canceled on the venue`);
    const no = await system.ask<SubmitAck>('node-b/risk', { type: 'order.submit', payload: { intent: { ...intent, qtyLots: 1 } } satisfies OrderSubmit }, { timeoutMs: 10_000 });
    assert.deepEqual([no.accepted, no.reason], [false, 'RISK_NOTIONAL_MIN']);
  });
});
