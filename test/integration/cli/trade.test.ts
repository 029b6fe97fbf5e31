import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { TOKENS } from '../../fixtures/gateway/ws-client.js';
import { BOT4, ROOT, runCli, startDaemon, stopDaemon, until, type DaemonChild } from '../daemon/harness.js';

/*
 * The trading CLI as a user types it (`node bin/bot4.js …`) against a real daemon with the embedded
 * simulator: decimal prices in and out, orders, cancels, strategies, instruments, events, equity,
 * and the typed errors of bad input. mm-btc quotes on sim-b so sim-a's order budget is the API's.
 */
const YAML = `# trading CLI test daemon
sim:
  venues: 2
  seed: 7
  profile: none
journal:
  dir: journal
  fsync: always
strategies:
  - { id: mm-btc, kind: market-maker, instruments: ['sim-b:BTC/USDT'], params: { qtyLots: 20, maxInventoryLots: 200, halfSpreadTicks: 50, requoteTicks: 20 } }
risk:
  defaults:
    instrument: { priceBandBps: 9000 }
  strategies:
    api: {}
    mm-btc: {}
shutdown:
  cancelOpenOrders: true
  timeoutMs: 20000
`;

interface Ins {
  venue: string;
  symbol: string;
  tickSize: string;
  lotSize: string;
  midTicks?: number;
}

describe('bot4 order | strategy | instruments | events | positions against a real daemon', function () {
  this.timeout(240_000);
  let d: DaemonChild | undefined;
  const followers: ChildProcess[] = [];
  const env = (token = TOKENS.admin): Record<string, string> => ({ BOT4_URL: d!.urls.api!, BOT4_TOKEN: token });
  const cli = (args: string[], token = TOKENS.admin): ReturnType<typeof runCli> => runCli(args, { env: env(token), timeoutMs: 60_000 });
  const ok = async (args: string[]): Promise<string> => {
    const r = await cli(args);
    assert.equal(r.code, 0, `bot4 ${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    d = await startDaemon(YAML);
    await until(async () => (await fetch(d!.urls.health!)).status === 200, 90_000, '/health 200');
    // both venues' BTC/USDT have a mid (equity and the risk reference need one)
    await until(async () => (JSON.parse(await ok(['instruments', '--json'])) as Ins[]).every((i) => i.midTicks !== undefined), 60_000, 'a mid on every instrument');
  });
  after(async () => {
    for (const f of followers) if (f.exitCode === null && f.signalCode === null) f.kill('SIGKILL');
    if (d !== undefined) {
      await stopDaemon(d);
      rmSync(d.dir, { recursive: true, force: true });
    }
  });

  it('bot4 instruments shows tick and lot size in decimals, --raw in lots and ticks', async () => {
    const t = await ok(['instruments']);
    assert.match(t, /^venue\s+symbol\s+base\s+quote\s+tick size\s+lot size\s+min qty\s+max qty\s+min notional\s+mid$/m);
    assert.match(t, /^sim-a\s+BTC\/USDT\s+BTC\s+USDT\s+0\.01\s+0\.00001\s+0\.00001\s+9000\.00000\s+5\S*\s+\d+\.\d{2}$/m);
    const r = await ok(['instruments', '--raw', '--venue', 'sim-b']);
    assert.match(r, /^sim-b\s+BTC\/USDT\s+0\.01\s+0\.00001\s+1\s+900000000\s+5\S*\s+\d+$/m);
    assert.doesNotMatch(r, /^sim-a/m);
  });

  it('submits a decimal limit order, shows it in bot4 orders (decimal and --raw), follows its event with bot4 events --json, cancels it', async () => {
    const follower = spawn(process.execPath, [BOT4, 'events', '--topic', 'orders', '--json'], { cwd: ROOT, env: { ...process.env, ...env(TOKENS.read), BOT4_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    followers.push(follower);
    let lines = '';
    let ferr = '';
    follower.stdout!.on('data', (b: Buffer) => (lines += b.toString()));
    follower.stderr!.on('data', (b: Buffer) => (ferr += b.toString()));
    // the follower is subscribed once it has seen any order event (mm-btc keeps quoting on sim-b)
    await until(() => lines.includes('"topic":"orders"'), 60_000, `the follower's first order event (stderr: ${ferr})`);

    const s = await ok(['order', 'submit', '--venue', 'sim-a', '--symbol', 'BTC/USDT', '--side', 'buy', '--type', 'limit', '--price', '30000.50', '--qty', '0.001', '--client-id', 'cli-t1']);
    const m = /^yes\s+(api\.\S+)\s+cli-t1\b/m.exec(s);
    assert.ok(m, s);
    const id = m[1]!;
    await until(async () => new RegExp(`^${id.replace(/\./g, '\\.')}\\s+cli-t1\\s+api\\s+sim-a\\s+BTC/USDT\\s+buy\\s+limit\\s+GTC\\s+accepted\\s+30000\\.50\\s+0\\.00100\\s+0\\.00000`, 'm').test(await ok(['orders', '--venue', 'sim-a'])), 30_000, 'the order accepted in bot4 orders (decimal)');
    assert.match(await ok(['orders', '--venue', 'sim-a', '--raw']), new RegExp(`^${id.replace(/\./g, '\\.')}\\s+cli-t1\\s+api\\s+sim-a\\s+BTC/USDT\\s+buy\\s+limit\\s+GTC\\s+accepted\\s+3000050\\s+100\\s+0\\s+-\\s+-$`, 'm'));

    // the follower printed this order's event as one JSON line
    await until(() => lines.split('\n').some((l) => l.includes(`"orderId":"${id}"`)), 20_000, 'the order event in bot4 events --json');
    const ev = JSON.parse(lines.split('\n').find((l) => l.includes(`"orderId":"${id}"`))!) as { topic: string; data: { venue: string; priceTicks: number; qtyLots: number } };
    assert.equal(ev.topic, 'orders');
    assert.deepEqual([ev.data.venue, ev.data.priceTicks, ev.data.qtyLots], ['sim-a', 3000050, 100]);
    follower.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => (follower.exitCode !== null ? resolve(follower.exitCode) : follower.once('exit', (c) => resolve(c))));
    assert.equal(code, 0, `events exits 0 on SIGTERM; stderr: ${ferr}`);

    const c = await ok(['order', 'cancel', id]);
    assert.match(c, new RegExp(`^yes\\s+${id.replace(/\./g, '\\.')}`, 'm'));
    await until(async () => !(await ok(['orders', '--venue', 'sim-a'])).includes(id), 30_000, 'the canceled order leaves the open orders');
    const again = await cli(['order', 'cancel', '--client-id', 'cli-t1']);
    assert.equal(again.code, 1, again.stderr);
    assert.match(again.stdout, /^no\s+api\.\S+\s+ORDER_CLOSED$/m);
  });

  it('cancel-all cancels every open API order of a venue', async () => {
    for (const [i, px] of ['30000.01', '30000.02'].entries()) await ok(['order', 'submit', '--venue', 'sim-a', '--symbol', 'BTC/USDT', '--side', 'buy', '--price', px, '--qty', '0.0005', '--client-id', `cli-all-${i}`]);
    await until(async () => (JSON.parse(await ok(['orders', '--venue', 'sim-a', '--json'])) as { status: string; clientOrderId?: string }[]).filter((o) => o.status === 'accepted' && o.clientOrderId?.startsWith('cli-all-') === true).length === 2, 30_000, 'two accepted orders on sim-a');
    assert.match(await ok(['order', 'cancel-all', '--venue', 'sim-a']), /^cancel requests\n-+\n\s*[2-9]$/m);
    await until(async () => (await ok(['orders', '--venue', 'sim-a'])).trim() === '(no orders)', 30_000, 'no open orders on sim-a');
  });

  it('a market order without --price is sent without priceTicks and accepted (the engine takes the last mid as its risk reference)', async () => {
    const s = await ok(['order', 'submit', '--venue', 'sim-a', '--symbol', 'BTC/USDT', '--side', 'sell', '--type', 'market', '--qty', '0.0001', '--client-id', 'cli-mkt']);
    assert.match(s, /^yes\s+api\.\S+\s+cli-mkt\b/m);
    await until(async () => (JSON.parse(await ok(['orders', '--status', 'all', '--venue', 'sim-a', '--json'])) as { clientOrderId?: string; type: string; qtyLots: number }[]).some((o) => o.clientOrderId === 'cli-mkt' && o.type === 'market' && o.qtyLots === 10), 20_000, 'the market order in bot4 orders');
  });

  it('business refusals exit 1 with their reason: an order under a hosted strategy, a cancel of an unknown order', async () => {
    const r = await cli(['order', 'submit', '--venue', 'sim-a', '--symbol', 'BTC/USDT', '--side', 'buy', '--price', '30000', '--qty', '0.001', '--strategy', 'mm-btc']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^no\s+-\s+-\s+API_STRATEGY_HOSTED\s+strategy mm-btc is run by the engine/m);
    const j = await cli(['order', 'submit', '--venue', 'sim-a', '--symbol', 'BTC/USDT', '--side', 'buy', '--price', '30000', '--qty', '0.001', '--strategy', 'mm-btc', '--json']);
    assert.equal(j.code, 1);
    assert.equal((JSON.parse(j.stdout) as { reason: string }).reason, 'API_STRATEGY_HOSTED');
    const c = await cli(['order', 'cancel', 'api.nope.1']);
    assert.equal(c.code, 1, c.stderr);
    assert.match(c.stdout, /^no\s+api\.nope\.1\s+UNKNOWN_ORDER$/m);
    const t = await cli(['order', 'cancel-all'], TOKENS.read);
    assert.equal(t.code, 2);
    assert.match(t.stderr, /^bot4: B4_CLI_REQUEST: order\.cancelAll: GW_FORBIDDEN: /m);
  });

  it('strategy list | stop | start; an unknown strategy exits 1, a read token is forbidden', async () => {
    assert.match(await ok(['strategy', 'list']), /^strategy\s+mode\s+lifecycle$/m);
    assert.match(await ok(['strategy', 'list']), /^mm-btc\s+running\s+running$/m);
    assert.match(await ok(['strategy', 'stop', 'mm-btc']), /^mm-btc\s+yes\s+paused\s+-$/m);
    await until(async () => /^mm-btc\s+paused\s+running$/m.test(await ok(['strategy', 'list'])), 20_000, 'mm-btc paused in bot4 strategy list');
    assert.match(await ok(['strategy', 'start', 'mm-btc']), /^mm-btc\s+yes\s+running\s+-$/m);
    await until(async () => /^mm-btc\s+running\s+running$/m.test(await ok(['strategy', 'list'])), 20_000, 'mm-btc running again');
    const u = await cli(['strategy', 'stop', 'nope']);
    assert.equal(u.code, 1, u.stderr);
    assert.match(u.stdout, /^nope\s+no\s+unknown\s+UNKNOWN_STRATEGY$/m);
    const f = await cli(['strategy', 'stop', 'mm-btc'], TOKENS.read);
    assert.equal(f.code, 2);
    assert.match(f.stderr, /^bot4: B4_CLI_REQUEST: strategy\.stop: GW_FORBIDDEN: /m);
  });

  it('bot4 positions ends with total equity and PnL in USDT; its JSON totals add up from balances × mid', async () => {
    const t = await ok(['positions']);
    assert.match(t, /^total\s+equity\s+realized PnL\s+unrealized PnL\s+PnL\s+not valued \(no mid\)$/m);
    assert.match(t, /^USDT\s+\d+\.\d+\s+-?\d+(\.\d+)?\s+-?\d+(\.\d+)?\s+-?\d+(\.\d+)?$/m);
    const j = JSON.parse(await ok(['positions', '--json'])) as { balances: { venue: string; asset: string; total: string }[]; totals: { quote: string; equity: string; unvalued: string[] }[] };
    const ins = JSON.parse(await ok(['instruments', '--json'])) as (Ins & { base: string })[];
    // recompute in units of 1e-12 USDT: balances have 8 decimals, mids 2 (ticks of 0.01) or 4 (LUNA/UST)
    const units = (s: string, d: number): bigint => {
      const [i, f = ''] = s.split('.');
      return BigInt(i! + f.padEnd(d, '0').slice(0, d));
    };
    let want = 0n;
    for (const b of j.balances) {
      if (b.asset === 'USDT') want += units(b.total, 12);
      else {
        const i = ins.find((x) => x.venue === b.venue && x.base === b.asset)!;
        want += (units(b.total, 8) * BigInt(i.midTicks!) * units(i.tickSize, 4)); // 1e-8 × 1e-4 → 1e-12
      }
    }
    const total = j.totals.find((x) => x.quote === 'USDT')!;
    assert.deepEqual(total.unvalued, []);
    const got = units(total.equity, 12);
    // the mids may move between the two requests: within 1 % (a wrong formula is off by far more)
    const diff = got > want ? got - want : want - got;
    assert.ok(diff * 100n < want, `equity ${total.equity} vs recomputed ${want} (1e-12 USDT)`);
  });

  it('bad input exits 2 with B4_CONFIG_INVALID naming the option, the tick or lot, and what arrived', async () => {
    const apiOrders = async (): Promise<number> => (JSON.parse(await ok(['orders', '--status', 'all', '--strategy', 'api', '--limit', '1000', '--json'])) as unknown[]).length;
    const before = await apiOrders();
    const base = ['order', 'submit', '--venue', 'sim-a', '--symbol', 'BTC/USDT', '--side', 'buy'];
    const cases: [string[], RegExp][] = [
      [[...base, '--price', '30000.505', '--qty', '0.001'], /^bot4: B4_CONFIG_INVALID: --price: expected a multiple of the tick size 0\.01 of sim-a BTC\/USDT, got "30000\.505"$/m],
      [[...base, '--price', '3e4', '--qty', '0.001'], /^bot4: B4_CONFIG_INVALID: --price: expected a positive decimal number like 65000\.5 \(digits and at most one '\.'\), got "3e4"$/m],
      [[...base, '--price', '30000', '--qty', '0.000001'], /^bot4: B4_CONFIG_INVALID: --qty: expected a multiple of the lot size 0\.00001 of sim-a BTC\/USDT, got "0\.000001"$/m],
      [[...base, '--price', '30000', '--qty', '-1'], /^bot4: B4_CONFIG_INVALID: --qty: expected a positive decimal number/m],
      [['order', 'submit', '--venue', 'sim-z', '--symbol', 'BTC/USDT', '--side', 'buy', '--price', '30000', '--qty', '0.001'], /^bot4: B4_CONFIG_INVALID: --venue: expected a venue the daemon trades \(sim-a, sim-b\), got "sim-z"$/m],
      [['order', 'submit', '--venue', 'sim-a', '--symbol', 'DOGE/USDT', '--side', 'buy', '--price', '1', '--qty', '1'], /^bot4: B4_CONFIG_INVALID: --symbol: expected a symbol traded on sim-a \([^)]*BTC\/USDT[^)]*\), got "DOGE\/USDT"$/m],
      [[...base, '--price', '30000'], /^bot4: B4_CONFIG_INVALID: --qty: expected a string, got undefined$/m],
      [[...base, '--qty', '0.001'], /^bot4: B4_CONFIG_INVALID: --price: expected a price for a limit order \(only market orders may omit it\), got undefined$/m],
      [[...base, '--side', 'hold', '--price', '30000', '--qty', '0.001'], /^bot4: B4_CONFIG_INVALID: --side: expected one of "buy", "sell", got "hold"$/m],
      [[...base, '--raw', '--price', '30000.5', '--qty', '100'], /^bot4: B4_CONFIG_INVALID: --price: expected a whole number of ticks \(1\.\.2\^53-1\) with --raw, got "30000\.5"$/m],
      [['events', '--topic', 'nope'], /^bot4: B4_CONFIG_INVALID: --topic: expected a known topic .*got "nope"$/m],
      [['order', 'cancel'], /^bot4: B4_CONFIG_INVALID: orderId: expected an order id argument or --client-id \(exactly one\), got neither$/m],
    ];
    for (const [args, re] of cases) {
      const r = await cli(args);
      assert.equal(r.code, 2, `bot4 ${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
      assert.match(r.stderr, re, args.join(' '));
      assert.equal(r.stdout, '', 'nothing printed on stdout');
    }
    assert.equal(await apiOrders(), before, 'no refused command reached the engine');
  });

  it('every command of the docs/cli.md trading session runs exactly as written (npx bot4 → node bin/bot4.js)', async () => {
    const doc = readFileSync(path.join(ROOT, 'docs/cli.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Trading: '), doc.indexOf('## `bot4 chaos`'));
    const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
    const lines = block.split('\n').filter((l) => l.startsWith('npx bot4 '));
    assert.ok(lines.length >= 10, block);
    for (const line of lines) {
      const r = await cli(line.slice('npx bot4 '.length).split(/\s+/));
      assert.equal(r.code, 0, `${line}: exit ${r.code}\n${r.stdout}${r.stderr}`);
      assert.ok(r.stdout.trim().length > 0, `${line}: printed nothing`);
    }
  });

  it('bot4 events exits 2 with B4_CLI_CONNECT when the daemon goes away under it (runs last: stops the daemon)', async () => {
    const f = spawn(process.execPath, [BOT4, 'events'], { cwd: ROOT, env: { ...process.env, ...env(TOKENS.read), BOT4_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    followers.push(f);
    let out = '';
    let err = '';
    f.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    f.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    // mm-btc keeps quoting on sim-b: its order updates print with decimal price and quantity (20 lots)
    await until(() => /^\d\d:\d\d:\d\d\.\d{3} orders order\.update orderId=mm-btc\.\S+ .*venue=sim-b symbol=BTC\/USDT .*price=\d+\.\d{2} qty=0\.00020/m.test(out), 60_000, `an mm-btc order line (stdout: ${out.slice(-500)} stderr: ${err})`);
    const exited = new Promise<number | null>((resolve) => f.once('exit', (c) => resolve(c)));
    await stopDaemon(d!);
    assert.equal(await exited, 2);
    assert.match(err, /^bot4: B4_CLI_CONNECT: cannot reach the daemon at ws:\/\/127\.0\.0\.1:\d+\/ws: connection closed by the daemon \(\d+\)$/m);
  });
});
