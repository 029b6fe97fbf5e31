import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LiveClock } from '../../../common/clock.js';
import { SeededRandom } from '../../../common/random.js';
import { OrderJournal } from '../../../actors/journal/order-journal.js';
import { DEMO_API_KEY, DEMO_API_SECRET, Simulator } from '../../../simulators/index.js';
import { checkLedger, userAccount } from '../../../chaos/ledger-check/ledger-check.js';
import { assetDecimals, venueInstruments, waitFor } from '../../fixtures/exchange/harness.js';

const CHILD = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../fixtures/engine/engine-child.ts');

function run(dir: string, venues: string, mode: string): { child: ChildProcess; line: Promise<string>; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, venues, mode], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BOT4_LOG_LEVEL: 'error' } });
  let out = '';
  let err = '';
  const line = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const l = out.split('\n').find((x) => x.startsWith('READY') || x.startsWith('SETTLED'));
      if (l !== undefined) resolve(l);
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => reject(new Error(`engine child exited ${code} before its ready line: ${err.slice(-2000)}`)));
  });
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, line, exit };
}

describe('engine process SIGKILLed mid-flow and restarted: the ledger check passes', function () {
  this.timeout(300_000);
  let sim: Simulator;
  let dir: string;

  before(async () => {
    sim = await Simulator.start({ venues: 2, seed: 21, port: 0 });
    dir = mkdtempSync(path.join(tmpdir(), 'bot4-crash-'));
  });
  after(async () => {
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('5 SIGKILLs at random points, then a settling restart: 0 lost, 0 phantom, 0 duplicate, fills and balances equal', async () => {
    const venues = JSON.stringify(sim.venues.map((v) => ({ name: v.name, rest: v.rest, ws: v.ws, wsApi: v.wsApi, apiKey: DEMO_API_KEY, secret: DEMO_API_SECRET, timeoutMs: 1000 })));
    const rnd = new SeededRandom(5);
    const venueOrders = (): number => sim.venues.reduce((n, v) => n + sim.ledger(v.name, userAccount(DEMO_API_KEY)).orders.length, 0);
    for (let k = 0; k < 5; k++) {
      const r = run(dir, venues, 'trade');
      assert.equal(await r.line, 'READY');
      // Kill at a random point of the flow: once the venues got 3..27 more orders from this incarnation.
      const at = venueOrders() + 3 + rnd.int(25);
      await waitFor(() => venueOrders() >= at, 30_000, () => `${at} orders at the venues (have ${venueOrders()})`);
      r.child.kill('SIGKILL');
      await r.exit;
    }
    const s = run(dir, venues, 'settle');
    const settled = JSON.parse((await s.line).slice('SETTLED '.length)) as { left: string[] };
    assert.equal(await s.exit, 0);
    assert.deepEqual(settled.left, []);
    const clock = new LiveClock();
    const instruments = await venueInstruments(sim, clock, ['BTC/USDT']);
    const j = await OrderJournal.open({ dir, fsync: 'never' }, { clock, instruments, portfolio: { assetDecimals: assetDecimals(instruments) } });
    try {
      const orders = [...j.orders.values()];
      assert.ok(orders.length > 20, `orders flowed before the kills (${orders.length})`);
      const report = checkLedger(
        { orders: j.orders, portfolio: j.portfolio },
        sim.venues.map((v) => ({ venue: v.name, ledger: sim.ledger(v.name, userAccount(DEMO_API_KEY)), account: userAccount(DEMO_API_KEY) })),
        { instruments },
      );
      assert.deepEqual(report.anomalies, []);
      assert.equal(report.ok, true);
    } finally {
      await j.close();
    }
  });
});
