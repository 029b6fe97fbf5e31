import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { sign } from '../../../simulators/wire/auth.js';
import { DEMO_API_KEY, DEMO_API_SECRET, DEMO_BALANCES } from '../../../simulators/simulator.js';
import { buildProgram } from '../../../bin/cli.js';
import { SIM_DEFAULTS } from '../../../bin/commands/sim.js';

/*
 * `bot4 sim` as a user runs it: a child process started through bin/bot4.js from the repo root,
 * talked to over the URLs it prints, stopped with a signal.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function bot4(args: string[]): Run {
  const child = spawn(process.execPath, ['bin/bot4.js', ...args], { cwd: ROOT, env: { ...process.env, BOT4_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Waits (bounded) for the ready line and parses its key=value pairs. */
async function readyOf(run: Run, ms = 30_000): Promise<Map<string, string>> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const line = run.stdout().split('\n').find((l) => l.startsWith('bot4 sim ready '));
    if (line !== undefined && run.stdout().includes(`${line}\n`)) {
      return new Map(
        line
          .slice('bot4 sim ready '.length)
          .split(' ')
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as [string, string]),
      );
    }
    if (run.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no ready line within ${ms} ms; stdout=${run.stdout()} stderr=${run.stderr()}`);
}

/**
 * GET with a per-attempt timeout. The default `good` profile loses 0.1% of exchanges by design
 * (the client must time out, as with a real venue), so up to 3 attempts.
 */
async function get(url: string): Promise<Response> {
  let last: unknown;
  for (let i = 0; i < 3; i++) {
    try {
      return await fetch(url, { signal: AbortSignal.timeout(3000) });
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

function kill(run: Run): void {
  if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
}

describe('bot4 sim (CLI)', function () {
  this.timeout(60_000);

  it('prints one ready line with every URL, serves ping and exchangeInfo, exits 0 on SIGTERM', async () => {
    const run = bot4(['sim', '--port', '0', '--seed', '7']);
    try {
      const r = await readyOf(run);
      assert.equal(r.get('seed'), '7');
      assert.equal(r.get('profile'), 'good');
      assert.equal(r.get('apiKey'), DEMO_API_KEY);
      assert.match(r.get('control')!, /^http:\/\/127\.0\.0\.1:\d+\/_sim$/);
      for (const v of ['sim-a', 'sim-b']) {
        const port = /:(\d+)\//.exec(r.get(`${v}.rest`)!)![1];
        assert.equal(r.get(`${v}.rest`), `http://127.0.0.1:${port}/api/v3`);
        assert.equal(r.get(`${v}.ws`), `ws://127.0.0.1:${port}/ws`);
        assert.equal(r.get(`${v}.stream`), `ws://127.0.0.1:${port}/stream`);
        assert.equal(r.get(`${v}.wsApi`), `ws://127.0.0.1:${port}/ws-api/v3`);
        assert.equal(r.get(`${v}.control`), `http://127.0.0.1:${port}/_sim`);
      }
      assert.equal(r.has('sim-c.rest'), false, 'two venues by default');
      assert.equal(r.get('participants'), 'true');
      assert.equal(r.get('rateLimits'), 'binance');
      const listed = (await (await get(`${r.get('control')}/venues`)).json()) as { name: string; participants: boolean; limits: { ordersPer10s: number } }[];
      assert.deepEqual(listed.map((v) => [v.name, v.participants, v.limits.ordersPer10s]), [['sim-a', true, 100], ['sim-b', true, 100]]);
      const ping = await get(`${r.get('sim-a.rest')}/ping`);
      assert.equal(ping.status, 200);
      assert.deepEqual(await ping.json(), {});
      const info = await get(`${r.get('sim-b.rest')}/exchangeInfo`);
      assert.equal(info.status, 200);
      const body = (await info.json()) as { symbols: { symbol: string; status: string }[] };
      assert.ok(body.symbols.some((s) => s.symbol === 'BTCUSDT' && s.status === 'TRADING'));
      run.child.kill('SIGTERM');
      const { code, signal } = await run.exit;
      assert.equal(signal, null);
      assert.equal(code, 0, run.stderr());
      assert.equal(run.stdout().trimEnd().split('\n').length, 1, 'exactly one line on stdout');
      assert.match(run.stderr(), /SIGTERM, stopping/);
    } finally {
      kill(run);
    }
  });

  it('honours --venues, --profile none and --api-key/--api-secret, and exits 0 on SIGINT', async () => {
    const run = bot4(['sim', '--venues', '3', '--profile', 'none', '--port', '0', '--api-key', 'cli-key', '--api-secret', 'cli-secret']);
    try {
      const r = await readyOf(run);
      assert.equal(r.get('seed'), '42');
      assert.equal(r.get('profile'), 'none');
      assert.equal(r.get('apiKey'), 'cli-key');
      assert.ok(!run.stdout().includes('cli-secret'), 'the secret is never printed');
      assert.ok(r.has('sim-c.wsApi'));
      assert.equal(r.has('sim-d.rest'), false);
      assert.equal((await get(`${r.get('sim-c.rest')}/ping`)).status, 200);
      // the account is the one given on the command line, not the demo one
      const account = async (key: string, secret: string): Promise<Response> => {
        const q = `timestamp=${Date.now()}&recvWindow=10000`;
        return fetch(`${r.get('sim-a.rest')}/account?${q}&signature=${sign(secret, q)}`, { headers: { 'X-MBX-APIKEY': key }, signal: AbortSignal.timeout(3000) });
      };
      const mine = await account('cli-key', 'cli-secret');
      assert.equal(mine.status, 200);
      assert.ok(((await mine.json()) as { balances: { asset: string; free: string }[] }).balances.some((b) => b.asset === 'USDT' && Number(b.free) > 0));
      assert.equal((await account(DEMO_API_KEY, DEMO_API_SECRET)).status, 401);
      run.child.kill('SIGINT');
      assert.deepEqual(await run.exit, { code: 0, signal: null });
    } finally {
      kill(run);
    }
  });

  it('--no-participants --rate-limits high: no background participants, and exchangeInfo advertises the high limits', async () => {
    const run = bot4(['sim', '--no-participants', '--rate-limits', 'high', '--venues', '1', '--profile', 'none', '--port', '0']);
    try {
      const r = await readyOf(run);
      assert.equal(r.get('participants'), 'false');
      assert.equal(r.get('rateLimits'), 'high');
      const info = (await (await get(`${r.get('sim-a.rest')}/exchangeInfo`)).json()) as { rateLimits: unknown };
      assert.deepEqual(info.rateLimits, [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6_000_000 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 1_000_000 },
        { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 1_000_000_000 },
      ]);
      const listed = (await (await get(`${r.get('control')}/venues`)).json()) as { participants: boolean; limits: Record<string, number> }[];
      assert.equal(listed[0]!.participants, false);
      assert.equal(listed[0]!.limits.weightPerMinute, 6_000_000, 'enforced as advertised');
      const depth = (await (await get(`${r.get('sim-a.rest')}/depth?symbol=BTCUSDT&limit=5`)).json()) as { bids: unknown[]; asks: unknown[] };
      assert.deepEqual([depth.bids, depth.asks], [[], []], 'no one quotes');
      run.child.kill('SIGTERM');
      assert.deepEqual(await run.exit, { code: 0, signal: null });
    } finally {
      kill(run);
    }
  });

  it('--rate-limits off advertises no limits', async () => {
    const run = bot4(['sim', '--rate-limits', 'off', '--venues', '1', '--profile', 'none', '--port', '0']);
    try {
      const r = await readyOf(run);
      const info = (await (await get(`${r.get('sim-a.rest')}/exchangeInfo`)).json()) as { rateLimits: unknown };
      assert.deepEqual(info.rateLimits, []);
      run.child.kill('SIGTERM');
      assert.deepEqual(await run.exit, { code: 0, signal: null });
    } finally {
      kill(run);
    }
  });

  const bad: [string[], RegExp][] = [
    [['--rate-limits', 'fast'], /--rate-limits: expected one of "off", "binance", "high", got "fast"/],
    [['--venues', '0'], /--venues: expected a value >= 1, got 0/],
    [['--seed', 'abc'], /--seed: expected a number, got "abc"/],
    [['--profile', 'awful'], /--profile: expected one of .*"good".*, got "awful"/],
    [['--port', '70000'], /--port: expected a value <= 65535, got 70000/],
    [['--api-key', 'k1'], /--api-secret: expected a value when --api-key is given/],
    [['--bogus'], /unknown option '--bogus'/],
  ];
  for (const [args, re] of bad) {
    it(`exits 2 naming the option for sim ${args.join(' ')}`, async () => {
      const run = bot4(['sim', ...args]);
      try {
        assert.deepEqual(await run.exit, { code: 2, signal: null });
        assert.match(run.stderr(), re);
        assert.equal(run.stdout(), '', 'no ready line');
      } finally {
        kill(run);
      }
    });
  }

  it('exits 2 with B4_SIM_LISTEN_FAILED when the port is taken', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as AddressInfo).port;
    const run = bot4(['sim', '--port', String(port), '--venues', '1']);
    try {
      assert.deepEqual(await run.exit, { code: 2, signal: null });
      assert.match(run.stderr(), /B4_SIM_LISTEN_FAILED/);
    } finally {
      kill(run);
      blocker.close();
    }
  });

  it('docs/cli.md documents every option of bot4 sim with its default, the demo pair and its balances', async () => {
    const doc = readFileSync(`${ROOT}docs/cli.md`, 'utf8');
    const section = doc.slice(doc.indexOf('## `bot4 sim`'), doc.indexOf('## `bot4 daemon`'));
    assert.ok(section.length > 100, 'docs/cli.md has a bot4 sim section');
    const sim = (await buildProgram()).commands.find((c) => c.name() === 'sim')!;
    const defaults = SIM_DEFAULTS as Record<string, unknown>;
    for (const opt of sim.options) {
      const row = section.split('\n').find((l) => l.startsWith(`| \`${opt.flags}\``));
      assert.ok(row !== undefined, `docs/cli.md row for ${opt.flags}`);
      const key = opt.attributeName();
      if (key in defaults) assert.ok(row.includes(`| \`${String(defaults[key])}\` |`), `docs/cli.md default of ${opt.flags} is ${String(defaults[key])}`);
    }
    assert.ok(section.includes(`\`${DEMO_API_KEY}\``) && section.includes(`\`${DEMO_API_SECRET}\``));
    const assets = section.split('\n').find((l) => l.startsWith('| asset |'))!.split('|').map((c) => c.trim()).slice(2, -1);
    const amounts = section.split('\n').find((l) => l.startsWith('| starting balance |'))!.split('|').map((c) => c.trim()).slice(2, -1);
    assert.deepEqual(Object.fromEntries(assets.map((a, i) => [a, amounts[i]])), { ...DEMO_BALANCES });
  });
});
