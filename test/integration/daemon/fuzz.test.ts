import assert from 'node:assert/strict';
import { readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { SeededRandom } from '../../../common/random.js';
import { GW_CODES } from '../../../gateway/errors.js';
import { TOKENS, TestClient } from '../../fixtures/gateway/ws-client.js';
import { startDaemon, stopDaemon, until, type DaemonChild } from './harness.js';

const codes: ReadonlySet<string> = new Set(GW_CODES);
const auth = (token: string): { headers: Record<string, string> } => ({ headers: { authorization: `Bearer ${token}` } });
const MAX_BP = 64 * 1024;

const YAML = `sim: { venues: 2, seed: 9, profile: none }
journal: { dir: journal, fsync: always }
strategies: []
risk: { strategies: { api: {} } }
gateway:
  slowConsumerPolicy: drop
  limits: { messagesPerSec: 10000000, burst: 10000000, maxPayloadBytes: 4096, maxBackpressureBytes: ${MAX_BP}, slowConsumerCheckMs: 10 }
`;

const validArgs = (): Record<string, unknown> => ({ clientOrderId: 'c-1', strategy: 'api', venue: 'sim-a', symbol: 'BTC/USDT', side: 'buy', type: 'limit', tif: 'GTC', priceTicks: 100, qtyLots: 20, reduceOnly: false });
const wrong: unknown[] = ['12', -1, 1.5, null, true, [], {}, [1], { a: 1 }, '', 'x'.repeat(300)];
const junk = ["{'v':1}", '{"v":1,}', 'NaN', '[1,2', '{"v":1 "id":2}', '"unterminated', '{}}', 'nul', '{"v":1,"id":1,"op":"ping"}{"x":1}'];

/** One invalid /ws frame (deterministic from the generator); every one must be refused. */
function fuzzFrame(r: SeededRandom, i: number): string | Buffer {
  const base = { v: 1, id: i, op: 'order.submit', args: validArgs() };
  switch (r.int(7)) {
    case 0: {
      const s = JSON.stringify(base);
      return r.int(2) === 0 ? s.slice(0, 1 + r.int(s.length - 1)) : junk[r.int(junk.length)]!;
    }
    case 1: {
      const args = validArgs();
      const keys = Object.keys(args);
      const k = keys[r.int(keys.length)]!;
      const t = typeof args[k];
      const pool = wrong.filter((v) => (t === 'number' ? typeof v !== 'number' || !Number.isInteger(v) || v < 1 : typeof v !== t));
      args[k] = pool[r.int(pool.length)];
      return JSON.stringify({ ...base, args });
    }
    case 2: {
      const bad: Record<string, unknown[]> = { v: ['1', 2, 0, null, 1.5], id: [null, true, [], {}, '', 'x'.repeat(65), 1.5], op: [12, null, [], ''], args: ['12', 12, null, true, [], [1], { a: 1 }] };
      const f = ['v', 'id', 'op', 'args'][r.int(4)]!;
      return JSON.stringify({ ...base, [f]: bad[f]![r.int(bad[f]!.length)] });
    }
    case 3:
      return JSON.stringify({ ...base, op: ['', 'order', 'ORDER.SUBMIT', '__proto__', 'constructor', 'killSwitch', `op${r.nextU32()}`][r.int(7)] });
    case 4:
      return JSON.stringify(base).replace('"qtyLots":20', `"qtyLots":${['1e400', '9007199254740993', '-0', '1.5', '0.0000001'][r.int(5)]}`);
    case 5: {
      const b = Buffer.alloc(1 + r.int(64));
      for (let k = 0; k < b.length; k++) b[k] = r.int(256);
      return b; // binary frame on the JSON endpoint
    }
    default:
      return [
        JSON.stringify({ ...base, extra: true }),
        JSON.stringify({ ...base, v: 2 }),
        JSON.stringify({ ...base, args: { ...validArgs(), admin: true } }),
        `${'['.repeat(300)}${']'.repeat(300)}`,
        JSON.stringify({ ...base, args: { ...validArgs(), side: 'BUY' } }),
        JSON.stringify({ ...base, op: 'killSwitch.set', args: { state: 'halted' } }),
      ][r.int(6)]!;
  }
}

function journalBytes(dir: string): Record<string, number> {
  return Object.fromEntries(readdirSync(dir).map((f) => [f, statSync(path.join(dir, f)).size]));
}

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) * 1024;
}

async function metric(d: DaemonChild, name: string): Promise<number> {
  const text = await (await fetch(d.urls.metrics!)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  assert.ok(m !== null, `metric ${name} missing`);
  return Number(m[1]);
}

describe('daemon: bad input and slow consumers through the real daemon', function () {
  this.timeout(180_000);
  let d: DaemonChild;

  before(async () => {
    d = await startDaemon(YAML);
    await until(async () => (await fetch(d.urls.health!)).status === 200, 30_000, 'ready');
  });
  after(async () => {
    if (d !== undefined) {
      assert.equal(await stopDaemon(d), 0, `exit code; stderr:\n${d.stderr().slice(-2000)}`);
      rmSync(d.dir, { recursive: true, force: true });
    }
  });

  it('answers 10k fuzzed frames each with one typed error; other connections and the journal are unaffected', async () => {
    const jdir = path.join(d.dir, 'journal');
    const admin = await TestClient.connect(d.urls.api!, auth(TOKENS.admin));
    const before = (await admin.request('status.get')).result as { journal: { nextSequence: number }; openOrders: number };
    const bytesBefore = journalBytes(jdir);
    const fuzz = await TestClient.connect(d.urls.api!, auth(TOKENS.admin));
    const bystander = await TestClient.connect(d.urls.api!, auth(TOKENS.read));
    assert.equal((await bystander.request('subscribe', { topics: ['orders', 'risk.denials'] })).ok, true);
    const r = new SeededRandom('daemon-fuzz');
    const n = 10_000;
    const sent: string[] = [];
    for (let i = 0; i < n; i++) {
      const f = fuzzFrame(r, i);
      fuzz.sendRaw(f, typeof f !== 'string');
      sent.push(typeof f === 'string' ? f : '<binary>');
      if (i % 2000 === 1999) assert.equal((await bystander.request('ping')).ok, true, 'the bystander is served during the flood');
    }
    await fuzz.waitFor(() => fuzz.messages.length >= n, `${n} replies`, 60_000);
    assert.equal(fuzz.closeCode, null, 'the fuzzing connection stays open');
    assert.equal(fuzz.messages.length, n);
    for (let i = 0; i < n; i++) {
      const m = fuzz.messages[i]!;
      assert.equal(m.ok, false, `frame ${i} was accepted: ${sent[i]}`);
      assert.ok(codes.has(m.error!.code), `frame ${i}: untyped code ${m.error!.code}`);
      assert.ok(m.id === null || m.id === i, `frame ${i}: reply id ${String(m.id)}`);
    }
    const seen = new Set(fuzz.messages.map((m) => m.error!.code));
    for (const c of ['GW_BAD_JSON', 'GW_BAD_FRAME', 'GW_BAD_REQUEST', 'GW_UNKNOWN_OP', 'GW_UNSUPPORTED_VERSION']) assert.ok(seen.has(c), `no ${c} seen`);
    // oversize frames close with 1009 and only that connection
    const big = await TestClient.connect(d.urls.api!, auth(TOKENS.admin));
    big.sendRaw(JSON.stringify({ v: 1, id: 1, op: 'ping', pad: 'x'.repeat(10_000) }));
    await big.closed();
    assert.equal(big.closeCode, 1009);

    const after = (await admin.request('status.get')).result as { journal: { nextSequence: number }; openOrders: number; killSwitch: string };
    assert.equal(after.journal.nextSequence, before.journal.nextSequence, 'nothing was journaled');
    assert.deepEqual([after.openOrders, after.killSwitch], [0, 'ACTIVE']);
    assert.deepEqual(journalBytes(jdir), bytesBefore, 'journal files unchanged');
    assert.deepEqual((await admin.request('orders.get', { status: 'all' })).result, []);
    assert.equal(bystander.closeCode, null);
    assert.equal(bystander.messages.filter((m) => m.topic !== undefined).length, 0, 'no order event was caused');
    // and a valid request still works afterwards
    const ok = await admin.request('order.submit', { ...validArgs(), priceTicks: 5_000_000 });
    assert.equal(ok.ok, true, JSON.stringify(ok));
    for (const c of [admin, fuzz, bystander]) c.close();
  });

  it('a subscriber that stops reading costs the daemon a bounded amount of memory', async () => {
    const slow = await TestClient.connect(d.urls.api!, auth(TOKENS.read));
    const healthy = await TestClient.connect(d.urls.api!, auth(TOKENS.read));
    const topic = 'md.ticker.feedx.ZZZ/USDT';
    assert.equal((await slow.request('subscribe', { topics: [topic] })).ok, true);
    slow.ws.pause();
    const feed = await TestClient.connect(d.urls.feed!, auth(TOKENS.feed));
    const rss0 = rssBytes(d.proc.pid!);
    const published0 = await metric(d, 'bot4_gateway_events_published_total');
    // 300 frames x 1000 tickers: ~100 MB of events for the stalled subscriber
    let seq = 1;
    for (let f = 0; f < 300; f++) {
      const recs = [];
      for (let k = 0; k < 1000; k++, seq++) recs.push({ v: 1, type: 'ticker', venue: 'feedx', symbol: 'ZZZ/USDT', seq, tsUs: 1_732_500_000_000_000 + seq, bidPx: 1000 + (seq % 7), bidQty: 3, askPx: 1010 + (seq % 7), askQty: 2 });
      feed.sendRaw(JSON.stringify(recs));
      if (f % 20 === 19) assert.equal((await healthy.request('ping')).ok, true);
    }
    await until(async () => (await metric(d, 'bot4_gateway_events_published_total')) - published0 >= 300_000, 60_000, 'every record fanned out');
    const rss1 = rssBytes(d.proc.pid!);
    const maxBuffered = await metric(d, 'bot4_gateway_buffered_bytes_max');
    assert.ok(maxBuffered >= MAX_BP / 2, `the stalled socket did fill its buffer (${maxBuffered})`);
    assert.ok(maxBuffered <= MAX_BP + 4096, `buffered ${maxBuffered} > maxBackpressure ${MAX_BP} + one event`);
    assert.ok(rss1 - rss0 < 64 * 1024 * 1024, `daemon RSS grew by ${((rss1 - rss0) / 1048576).toFixed(1)} MB while ~100 MB were published to a stalled reader`);
    assert.ok((await metric(d, 'bot4_gateway_slow_consumer_episodes_total')) >= 1);
    assert.equal(feed.messages.filter((m) => m.error !== undefined).length, 0, 'every feed record was valid and accepted');
    slow.ws.resume();
    await until(async () => (await metric(d, 'bot4_gateway_buffered_bytes')) === 0, 30_000, 'drained');
    assert.equal((await slow.request('ping')).ok, true, 'the slow consumer recovers once it reads again');
    const got = slow.messages.filter((m) => m.topic === topic).length;
    assert.ok(got > 0 && got < 300_000, `the stalled reader got ${got} of 300000 (drops, not buffering)`);
    for (const c of [slow, healthy, feed]) c.close();
  });
});
